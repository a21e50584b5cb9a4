import { isTerminalStatus, type SessionStatus } from '../../protocol/index.js';
import type { SessionBundle, TransferRecord } from '../store/session-store.js';

/** What a session's transfers add up to, and the status that follows. */
export interface SessionState {
  status: SessionStatus;
  paid_at: Date | null;
  /** Changes whenever anything the buyer sees changes (status, transfers, confirmations). */
  fingerprint: string;
  /** Transfers of the chosen token to the deposit address. */
  transfers: (TransferRecord & { confirmations: number })[];
  received_atomic: bigint;
  remaining_atomic: bigint;
}

/**
 * Computes a session's status from its stored transfers and the chain cursor. Pure: the only inputs
 * are the bundle and `now`, so the same data always gives the same answer on every instance.
 * - `paid` once confirmed transfers of the chosen token reach the amount due;
 * - `processing` while any transfer is below the required confirmations (also past expiry: a
 *   transfer seen in time may finish confirming);
 * - `underpaid` when confirmed transfers add up to less than due;
 * - `expired` when the expiry time has passed with no transfer still confirming;
 * - terminal statuses never change.
 */
export function computeSessionState(bundle: SessionBundle, now: Date): SessionState {
  const { session, deposit, cursor } = bundle;
  const required = deposit?.confirmations_required ?? 1;
  const transfers = deposit
    ? bundle.transfers
        .filter((t) => t.token_address === deposit.token_address && t.chain_id === deposit.chain_id)
        .map((t) => ({ ...t, confirmations: cursor === null ? 0 : Math.max(0, cursor - t.block_number + 1) }))
    : [];
  let received = 0n;
  let pending = false;
  for (const t of transfers) {
    if (t.confirmations >= required) received += t.amount_atomic;
    else pending = true;
  }
  const due = deposit?.amount_due_atomic ?? 0n;
  let status: SessionStatus;
  if (isTerminalStatus(session.status)) status = session.status;
  else if (deposit && received >= due) status = 'paid';
  else if (pending) status = 'processing';
  else if (now >= session.expires_at) status = 'expired';
  else if (received > 0n) status = 'underpaid';
  else status = 'open';
  const paid_at = status === 'paid' ? (session.paid_at ?? now) : session.paid_at;
  const fingerprint = [
    status,
    deposit?.method ?? '-',
    ...transfers.map((t) => `${t.tx_hash}:${t.log_index}:${Math.min(t.confirmations, required)}`),
  ].join('|');
  return {
    status,
    paid_at,
    fingerprint,
    transfers,
    received_atomic: received,
    remaining_atomic: due > received ? due - received : 0n,
  };
}
