/**
 * The one place the CLI builds its ledger: wired to the webhook outbox exactly as the server's
 * (composition.ts), so an entry a command appends — a sweep sent or found by `sweep`, its fee — is
 * enqueued as `ledger.entry_created` in the transaction that writes it, and a sweep's status change
 * as its `sweep.*` event. The CLI only writes the outbox rows; the running server's delivery worker
 * (which polls the same database) signs and sends them. Without a server nothing is sent until one
 * starts: the rows wait, as they do across a restart.
 * @module
 */
import { buildMethodRegistry } from '../chain/registry.js';
import { Ledger } from '../treasury/ledger.js';
import { ledgerWebhooks } from '../webhooks/ledger-webhooks.js';
import { sweepWebhooks, type SweepHook } from '../webhooks/sweep-webhooks.js';
import { WebhookOutbox } from '../webhooks/webhook-outbox.js';
import { WebhookStore } from '../webhooks/webhook-store.js';
import type { CommandContext } from './command.js';

/** What {@link cliTreasury} builds: the ledger and the sweep hook, sharing one outbox. */
export interface CliTreasury {
  /** The ledger; every entry it appends is enqueued for the endpoints that take `ledger.entry_created`. */
  ledger: Ledger;
  /** Writes the sweep webhooks of a sweep's status change in its transaction. */
  onSweepChange: SweepHook;
}

/**
 * The CLI's ledger and sweep hook for `context`'s database. `pricer` is the one the command already
 * built (the method registry needs it to name assets).
 * @example const { ledger, onSweepChange } = cliTreasury(context, buildPricing(context.config).pricer);
 */
export function cliTreasury(
  context: Pick<CommandContext, 'config' | 'db' | 'secrets'>,
  pricer: Parameters<typeof buildMethodRegistry>[1],
): CliTreasury {
  const methods = buildMethodRegistry(context.config, pricer);
  const store = new WebhookStore(context.db, context.secrets);
  const outbox = new WebhookOutbox({ store });
  const ledger = new Ledger({
    db: context.db,
    methods,
    onAppend: ledgerWebhooks({
      outbox,
      store,
      decimalsOf: (asset) => methods.get(asset)?.decimals ?? 0,
    }),
  });
  return {
    ledger,
    onSweepChange: sweepWebhooks({
      outbox,
      store,
      methodOf: (chainId, token) => ledger.methodOf(chainId, token),
    }),
  };
}
