/**
 * The `ledger.entry_created` webhooks: one per ledger entry — a confirmed receipt or its reversal, a
 * sweep, a payout's reservation, release or settlement, a fee — stored in the outbox in the
 * transaction that wrote the entry (the ledger's append hook), so that an entry and its webhook
 * exist together or not at all. Opt-in: only endpoints whose filter names the type get it (not
 * `["*"]`, whose receivers expect session, payout and sweep events, and would get one more per
 * entry); with none, nothing is stored: ledger entries are many and already listed by
 * `GET /v1/ledger`.
 * @module
 */
import { WEBHOOK_LEDGER_EVENT_TYPE, type LedgerWebhookPayload } from '@crypto-checkout/protocol';
import { ledgerEntryView, type LedgerAppendHook } from '../treasury/ledger.js';
import type { WebhookOutbox } from './webhook-outbox.js';
import type { WebhookStore } from './webhook-store.js';

/**
 * The ledger's append hook that writes each new entry's webhook; `decimalsOf` gives an asset's
 * decimals for the entry's decimal amount (as `GET /v1/ledger` shows it).
 * @example const ledger = new Ledger({ db, methods, onAppend: ledgerWebhooks({ outbox, store, decimalsOf }) });
 */
export function ledgerWebhooks(options: {
  outbox: WebhookOutbox;
  store: WebhookStore;
  decimalsOf: (asset: string) => number;
}): LedgerAppendHook {
  return async (tx, entries) => {
    // One lookup per mode for the whole write (a payout batch writes up to a thousand entries).
    const endpoints = new Map<boolean, string[]>();
    let queued = false;
    for (const entry of entries) {
      let ids = endpoints.get(entry.livemode);
      if (!ids) {
        ids = await options.store.endpointsNaming(tx, entry.livemode, WEBHOOK_LEDGER_EVENT_TYPE);
        endpoints.set(entry.livemode, ids);
      }
      if (!ids.length) continue;
      const payload: LedgerWebhookPayload = {
        type: WEBHOOK_LEDGER_EVENT_TYPE,
        timestamp: entry.created_at.toISOString(),
        data: ledgerEntryView(entry, options.decimalsOf(entry.asset)),
      };
      await options.outbox.enqueue(tx, {
        type: WEBHOOK_LEDGER_EVENT_TYPE,
        livemode: entry.livemode,
        session_id: entry.session_id,
        session_seq: null,
        body: JSON.stringify(payload),
        at: entry.created_at,
        endpointIds: ids,
      });
      queued = true;
    }
    // Before the commit: a worker that looks too early finds nothing and its next poll finds it.
    if (queued) options.outbox.signal();
  };
}
