/**
 * `GET /v1/balances` and `GET /v1/ledger` (JSON pages, or `/v1/ledger/export.csv`), behind a secret
 * key: what the ledger says the merchant holds, and every entry behind it. A key sees its mode only.
 * @module
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { balancesSchema, ledgerPageSchema, pageCursorSchema } from '@crypto-checkout/protocol';
import type { Authenticator } from '../../auth.js';
import { InvalidRequestError } from '../../errors.js';
import { formatAtomic } from '../../money.js';
import { errors, json, raw, security } from '../../openapi.js';
import { csvRecord } from '../../sessions/session-csv.js';
import { ledgerEntryView, type Ledger } from '../../treasury/ledger.js';
import { merchantOf, secretKeyHook } from '../auth-hooks.js';

/** What the treasury routes need. */
export interface TreasuryRoutesOptions {
  auth: Authenticator;
  ledger: Ledger;
}

const ledgerQuery = z.strictObject({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(100)
    .describe('Entries per page, 1–1000 (default 100).'),
  cursor: pageCursorSchema.optional(),
});

/** The columns of the ledger CSV export, in order. */
export const LEDGER_CSV_COLUMNS = [
  'id',
  'created_at',
  'kind',
  'asset',
  'chain_id',
  'amount',
  'session_id',
  'payout_id',
  'address',
  'counterparty',
  'tx_hash',
] as const;

/** The treasury routes; register without a prefix. */
export const treasuryRoutes: FastifyPluginAsyncZod<TreasuryRoutesOptions> = async (app, options) => {
  const { auth, ledger } = options;
  app.addHook('onRequest', secretKeyHook(auth));
  const decimalsOf = (asset: string) => ledger.method(asset)?.decimals ?? 0;

  app.get(
    '/v1/balances',
    {
      schema: {
        operationId: 'getBalances',
        tags: ['Treasury'],
        summary: 'Balances per asset and network',
        description:
          'Derived from the ledger alone, per asset (`usdc@base`): `received` (confirmed receipts less reorg ' +
          'reversals), `in_deposit_addresses` (received, not swept), `in_treasury` (swept in, less payouts and ' +
          'fees), `pending_payouts` (reserved by payouts not settled), `available` (what new payouts may take). ' +
          'Decimal strings in the asset’s units.',
        security: security('secretKey'),
        response: { 200: json(balancesSchema, 'One row per asset.'), ...errors(401, 403) },
      },
    },
    async (request) => {
      const rows = await ledger.balances(ledger.db, merchantOf(request).mode === 'live');
      return {
        data: rows.map((b) => ({
          asset: b.asset,
          chain_id: b.chain_id,
          received: formatAtomic(b.received, b.decimals),
          in_deposit_addresses: formatAtomic(b.in_deposit_addresses, b.decimals),
          in_treasury: formatAtomic(b.in_treasury, b.decimals),
          pending_payouts: formatAtomic(b.pending_payouts, b.decimals),
          available: formatAtomic(b.available, b.decimals),
        })),
      };
    },
  );

  app.get(
    '/v1/ledger',
    {
      schema: {
        operationId: 'listLedgerEntries',
        tags: ['Treasury'],
        summary: 'The ledger entries, oldest first',
        description:
          'Append-only: a receipt a reorganisation removed is reversed by a `receipt_reversal`, a canceled or ' +
          'failed payout releases its `payout_reserve` with a `payout_release`. Amounts are signed decimal strings.',
        security: security('secretKey'),
        querystring: ledgerQuery,
        response: { 200: json(ledgerPageSchema, 'One page of entries.'), ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      let after = 0n;
      if (cursor !== undefined) {
        if (!/^\d{1,19}$/.test(cursor)) {
          throw InvalidRequestError.field('cursor', 'pass next_cursor of the previous page unchanged');
        }
        after = BigInt(cursor);
      }
      const rows = await ledger.list(merchantOf(request).mode === 'live', after, limit + 1);
      const page = rows.slice(0, limit);
      const more = rows.length > limit;
      return {
        data: page.map((e) => ledgerEntryView(e, decimalsOf(e.asset))),
        has_more: more,
        next_cursor: more ? page[page.length - 1]!.id.toString() : null,
      };
    },
  );

  app.get(
    '/v1/ledger/export.csv',
    {
      schema: {
        operationId: 'exportLedger',
        tags: ['Treasury'],
        summary: 'Export the ledger as CSV',
        description: `Every entry of the mode, oldest first (RFC 4180, CRLF). Columns: ${LEDGER_CSV_COLUMNS.join(', ')}.`,
        security: security('secretKey'),
        response: {
          200: raw('text/csv', 'The CSV file, as an attachment.', { example: csvRecord(LEDGER_CSV_COLUMNS) }),
          ...errors(401, 403),
        },
      },
    },
    async (request, reply) => {
      const live = merchantOf(request).mode === 'live';
      let text = csvRecord(LEDGER_CSV_COLUMNS);
      for (let after = 0n; ;) {
        const rows = await ledger.list(live, after, 1000);
        for (const e of rows) {
          const v = ledgerEntryView(e, decimalsOf(e.asset));
          // Amounts are written as they are (a negative one is a reversal, not a formula): every other
          // cell goes through csvRecord's formula guard.
          const head = csvRecord([v.id, v.created_at, v.kind, v.asset, v.chain_id]).slice(0, -2);
          const tail = csvRecord([v.session_id, v.payout_id, v.address, v.counterparty, v.tx_hash]);
          text += `${head},${v.amount},${tail}`;
        }
        if (rows.length < 1000) break;
        after = rows[rows.length - 1]!.id;
      }
      const stamp = new Date().toISOString().slice(0, 19).replaceAll(':', '').replace('T', '-');
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="ledger-${live ? 'live' : 'test'}-${stamp}.csv"`)
        .header('cache-control', 'no-store')
        .send(text);
    },
  );
};
