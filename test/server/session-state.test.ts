/**
 * `computeSessionState` over many generated sessions (a seeded generator, so a failure names a case
 * that reproduces): whatever the timing of cancel, expiry, blocks and the watcher, a canceled or
 * expired session that received anything has a review reason, a cancel is ordered against
 * transfers by block, never by timestamp, and a transfer to the address of a method the buyer went
 * back from never counts and always flags the session.
 * @module
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { computeSessionState, type StatePolicy } from '../../packages/server/src/sessions/session-state.js';
import type {
  DepositRecord,
  SessionBundle,
  TransferRecord,
} from '../../packages/server/src/store/session-store.js';

/** mulberry32: a small seeded generator, so every case can be replayed from its seed. */
function generator(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  return {
    int,
    chance: (p: number) => next() < p,
    pick: <T>(items: readonly T[]) => items[int(0, items.length - 1)]!,
  };
}

const CHAIN = 31337;
const OTHER_CHAIN = 8453;
const USDC = '0x5fbdb2315678afecb367f032d93f642f64180aa3';
const T0 = Date.parse('2026-01-01T00:00:00Z');
const policy = (acceptLate: boolean): StatePolicy => ({
  accept_late_payments: acceptLate,
  confirmations: () => 1,
});

/** A random session around one moment: canceled or not, expired or not, with 0–3 transfers. */
function randomCase(seed: number): { bundle: SessionBundle; now: Date; acceptLate: boolean } {
  const g = generator(seed);
  const ms = (offsetSeconds: number) => new Date(T0 + offsetSeconds * 1000 + g.int(0, 999));
  const due = BigInt(g.int(1, 20)) * 1_000_000n;
  const deposit: DepositRecord = {
    session_id: 'cs_case',
    method: 'usdc@anvil',
    chain_id: CHAIN,
    token_symbol: 'USDC',
    token_address: USDC,
    decimals: 6,
    address: '0x0000000000000000000000000000000000000001',
    derivation_index: 0,
    amount_due_atomic: due,
    amount_min_atomic: due - BigInt(g.int(0, 1)) * 10_000n,
    rate: '1',
    rate_sources: [],
    rate_locked_until: null,
    confirmations_required: g.int(1, 3),
    created_at: ms(-100),
    watch_until: ms(10_000),
  };
  const canceled = g.chance(0.5);
  const cancelBlock = g.int(100, 110);
  const expiresAt = ms(g.int(-5, 5));
  const transfers: TransferRecord[] = Array.from({ length: g.int(0, 3) }, (_, i) => {
    const expected = g.chance(0.8);
    return {
      chain_id: expected || g.chance(0.5) ? CHAIN : OTHER_CHAIN,
      tx_hash: `0x${String(i).padStart(64, '0')}`,
      log_index: i,
      session_id: 'cs_case',
      address: deposit.address,
      token_address: expected ? USDC : g.pick([null, '0x00000000000000000000000000000000000000ff']),
      token_symbol: 'USDC',
      decimals: 6,
      from_address: '0x0000000000000000000000000000000000000002',
      amount_atomic: BigInt(g.int(1, 25)) * 500_000n,
      // Blocks around the cancel's, timestamps around the cancel's and the expiry's second, in any order.
      block_number: cancelBlock + g.int(-3, 3),
      block_hash: `0x${String(i).padStart(64, 'a')}`,
      block_time: new Date(Math.floor((T0 + g.int(-6, 6) * 1000) / 1000) * 1000),
      seen_at: ms(g.int(-6, 6)),
    };
  });
  return {
    bundle: {
      session: {
        id: 'cs_case',
        client_secret: 'cs_case_secret_x',
        status: 'open',
        amount: '10.00',
        currency: 'USD',
        order_id: null,
        metadata: {},
        methods: ['usdc@anvil'],
        success_url: null,
        cancel_url: null,
        created_at: ms(-100),
        expires_at: expiresAt,
        paid_at: null,
        canceled_at: canceled ? ms(g.int(-5, 5)) : null,
        canceled_at_block: canceled && g.chance(0.9) ? cancelBlock : null,
        review_reasons: [],
        livemode: false,
        fingerprint: '',
      },
      deposit,
      transfers,
      cursors: new Map([
        [CHAIN, cancelBlock + g.int(-3, 6)],
        [OTHER_CHAIN, cancelBlock + g.int(-3, 6)],
      ]),
    },
    now: ms(g.int(-5, 8)),
    acceptLate: g.chance(0.3),
  };
}

describe('session state: money on canceled and expired sessions', () => {
  const CASES = 5_000;

  test(`over ${CASES} generated sessions, a canceled or expired session with a transfer always has a review reason`, () => {
    let flagged = 0;
    for (let seed = 1; seed <= CASES; seed += 1) {
      const { bundle, now, acceptLate } = randomCase(seed);
      const state = computeSessionState(bundle, now, policy(acceptLate));
      if (!bundle.transfers.length || (state.status !== 'canceled' && state.status !== 'expired')) continue;
      flagged += 1;
      assert.ok(
        state.review_reasons.length > 0,
        `seed ${seed}: ${state.status} with transfers and no reason`,
      );
      if (state.status === 'canceled') {
        assert.ok(state.review_reasons.includes('canceled_with_payment'), `seed ${seed}`);
      }
    }
    // The generator must reach the cases that matter, or the loop above proves nothing.
    assert.ok(flagged > CASES / 5, `only ${flagged} canceled/expired sessions with transfers`);
  });

  test(`over ${CASES} generated sessions, a cancel with a recorded block orders transfers on its chain by block, not by timestamp`, () => {
    let checked = 0;
    for (let seed = 1; seed <= CASES; seed += 1) {
      const { bundle, now, acceptLate } = randomCase(seed);
      const atBlock = bundle.session.canceled_at_block;
      if (atBlock === null) continue;
      const state = computeSessionState(bundle, now, policy(acceptLate));
      for (const t of state.transfers.filter((t) => t.chain_id === CHAIN)) {
        checked += 1;
        assert.equal(t.late, t.block_number > atBlock, `seed ${seed}: block ${t.block_number} vs ${atBlock}`);
      }
      const lateExpected = state.transfers.some((t) => t.expected && t.late);
      assert.equal(state.review_reasons.includes('late_payment'), lateExpected, `seed ${seed}`);
    }
    assert.ok(checked > CASES / 5, `only ${checked} transfers checked`);
  });

  test('a transfer mined in the second of the cancel, one block after it, is after the cancel', () => {
    const { bundle } = randomCase(1);
    const canceledAt = new Date(T0 + 700);
    bundle.session.canceled_at = canceledAt;
    bundle.session.canceled_at_block = 100;
    bundle.session.expires_at = new Date(T0 + 1_800_000);
    bundle.deposit!.confirmations_required = 1;
    bundle.cursors.set(CHAIN, 101);
    bundle.transfers = [
      {
        ...randomCase(2).bundle.transfers[0]!,
        address: bundle.deposit!.address,
        chain_id: CHAIN,
        token_address: USDC,
        amount_atomic: bundle.deposit!.amount_due_atomic,
        block_number: 101,
        block_time: new Date(T0), // the whole second: earlier than the cancel by the clock
        seen_at: new Date(T0 + 900),
      },
    ];
    const state = computeSessionState(bundle, new Date(T0 + 1000), policy(false));
    assert.equal(state.status, 'canceled');
    assert.equal(state.received_atomic, bundle.deposit!.amount_due_atomic);
    assert.deepEqual(state.review_reasons, ['late_payment', 'canceled_with_payment']);
    assert.equal(state.transfers[0]!.late, true);

    bundle.transfers[0]!.block_number = 100; // in the head block the cancel recorded: before it
    const before = computeSessionState(bundle, new Date(T0 + 1000), policy(false));
    assert.deepEqual(before.review_reasons, ['canceled_with_payment']);
    assert.equal(before.transfers[0]!.late, false);
  });
});

describe('session state: money sent to an abandoned address', () => {
  const CASES = 3_000;
  const ABANDONED = '0x0000000000000000000000000000000000000003';

  test(`over ${CASES} generated sessions, a transfer to an abandoned address never counts and always flags the session`, () => {
    let checked = 0;
    for (let seed = 1; seed <= CASES; seed += 1) {
      const { bundle, now, acceptLate } = randomCase(seed);
      const g = generator(seed + 1_000_000);
      const abandoned = bundle.transfers.filter(() => g.chance(0.5));
      // Sent to the address of a method the buyer went back from: any token, even the current one.
      for (const t of abandoned) t.address = g.chance(0.5) ? ABANDONED : ABANDONED.toUpperCase();
      const state = computeSessionState(bundle, now, policy(acceptLate));
      const without = computeSessionState(
        { ...bundle, transfers: bundle.transfers.filter((t) => !abandoned.includes(t)) },
        now,
        policy(acceptLate),
      );
      // What counts is exactly what the session would show without them.
      assert.equal(state.status, without.status, `seed ${seed}`);
      assert.equal(state.received_atomic, without.received_atomic, `seed ${seed}`);
      assert.equal(state.payable_atomic, without.payable_atomic, `seed ${seed}`);
      // A canceled session flags every transfer it received, to whichever of its addresses.
      const others = (reasons: string[]) =>
        reasons.filter((r) => r !== 'paid_to_abandoned_address' && r !== 'canceled_with_payment');
      assert.deepEqual(others(state.review_reasons), others(without.review_reasons), `seed ${seed}`);
      assert.equal(
        state.review_reasons.includes('canceled_with_payment'),
        state.status === 'canceled' && bundle.transfers.length > 0,
        `seed ${seed}`,
      );
      assert.equal(state.review_reasons.includes('paid_to_abandoned_address'), abandoned.length > 0);
      for (const t of state.transfers) {
        assert.equal(t.abandoned_address, t.address.toLowerCase() === ABANDONED, `seed ${seed}`);
        if (t.abandoned_address) assert.equal(t.expected, false, `seed ${seed}`);
      }
      if (abandoned.length) checked += 1;
    }
    assert.ok(checked > CASES / 5, `only ${checked} sessions with a transfer to an abandoned address`);
  });

  test('with no method chosen (the buyer went back), a transfer is to an abandoned address', () => {
    const { bundle } = randomCase(3);
    bundle.session.canceled_at = null;
    bundle.session.expires_at = new Date(T0 + 1_800_000);
    bundle.transfers = [
      {
        chain_id: CHAIN,
        tx_hash: `0x${'1'.repeat(64)}`,
        log_index: 0,
        session_id: 'cs_case',
        address: ABANDONED,
        token_address: USDC,
        token_symbol: 'USDC',
        decimals: 6,
        from_address: '0x0000000000000000000000000000000000000002',
        amount_atomic: 10_000_000n,
        block_number: 100,
        block_hash: `0x${'a'.repeat(64)}`,
        block_time: new Date(T0),
        seen_at: new Date(T0),
      },
    ];
    bundle.deposit = null;
    const state = computeSessionState(bundle, new Date(T0), policy(false));
    assert.equal(state.status, 'open');
    assert.equal(state.received_atomic, 0n);
    assert.deepEqual(state.review_reasons, ['paid_to_abandoned_address']);
    assert.equal(state.transfers[0]!.abandoned_address, true);
  });
});
