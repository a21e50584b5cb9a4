/**
 * The treasury's operator commands: `reconcile` (the ledger held against the chains, every
 * difference reported, exit code 1 on any), `payouts import` (a CSV batch of payouts) and
 * `payouts export-psbt` (a Bitcoin-like chain's approved payouts as one unsigned PSBT) and
 * `payouts export-tron` (a TRON chain's approved payouts as unsigned TRON transactions).
 * @module
 */
import { readFile } from 'node:fs/promises';
import { MAX_PAYOUTS_PER_REQUEST } from '@crypto-checkout/protocol';
import { createServices } from '../composition.js';
import { ApiError } from '../errors.js';
import { formatAtomic } from '../money.js';
import { buildPricing } from '../rates/build-pricing.js';
import { formatReconcileReport, reconcile } from '../treasury/reconcile.js';
import { cliTreasury } from './cli-treasury.js';
import type { Command, CommandContext } from './command.js';
import { writeFileSync } from 'node:fs';

/** The usage lines of `reconcile`, for `--help`. */
export const RECONCILE_USAGE = ['--mode test|live (default: both)', '--json (the differences as JSON lines)'];

/**
 * Runs `reconcile`: prints each difference and a summary; resolves to the exit code (0 when the
 * ledger and the chains agree, 1 otherwise).
 */
export async function runReconcile(
  context: CommandContext,
  flags: Record<string, string | true>,
): Promise<number> {
  const mode = flags.mode;
  if (mode !== undefined && mode !== 'test' && mode !== 'live') throw new Error('--mode is test or live');
  const { config, print } = context;
  const pricing = buildPricing(config);
  try {
    const { ledger } = cliTreasury(context, pricing.pricer);
    const report = await reconcile({
      ledger,
      chains: config.chains,
      livemode: mode === undefined ? null : mode === 'live',
    });
    if (flags.json === true) {
      for (const d of report.differences) {
        print(
          JSON.stringify({
            ...d,
            ledger_atomic: d.ledger_atomic.toString(),
            chain_atomic: d.chain_atomic.toString(),
          }),
        );
      }
    } else {
      for (const line of formatReconcileReport(report, (asset) => ledger.method(asset)?.decimals ?? 0))
        print(line);
    }
    return report.differences.length ? 1 : 0;
  } finally {
    await pricing.close();
  }
}

/**
 * `payouts import <file.csv> --mode …`: the payouts of a CSV file, in batches of 1,000, each all or
 * nothing like `POST /v1/payouts` (same checks, same review threshold; `requested_by` is
 * `cli:payouts-import`, so any key with the approve scope may approve them). The `reference` column is
 * required and unique: a row whose reference was used before is skipped, so importing a file again
 * (after a failure halfway, by mistake) never asks for a payout twice.
 * `ledger reconcile` (also `reconcile`): {@link runReconcile}; fails (exit code 1) on any difference.
 */
export const treasuryCommands: Command[] = [
  {
    group: 'payouts',
    name: 'import',
    summary:
      'ask for the payouts of a CSV file (destination,asset,amount,reference); a reference already used is skipped',
    usage: ['<file.csv>', '--mode test|live (required)'],
    async run({ config, db, secrets, print }, flags, args) {
      const mode = flags.mode;
      if (mode !== 'test' && mode !== 'live') throw new Error('--mode test or --mode live is required');
      const [file, ...extra] = args;
      if (!file || extra.length) throw new Error('give exactly one CSV file');
      const rows = parseCsv(await readFile(file, 'utf8'));
      const header = rows.shift()?.map((h) => h.trim().toLowerCase());
      const columns = ['destination', 'asset', 'amount', 'reference'];
      if (!header || columns.some((c) => !header.includes(c))) {
        throw new Error(`the first line must name the columns ${columns.join(',')}`);
      }
      const at = (row: string[], name: string) => (row[header.indexOf(name)] ?? '').trim();
      const items = rows.map((row, i) => {
        const reference = at(row, 'reference');
        if (!reference)
          throw new Error(`line ${i + 2}: every payout needs a reference (it makes a re-import safe)`);
        return {
          destination: at(row, 'destination'),
          asset: at(row, 'asset'),
          amount: at(row, 'amount'),
          reference,
        };
      });
      const seen = new Set<string>();
      for (const item of items) {
        if (seen.has(item.reference))
          throw new Error(`reference ${item.reference} appears twice in the file`);
        seen.add(item.reference);
      }
      // A reference already used in this mode was imported (or asked for) before: skipped, not paid twice.
      const { rows: used } = await db.query<{ reference: string }>(
        'SELECT reference FROM payouts WHERE livemode = $1 AND reference = ANY($2::text[])',
        [mode === 'live', [...seen]],
      );
      const done = new Set(used.map((r) => r.reference));
      const fresh = items.filter((item) => !done.has(item.reference));
      const services = createServices({ config, db, secrets });
      try {
        const caller = {
          kind: 'merchant' as const,
          mode: mode as 'test' | 'live',
          keyId: 'cli:payouts-import',
        };
        for (let start = 0; start < fresh.length; start += MAX_PAYOUTS_PER_REQUEST) {
          const batch = await services.treasury.payouts.create(
            caller,
            fresh.slice(start, start + MAX_PAYOUTS_PER_REQUEST),
          );
          for (const p of batch)
            print(
              `${p.id} ${p.status} ${p.reference} ${formatAtomic(p.amount_atomic, p.decimals)} ${p.asset} -> ${p.destination}`,
            );
        }
      } catch (error) {
        if (error instanceof ApiError) throw new Error(error.message, { cause: error });
        throw error;
      } finally {
        await services.pricing.close();
      }
      print(
        `${fresh.length} payout(s) asked for, ${items.length - fresh.length} skipped (reference already used)`,
      );
    },
  },
  {
    group: 'payouts',
    name: 'export-psbt',
    summary:
      "a Bitcoin/Litecoin chain's approved payouts as one unsigned PSBT spending treasury coins (change to a fresh treasury address); marks them submitted",
    usage: [
      '--chain <key> --mode test|live (required)  --export <file> (else the PSBT is printed)',
      "--fee-rate <sat/vB> (default the node's estimate)  --key-origin [fingerprint/84'/0'/0']  --json",
    ],
    async run({ config, db, secrets, print }, flags) {
      const mode = flags.mode;
      if (mode !== 'test' && mode !== 'live') throw new Error('--mode test or --mode live is required');
      const chain = config.chains.find((c) => c.key === flags.chain);
      if (!chain || chain.family !== 'utxo')
        throw new Error('--chain <key> of a Bitcoin-like chain is required');
      const { exportUtxoPayouts } = await import('../treasury/utxo-payout-psbt.js');
      const { parseKeyOrigin } = await import('../treasury/utxo-sweep-psbt.js');
      const { nodeRpc } = await import('../chain/utxo/node-rpc.js');
      const services = createServices({ config, db, secrets });
      try {
        const feeRate = typeof flags['fee-rate'] === 'string' ? Number(flags['fee-rate']) : undefined;
        const result = await exportUtxoPayouts({
          chain,
          payouts: services.treasury.payouts,
          rpc: nodeRpc(chain.rpc_url),
          livemode: mode === 'live',
          ...(feeRate !== undefined ? { feeRate } : {}),
          ...(typeof flags['key-origin'] === 'string'
            ? { keyOrigin: parseKeyOrigin(flags['key-origin']) }
            : {}),
        });
        if (typeof flags.export === 'string') writeFileSync(flags.export, `${result.psbt}\n`);
        if (flags.json === true) return print(JSON.stringify(result));
        for (const p of result.payouts)
          print(`${p.id} ${formatAtomic(BigInt(p.amount_atomic), 8)} -> ${p.destination} (output ${p.vout})`);
        print(
          `${chain.key}: ${result.payouts.length} payout(s) from ${result.inputs.length} treasury coin(s), fee ${result.fee_atomic} (${result.fee_rate_sat_vb} sat/vB), change ${result.change ? `${result.change.amount_atomic} to ${result.change.address}` : 'none'}; transaction ${result.txid}`,
        );
        print(
          typeof flags.export === 'string'
            ? `${chain.key}: wrote the PSBT to ${flags.export}: sign it in your wallet and broadcast; the payouts are submitted`
            : result.psbt,
        );
      } finally {
        await services.pricing.close();
      }
    },
  },
  {
    group: 'payouts',
    name: 'export-tron',
    summary:
      "a TRON chain's approved payouts (USDT, TRX) as unsigned TRON transactions from treasury_address, one per payout; marks them submitted",
    usage: [
      '--chain <key> --mode test|live (required)  --export <file> (else the file is printed)',
      '--fee-limit <sun> (default 30000000)  --expires-in <hours> (default 12, at most 24)',
    ],
    async run({ config, db, secrets, print }, flags) {
      const mode = flags.mode;
      if (mode !== 'test' && mode !== 'live') throw new Error('--mode test or --mode live is required');
      const chain = config.chains.find((c) => c.key === flags.chain);
      if (!chain || chain.family !== 'tron') throw new Error('--chain <key> of a TRON chain is required');
      if (!chain.http_api_url)
        throw new Error(
          `${chain.key}: set http_api_url (the reference block comes from /wallet/getnowblock)`,
        );
      const { exportTronPayouts } = await import('../treasury/tron-payout-export.js');
      const { fetchNowBlock } = await import('../chain/tron/tron-transaction.js');
      const { tronExpiryFlag, tronFeeFlags } = await import('./sweep-command.js');
      const { createPublicClient, http } = await import('viem');
      const services = createServices({ config, db, secrets });
      try {
        const { feeLimitSun } = tronFeeFlags(flags);
        const file = await exportTronPayouts({
          chain,
          payouts: services.treasury.payouts,
          client: createPublicClient({ transport: http(chain.rpc_url) }),
          refBlock: await fetchNowBlock(chain.http_api_url),
          livemode: mode === 'live',
          ...(feeLimitSun !== undefined ? { feeLimitSun } : {}),
          ...tronExpiryFlag(flags),
        });
        const text = `${JSON.stringify(file, null, 2)}\n`;
        if (typeof flags.export !== 'string') return print(text.trimEnd());
        writeFileSync(flags.export, text);
        for (const p of file.payouts)
          print(
            `${p.payout_id} ${p.amount_atomic} ${p.asset} -> ${p.destination} (txID ${p.transaction.txID})`,
          );
        print(
          `${chain.key}: wrote ${file.payouts.length} unsigned transaction(s) to ${flags.export}: sign each with the treasury ${file.from} and broadcast before ${file.expires_at}; the payouts are submitted`,
        );
      } finally {
        await services.pricing.close();
      }
    },
  },
  {
    group: 'ledger',
    name: 'reconcile',
    summary: 'compare the ledger with the chains (balances per address and token); exit 1 on any difference',
    usage: RECONCILE_USAGE,
    async run(context, flags) {
      if ((await runReconcile(context, flags)) !== 0)
        throw new Error('the ledger and the chain differ (above)');
    },
  },
];

/**
 * Parses RFC 4180 CSV (quoted fields, doubled quotes, CRLF or LF) into rows of fields; blank lines
 * are skipped.
 * @example parseCsv('a,"b,c"\n') // [['a', 'b,c']]
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      if (row.some((f) => f !== '')) rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  row.push(field);
  if (row.some((f) => f !== '')) rows.push(row);
  return rows;
}
