/**
 * Session views of every state the buyer can see, byte-stable for screenshots: the element's visual
 * suite (test/element/visual.test.ts, through helpers.ts) and the hosted page's
 * (test/e2e/hosted-page.e2e.test.ts) serve them instead of a real backend's answers. No DOM, no Node:
 * both the browser and Node tests import it.
 */
import type { BuyerSession } from '@crypto-checkout/protocol';

/**
 * Session views of every state the buyer can see, for tests that need a byte-stable screen (the
 * screenshot suite): fixed addresses, hashes and times, shaped as the real backend sends them (see
 * test/element/http-url.test.ts for the same seam). The clock is {@link FIXTURE_NOW}.
 */
export type FixtureState =
  | 'choosing'
  | 'waiting'
  | 'confirming'
  | 'paid'
  | 'underpaid'
  | 'expired'
  | 'canceled'
  | 'overpaid'
  | 'paid_late';

/** The fixtures' "now": a fixed instant, so that countdowns and dates never change between runs. */
export const FIXTURE_NOW = Date.parse('2026-03-14T15:09:26Z');

const FIXTURE_USDC = {
  id: 'usdc@anvil',
  token: 'USDC',
  kind: 'erc20' as const,
  family: 'evm' as const,
  token_address: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
  decimals: 6,
  chain_id: 31337,
  network: 'Anvil (local)',
  quote: { amount: '49.99', rate: '1', currency: 'USD', quoted_at: '2026-03-14T15:09:20Z' },
};
const FIXTURE_ETH = {
  id: 'eth@anvil',
  token: 'ETH',
  kind: 'native' as const,
  family: 'evm' as const,
  token_address: null,
  decimals: 18,
  chain_id: 31337,
  network: 'Anvil (local)',
  quote: { amount: '0.024995', rate: '2000', currency: 'USD', quoted_at: '2026-03-14T15:09:20Z' },
};
const FIXTURE_ADDRESS = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const FIXTURE_PAYER = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';

/** A fixture session in `state` (see {@link FixtureState}), with `overrides` on top. */
export function sessionFixture(state: FixtureState, overrides: Partial<BuyerSession> = {}): BuyerSession {
  const at = (offsetSeconds: number) => new Date(FIXTURE_NOW + offsetSeconds * 1000).toISOString();
  const chosen = state !== 'choosing';
  const received: Record<FixtureState, string | null> = {
    choosing: null,
    waiting: '0',
    confirming: '0',
    paid: '49.99',
    underpaid: '30',
    expired: '0',
    canceled: '0',
    overpaid: '55',
    paid_late: '49.99',
  };
  const status =
    (
      { choosing: 'open', waiting: 'open', confirming: 'processing' } as Record<
        string,
        BuyerSession['status']
      >
    )[state] ?? (state as BuyerSession['status']);
  const transfer = (amount: string, confirmations: number, late = false) => ({
    chain_id: 31337,
    network: 'Anvil (local)',
    token: 'USDC',
    token_address: FIXTURE_USDC.token_address,
    tx_hash: `0x${'7d3a'.repeat(16)}`,
    log_index: 0,
    block_number: 1042,
    block_hash: `0x${'cd'.repeat(32)}`,
    block_time: at(-60),
    from: FIXTURE_PAYER,
    amount,
    amount_atomic: String(Math.round(Number(amount) * 1e6)),
    confirmations,
    confirmations_required: 3,
    confirmed: confirmations >= 3,
    expected: true,
    late,
    seen_at: at(-58),
  });
  const transfers = {
    choosing: [],
    waiting: [],
    confirming: [transfer('49.99', 1)],
    paid: [transfer('49.99', 3)],
    underpaid: [transfer('30', 3)],
    expired: [],
    canceled: [],
    overpaid: [transfer('55', 3)],
    paid_late: [transfer('49.99', 3, true)],
  }[state];
  const due = state === 'underpaid' ? '19.99' : '49.99';
  const takesPayment = state === 'waiting' || state === 'underpaid';
  const uri = (amount: string) =>
    `ethereum:${FIXTURE_USDC.token_address}@31337/transfer?address=${FIXTURE_ADDRESS}&uint256=${Math.round(Number(amount) * 1e6)}`;
  return {
    id: 'cs_testfixture',
    status,
    amount: '49.99',
    currency: 'USD',
    order_id: 'A-10492',
    methods: [FIXTURE_USDC, FIXTURE_ETH],
    payment: chosen
      ? {
          ...FIXTURE_USDC,
          address: FIXTURE_ADDRESS,
          amount_due: '49.990000',
          amount_due_atomic: '49990000',
          rate: '1',
          confirmations_required: 3,
          uri: uri('49.99'),
          explorer_url: 'https://explorer.invalid',
          rate_locked_until: at(900),
          rate_sources: [],
        }
      : null,
    can_change_method: state === 'waiting',
    amount_received: received[state],
    amount_remaining: chosen ? (state === 'paid' || state === 'overpaid' ? '0' : due) : null,
    amount_overpaid: chosen ? (state === 'overpaid' ? '5.01' : '0') : null,
    pay_uri: takesPayment ? uri(due) : null,
    amount_payable: takesPayment ? due : null,
    watch_until: chosen ? at(3600) : null,
    transfers,
    success_url: 'https://shop.example/thanks',
    cancel_url: 'https://shop.example/cart',
    created_at: at(-300),
    expires_at: state === 'expired' ? at(-1) : at(1500),
    paid_at: ['paid', 'overpaid', 'paid_late'].includes(state) ? at(-30) : null,
    canceled_at: state === 'canceled' ? at(-10) : null,
    server_time: at(0),
    walletconnect_project_id: null,
    merchant: { name: null, logo_url: null },
    ...overrides,
  } as BuyerSession;
}
