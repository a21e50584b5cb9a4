/**
 * `reconcile`: the ledger held against the chains, every difference reported (exit code 1 on any).
 * @module
 */
import { buildMethodRegistry } from '../chain/registry.js';
import { buildPricing } from '../rates/build-pricing.js';
import { Ledger } from '../treasury/ledger.js';
import { formatReconcileReport, reconcile } from '../treasury/reconcile.js';
import type { Command, CommandContext } from './command.js';

/** The usage lines of `reconcile`, for `--help`. */
export const RECONCILE_USAGE = ['--mode test|live (default: both)', '--json (the differences as JSON lines)'];

/**
 * Runs `reconcile`: prints each difference and a summary; resolves to the exit code (0 when the
 * ledger and the chains agree, 1 otherwise).
 */
export async function runReconcile(
  { config, db, print }: Omit<CommandContext, 'secrets'>,
  flags: Record<string, string | true>,
): Promise<number> {
  const mode = flags.mode;
  if (mode !== undefined && mode !== 'test' && mode !== 'live') throw new Error('--mode is test or live');
  const pricing = buildPricing(config);
  try {
    const ledger = new Ledger({ db, methods: buildMethodRegistry(config, pricing.pricer) });
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
 * `ledger reconcile` (also `reconcile`): {@link runReconcile}; fails (exit code 1) on any difference.
 */
export const treasuryCommands: Command[] = [
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
