/**
 * `/v1/payouts…`, behind a secret key: ask for payouts (one or a batch, idempotent), list and read
 * them, approve or cancel one, export the approved ones unsigned for the merchant's own signer.
 * A key sees only its mode's payouts.
 * @module
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  createPayoutsRequestSchema,
  pageCursorSchema,
  payoutBatchSchema,
  payoutIdSchema,
  payoutListSchema,
  payoutSchema,
  payoutStatusSchema,
} from '@crypto-checkout/protocol';
import type { Authenticator } from '../../auth.js';
import { InvalidRequestError } from '../../errors.js';
import { idempotencyHeadersSchema, type Idempotency } from '../../idempotency.js';
import { errors, json, security } from '../../openapi.js';
import type { PayoutExecutor } from '../../treasury/payout-execution.js';
import { payoutView, type Payouts } from '../../treasury/payouts.js';
import { merchantOf, secretKeyHook } from '../auth-hooks.js';

/** What the payout routes need. */
export interface PayoutRoutesOptions {
  auth: Authenticator;
  payouts: Payouts;
  executor: PayoutExecutor;
  idempotency: Idempotency;
}

/**
 * The body limit of `POST /v1/payouts`: a batch of 1,000 payouts with long references is about 400 KB,
 * more than the 64 KB of a session; everything else stays at the small limit.
 */
export const PAYOUT_BATCH_BODY_LIMIT = 512 * 1024;

const params = z.object({ id: payoutIdSchema.describe('The payout id (`po_…`).') });

const listQuery = z.strictObject({
  status: payoutStatusSchema
    .optional()
    .describe('Only payouts in this status (`needs_approval`: the review queue).'),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(20)
    .describe('Payouts per page, 1–100 (default 20).'),
  cursor: pageCursorSchema.optional(),
});

const exportBody = z.strictObject({
  chain_id: z.number().int().positive().describe('The chain whose approved payouts to export.'),
  format: z
    .enum(['eip1559', 'safe'])
    .describe('`eip1559`: unsigned transactions; `safe`: a Safe Transaction Builder file.'),
  from: z.string().describe('The paying address: the signer of the EIP-1559 transactions, or the Safe.'),
  owner: z.string().optional().describe('For `safe`: the owner who proposes the batch (shown in the file).'),
});

/** Encodes the position after a payout as an opaque cursor. */
const encodeCursor = (p: { created_at: Date; id: string }) =>
  Buffer.from(`${p.created_at.toISOString()}|${p.id}`).toString('base64url');

function decodeCursor(cursor: string): { created_at: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  const date = new Date(at ?? '');
  if (!id || Number.isNaN(date.getTime())) {
    throw InvalidRequestError.field('cursor', 'pass next_cursor of the previous page unchanged');
  }
  return { created_at: date, id };
}

/** The payout routes; register with the prefix `/v1/payouts`. */
export const payoutRoutes: FastifyPluginAsyncZod<PayoutRoutesOptions> = async (app, options) => {
  const { auth, payouts, executor, idempotency } = options;
  app.addHook(
    'onRequest',
    secretKeyHook(auth, { approveRoutes: ['/v1/payouts/:id/approve', '/v1/payouts/:id/cancel'] }),
  );

  app.post(
    '',
    {
      bodyLimit: PAYOUT_BATCH_BODY_LIMIT,
      schema: {
        operationId: 'createPayouts',
        tags: ['Payouts'],
        summary: 'Ask for payouts',
        description:
          'One payout or a batch of up to 1,000, accepted whole or not at all. Each is checked (asset, a ' +
          "destination valid on its network, amount within the asset's decimals), valued in the review " +
          'currency and reserved against the available balance of its asset: a batch above it answers ' +
          '`409 insufficient_balance` and reserves nothing. At or above the review threshold (default the ' +
          'equivalent of 500 USD) a payout waits in `needs_approval` for another key with the `approve` ' +
          'scope; below it, it is `approved` at once. Send an `Idempotency-Key` to retry safely.',
        security: security('secretKey'),
        headers: idempotencyHeadersSchema,
        body: createPayoutsRequestSchema,
        response: {
          201: json(payoutBatchSchema, 'The payouts, in the order asked for.'),
          ...errors(400, 401, 403, 409, 413, 415, 422),
        },
      },
    },
    async (request, reply) => {
      const caller = merchantOf(request);
      return idempotency.respond(request, reply, caller, async (commit) => {
        let committed: unknown = null;
        const records = await payouts.create(
          caller,
          request.body.payouts,
          commit &&
            (async (tx, data) => {
              committed = { data };
              await commit(tx, { status: 201, body: committed });
            }),
        );
        return { status: 201, body: committed ?? { data: records.map(payoutView) } };
      });
    },
  );

  app.get(
    '',
    {
      schema: {
        operationId: 'listPayouts',
        tags: ['Payouts'],
        summary: 'List payouts',
        description: 'Newest first, one page at a time; `?status=needs_approval` is the review queue.',
        security: security('secretKey'),
        querystring: listQuery,
        response: { 200: json(payoutListSchema, 'One page of payouts.'), ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const { status, limit, cursor } = request.query;
      const rows = await payouts.list(merchantOf(request).mode === 'live', {
        status,
        before: cursor ? decodeCursor(cursor) : null,
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      const more = rows.length > limit;
      return {
        data: page.map(payoutView),
        has_more: more,
        next_cursor: more ? encodeCursor(page[page.length - 1]!) : null,
      };
    },
  );

  app.get(
    '/:id',
    {
      schema: {
        operationId: 'getPayout',
        tags: ['Payouts'],
        summary: 'Read a payout',
        security: security('secretKey'),
        params,
        response: { 200: json(payoutSchema, 'The payout.'), ...errors(401, 403, 404) },
      },
    },
    async (request) => payoutView(await payouts.get(merchantOf(request), request.params.id)),
  );

  app.post(
    '/:id/approve',
    {
      schema: {
        operationId: 'approvePayout',
        tags: ['Payouts'],
        summary: 'Approve a payout waiting for review',
        description:
          'Needs a key with the `approve` scope (a key without scopes has it) other than the key that asked ' +
          'for the payout: `403 forbidden` otherwise. Only a payout in `needs_approval` (`409 payout_not_pending`).',
        security: security('secretKey'),
        params,
        response: { 200: json(payoutSchema, 'The approved payout.'), ...errors(401, 403, 404, 409) },
      },
    },
    async (request) => payoutView(await payouts.approve(merchantOf(request), request.params.id)),
  );

  app.post(
    '/:id/cancel',
    {
      schema: {
        operationId: 'cancelPayout',
        tags: ['Payouts'],
        summary: 'Cancel a payout not submitted yet',
        description:
          'Releases its reservation. A submitted payout cannot be canceled (`409 payout_not_pending`).',
        security: security('secretKey'),
        params,
        response: { 200: json(payoutSchema, 'The canceled payout.'), ...errors(401, 403, 404, 409) },
      },
    },
    async (request) => payoutView(await payouts.cancel(merchantOf(request), request.params.id)),
  );

  app.post(
    '/export',
    {
      schema: {
        operationId: 'exportPayouts',
        tags: ['Payouts'],
        summary: 'Export approved payouts unsigned, for your own signer',
        description:
          'Every approved payout of the chain (ERC-20, or the coin through NativePayouts once it is deployed), as unsigned EIP-1559 transactions from `from` (consecutive ' +
          'nonces from its pending nonce) or as a Safe Transaction Builder file for the Safe `from`; they become ' +
          '`submitted`. The server signs and sends nothing: sign and broadcast them yourself; each is confirmed ' +
          'when its transfer is found on chain.',
        security: security('secretKey'),
        body: exportBody,
        response: {
          200: json(
            z.looseObject({}),
            'The export: `{format, chain_id, from, transactions}` or the Safe file.',
          ),
          ...errors(400, 401, 403, 413, 415),
        },
      },
    },
    async (request) => {
      const { chain_id: chainId, format, from, owner } = request.body;
      const live = merchantOf(request).mode === 'live';
      return format === 'eip1559'
        ? executor.exportEip1559(live, chainId, from)
        : executor.exportSafe(live, chainId, from, owner);
    },
  );
};
