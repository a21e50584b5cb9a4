/**
 * The sweep webhooks (`sweep.submitted`, `sweep.confirmed`, `sweep.reversed`, `sweep.failed`,
 * `sweep.needs_review`): one event per sweep transaction and mode when its status changes, written
 * in the outbox by the database transaction that changed its `sweeps` rows — the forwarder sweeper's
 * own sweeps, those it adopts, the UTXO sweep watch's, the TRON treasury watch's and the xpub sweep
 * watch's — so a row and its webhook exist together
 * or not at all.
 *
 * They go to `["*"]` endpoints as payout events do: a sweep is one event per batch transaction (not
 * per deposit, unlike `ledger.entry_created`, which is opt-in for its volume), and `needs_review`
 * means deposit money left for somewhere other than the treasury — a catch-all receiver must hear
 * of it without having asked. A transaction carrying deposits of both modes sends one event per
 * mode, each listing only its mode's deposits, to that mode's endpoints.
 * @module
 */
import type { Sweep, SweepWebhookPayload, WebhookSweepEventType } from '@crypto-checkout/protocol';
import type { MethodInfo } from '../chain/registry.js';
import { formatAtomic } from '../money.js';
import type { Queryable } from '../store/database.js';
import type { WebhookOutbox } from './webhook-outbox.js';
import type { WebhookStore } from './webhook-store.js';

/** A change of one sweep transaction's rows, written in `tx` (already updated). */
export interface SweepChange {
  chain_id: number;
  tx_hash: string;
  type: WebhookSweepEventType;
}

/** Writes the webhooks of a sweep change in the caller's transaction. */
export type SweepHook = (tx: Queryable, change: SweepChange) => Promise<void>;

/** The wire status of a `sweeps` row's status (the EVM and UTXO rails name theirs differently). */
export function sweepStatusOf(status: string): Sweep['status'] {
  if (status === 'pending' || status === 'submitted') return 'submitted';
  if (status === 'confirmed' || status === 'needs_review') return status;
  return 'failed'; // 'failed' (reverted) and 'dropped' (never mined, conflicted): nothing moved
}

/**
 * The rail of a `sweeps` row, from what each rail writes: UTXO rows have no relayer; the forwarder
 * sweeper keeps its signed transaction (`0x…`), an adopted flush has none (`0x`); the TRON treasury
 * watch records the sender and no transaction (`''`); an xpub-mode EVM export is sent by the deposit
 * address itself (its `relayer_address`), where a forwarder never sends a transaction.
 */
export function sweepRailOf(row: {
  relayer_address: string;
  raw_tx: string;
  address: string;
}): Sweep['rail'] {
  if (row.relayer_address === '') return 'utxo';
  if (row.raw_tx === '') return 'tron';
  if (row.relayer_address === row.address) return 'xpub';
  return row.raw_tx === '0x' ? 'adopted' : 'forwarder';
}

/**
 * The sweep hook that writes each change's webhooks; `methodOf` names a row's asset and decimals.
 * @example const hook = sweepWebhooks({ outbox, store, methodOf: (c, t) => ledger.methodOf(c, t) });
 */
export function sweepWebhooks(options: {
  outbox: WebhookOutbox;
  store: WebhookStore;
  methodOf: (chainId: number, tokenAddress: string | null) => MethodInfo | undefined;
}): SweepHook {
  return async (tx, change) => {
    const { rows } = await tx.query<{
      address: string;
      token_symbol: string;
      token_address: string | null;
      treasury_address: string;
      planned_atomic: string;
      amount_atomic: string | null;
      status: string;
      block_number: string | number | null;
      relayer_address: string;
      raw_tx: string;
      review_reason: string | null;
      updated_at: Date;
      session_id: string | null;
      livemode: boolean | null;
    }>(
      `SELECT w.address, w.token_symbol, w.token_address, w.treasury_address, w.planned_atomic::text AS planned_atomic,
              w.amount_atomic::text AS amount_atomic, w.status, w.block_number, w.relayer_address, w.raw_tx,
              w.review_reason, w.updated_at, d.session_id, s.livemode
         FROM sweeps w
         LEFT JOIN LATERAL (
           SELECT session_id FROM deposits WHERE chain_id = w.chain_id AND lower(address) = lower(w.address)
           UNION ALL
           SELECT session_id FROM abandoned_deposits WHERE chain_id = w.chain_id AND lower(address) = lower(w.address)
           LIMIT 1) d ON true
         LEFT JOIN sessions s ON s.id = d.session_id
        WHERE w.chain_id = $1 AND w.tx_hash = $2
        ORDER BY w.derivation_index, w.token_symbol`,
      [change.chain_id, change.tx_hash],
    );
    if (!rows.length) return;
    // A deposit address of no session (none is expected) goes with the transaction's other mode.
    const fallback = rows.some((r) => r.livemode === true) && !rows.some((r) => r.livemode === false);
    const modes = new Map<boolean, typeof rows>();
    for (const row of rows) {
      const live = row.livemode ?? fallback;
      modes.set(live, [...(modes.get(live) ?? []), row]);
    }
    const first = rows[0]!;
    for (const [livemode, group] of modes) {
      // Stored even without an endpoint, as payout events are: the event log shows it, and it can be
      // redelivered to an endpoint added later.
      const endpointIds = await options.store.endpointsFor(tx, livemode, change.type);
      const at = new Date(Math.max(...group.map((r) => r.updated_at.getTime())));
      const payload: SweepWebhookPayload = {
        type: change.type,
        timestamp: at.toISOString(),
        data: {
          object: 'sweep',
          livemode,
          chain_id: change.chain_id,
          tx_hash: change.tx_hash,
          rail: sweepRailOf(first),
          status: sweepStatusOf(first.status),
          treasury_address: first.treasury_address,
          block_number: first.block_number === null ? null : Number(first.block_number),
          deposits: group.map((r) => {
            const method = options.methodOf(change.chain_id, r.token_address);
            const atomic = BigInt(r.status === 'confirmed' ? (r.amount_atomic ?? '0') : r.planned_atomic);
            return {
              address: r.address,
              session_id: r.session_id,
              asset: method?.id ?? `${r.token_symbol.toLowerCase()}@${change.chain_id}`,
              amount: formatAtomic(atomic, method?.decimals ?? 0),
            };
          }),
          review_reason: first.review_reason,
        },
      };
      await options.outbox.enqueue(tx, {
        type: change.type,
        livemode,
        session_id: null,
        session_seq: null,
        body: JSON.stringify(payload),
        at,
        endpointIds,
      });
    }
    // Before the commit: a worker that looks too early finds nothing and its next poll finds it.
    options.outbox.signal();
  };
}
