import type { ReviewReason, SessionStatus } from '@crypto-checkout/protocol';
import type { SessionBundle, TransferRecord } from '../store/session-store.js';

/** Settings that decide how transfers count, beyond what is stored with the session. */
export interface StatePolicy {
  /** A full payment after expiry fulfils (`paid`) instead of waiting for review (`paid_late`). */
  accept_late_payments: boolean;
  /** Confirmations a transfer needs on a chain (for transfers on a chain other than the chosen one). */
  confirmations(chainId: number): number;
}

/** A transfer with what follows from it: confirmations, whether it counts, whether it was late. */
export interface TransferState extends TransferRecord {
  confirmations: number;
  confirmations_required: number;
  confirmed: boolean;
  /** The chosen token on the chosen chain: only these count towards the amount. */
  expected: boolean;
  /** Sent after the cancel (by chain position) or after expiry; see {@link isLate}. */
  late: boolean;
  /**
   * Sent to the address of a method the buyer went back from (not the current deposit's): it never
   * counts and flags the session `paid_to_abandoned_address`.
   */
  abandoned_address: boolean;
}

/** Whether a transfer went to the session's current deposit address (addresses compare in any case). */
function toCurrentAddress(t: TransferRecord, bundle: SessionBundle): boolean {
  return !!bundle.deposit && t.address.toLowerCase() === bundle.deposit.address.toLowerCase();
}

/**
 * The transfers to the session's current deposit address: those that tie the buyer to the chosen
 * method. The others went to addresses of methods the buyer went back from.
 */
export function transfersToCurrentAddress(bundle: SessionBundle): TransferRecord[] {
  return bundle.transfers.filter((t) => toCurrentAddress(t, bundle));
}

/** What a session's transfers add up to, and the status that follows. */
export interface SessionState {
  status: SessionStatus;
  paid_at: Date | null;
  review_reasons: ReviewReason[];
  /** Changes whenever anything the buyer or merchant sees changes (status, transfers, confirmations). */
  fingerprint: string;
  /** Every transfer to the deposit address, oldest first. */
  transfers: TransferState[];
  /** Confirmed units of the chosen token received (in time or late). */
  received_atomic: bigint;
  /** Units still due; 0 once paid (also within the tolerance) or canceled. */
  remaining_atomic: bigint;
  /** Units received beyond the amount due. */
  overpaid_atomic: bigint;
  /** Units the buyer should still send, counting transfers still confirming; 0 when none. */
  payable_atomic: bigint;
}

/**
 * Whether a transfer came after the session's cut-off (its cancel, else its expiry).
 *
 * A cancel is ordered against transfers by chain position: `canceled_at_block` is the highest block
 * of the deposit's chain the server knew when the merchant canceled, and a transfer on that chain in
 * a block above it was sent after the cancel. Seconds cannot order them: a block's timestamp has whole
 * seconds (a transfer mined in the second of the cancel would look earlier than it), and a watcher
 * that is behind sees on-time transfers late.
 *
 * Without a recorded position (an expiry, a transfer on another chain, a cancel stored before the
 * position was) it is late when both mined and first seen after the cut-off: block timestamps may
 * run ahead of the clock, and a watcher catching up after an outage sees on-time payments late.
 * Either way a canceled session flags every transfer it received (`canceled_with_payment`), and an
 * expired one every transfer that did not make it paid, so a misjudged edge never leaves money
 * unflagged — it only decides between `late_payment` and the other reasons.
 */
function isLate(t: TransferRecord, bundle: SessionBundle): boolean {
  const { session, deposit } = bundle;
  if (session.canceled_at && session.canceled_at_block !== null && t.chain_id === deposit?.chain_id) {
    return t.block_number > session.canceled_at_block;
  }
  const cutoff = session.canceled_at ?? session.expires_at;
  return t.block_time > cutoff && t.seen_at > cutoff;
}

/**
 * Computes a session's status from its stored transfers and the chain cursors. Pure: the inputs are
 * the bundle, `now` and the policy, so the same data gives the same answer on every instance, and a
 * transfer removed by a reorganisation reverts the status by itself.
 *
 * In order:
 * - `canceled` once the merchant canceled it (transfers seen later are recorded and flagged
 *   `canceled_with_payment`, and `late_payment` when sent after the cancel: see {@link isLate});
 * - `paid` / `overpaid` once confirmed transfers sent in time reach the amount due less the
 *   tolerance (a session is never paid below its confirmation threshold);
 * - `processing` while a transfer sent in time is collecting confirmations (also past expiry);
 * - before expiry: `underpaid` with some confirmed units received, else `open`;
 * - after expiry: `paid_late` (or `paid`/`overpaid` when late payments are accepted) if everything
 *   received, late transfers included, reaches the amount; else `expired`.
 *
 * Money is never left unflagged: a `canceled` or `expired` session with any transfer always has a
 * review reason (`canceled_with_payment`; `partial_payment`, `late_payment` or `unexpected_asset`),
 * and so has every session with a transfer to the address of a method the buyer went back from
 * (`paid_to_abandoned_address`: recorded, never counted toward the current method).
 */
export function computeSessionState(bundle: SessionBundle, now: Date, policy: StatePolicy): SessionState {
  const { session, deposit, cursors } = bundle;
  const transfers: TransferState[] = bundle.transfers.map((t) => {
    // A session's transfers all went to its deposit addresses: one that is not the current one's
    // went to an abandoned method's address, and never counts (even in the same token, when the
    // buyer went back and chose the same method again, which derives a new address).
    const abandoned = !toCurrentAddress(t, bundle);
    const expected =
      !abandoned && !!deposit && t.chain_id === deposit.chain_id && t.token_address === deposit.token_address;
    const required = expected ? deposit.confirmations_required : policy.confirmations(t.chain_id);
    const cursor = cursors.get(t.chain_id);
    const confirmations = cursor === undefined ? 0 : Math.max(0, cursor - t.block_number + 1);
    return {
      ...t,
      confirmations,
      confirmations_required: required,
      confirmed: confirmations >= required,
      expected,
      late: isLate(t, bundle),
      abandoned_address: abandoned,
    };
  });
  let inTime = 0n;
  let late = 0n;
  let pending = 0n;
  let pendingInTime = false;
  for (const t of transfers) {
    if (!t.expected) continue;
    if (!t.confirmed) {
      pending += t.amount_atomic;
      if (!t.late) pendingInTime = true;
    } else if (t.late) late += t.amount_atomic;
    else inTime += t.amount_atomic;
  }
  const received = inTime + late;
  const due = deposit?.amount_due_atomic ?? 0n;
  const min = deposit?.amount_min_atomic ?? due;
  const fulfilled = (): SessionStatus => (received > due ? 'overpaid' : 'paid');

  let status: SessionStatus;
  if (session.canceled_at) status = 'canceled';
  else if (deposit && inTime >= min) status = fulfilled();
  else if (pendingInTime) status = 'processing';
  else if (now < session.expires_at) status = inTime > 0n ? 'underpaid' : 'open';
  else if (deposit && received >= min) status = policy.accept_late_payments ? fulfilled() : 'paid_late';
  else status = 'expired';

  const reasons: ReviewReason[] = [];
  if (status === 'expired' && received > 0n) reasons.push('partial_payment');
  if (transfers.some((t) => t.expected && t.late)) reasons.push('late_payment');
  if (received > due && status !== 'expired') reasons.push('overpayment');
  if (transfers.some((t) => !t.expected && !t.abandoned_address)) reasons.push('unexpected_asset');
  // Money sent to a method the buyer went back from: recorded, never counted, always for review
  // (refund it, or accept it by hand), whatever the session's status.
  if (transfers.some((t) => t.abandoned_address)) reasons.push('paid_to_abandoned_address');
  // Whatever the timing: the cancel refuses a session with a recorded transfer, so each of these was
  // seen after the cancel — sent before it (the watcher had not reached its block) or after it.
  if (status === 'canceled' && transfers.length) reasons.push('canceled_with_payment');

  const settled = status === 'paid' || status === 'overpaid' || status === 'paid_late';
  const remaining = settled || status === 'canceled' || received >= due ? 0n : due - received;
  const takesPayment = status === 'open' || status === 'underpaid' || status === 'processing';
  const payable = takesPayment && due > received + pending ? due - received - pending : 0n;
  const fingerprint = [
    status,
    deposit?.method ?? '-',
    reasons.join(','),
    ...transfers.map(
      (t) =>
        `${t.chain_id}:${t.tx_hash}:${t.log_index}:${Math.min(t.confirmations, t.confirmations_required)}`,
    ),
  ].join('|');
  return {
    status,
    paid_at: settled ? (session.paid_at ?? now) : null,
    review_reasons: reasons,
    fingerprint,
    transfers,
    received_atomic: received,
    remaining_atomic: remaining,
    overpaid_atomic: received > due ? received - due : 0n,
    payable_atomic: payable,
  };
}
