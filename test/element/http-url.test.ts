/// <reference types="mocha" />
/**
 * The element renders an `href` only for an http(s) URL, whatever the backend sends: a session whose
 * `success_url` or `explorer_url` says `javascript:` (a compromised or misconfigured backend; the
 * real one refuses them) renders the text without a link. The backend is a stubbed `fetch` here,
 * because the real one cannot be made to send such a session.
 */
import { expect, fixture, html } from '@open-wc/testing';
import type { BuyerSession } from '@crypto-checkout/protocol';
import '../../src/element/index.js';
import type { CryptoCheckout } from '../../src/element/index.js';
import { httpUrl } from '../../src/element/http-url.js';
import { part, parts, until } from './helpers.js';

const API = 'https://pay.test';
const USDC = {
  id: 'usdc@anvil',
  token: 'USDC',
  kind: 'erc20' as const,
  family: 'evm' as const,
  token_address: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
  decimals: 6,
  chain_id: 31337,
  network: 'Anvil (local)',
  quote: null,
};
const ADDRESS = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const TX = `0x${'ab'.repeat(32)}`;

const HOSTILE = [
  'javascript:alert(1)',
  'JAVASCRIPT:alert(1)',
  ' javascript:alert(1)',
  'java\tscript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'vbscript:msgbox(1)',
  '//evil.example',
  'https:evil.example',
];

/** A paid session with one transfer, its links as `links` says. */
function paidSession(links: { success_url: string; explorer_url: string }): BuyerSession {
  const now = new Date().toISOString();
  return {
    id: 'cs_test',
    status: 'paid',
    amount: '10.00',
    currency: 'USD',
    order_id: null,
    methods: [USDC],
    payment: {
      ...USDC,
      address: ADDRESS,
      amount_due: '10',
      amount_due_atomic: '10000000',
      rate: '1',
      rate_locked_until: null,
      rate_sources: [],
      confirmations_required: 1,
      uri: `ethereum:${USDC.token_address}@31337/transfer?address=${ADDRESS}&uint256=10000000`,
      explorer_url: links.explorer_url,
    },
    can_change_method: false,
    amount_received: '10',
    amount_remaining: '0',
    amount_overpaid: '0',
    pay_uri: null,
    amount_payable: '0',
    watch_until: now,
    transfers: [
      {
        chain_id: 31337,
        network: 'Anvil (local)',
        token: 'USDC',
        token_address: USDC.token_address,
        tx_hash: TX,
        log_index: 0,
        block_number: 7,
        block_hash: `0x${'cd'.repeat(32)}`,
        block_time: now,
        from: ADDRESS,
        amount: '10',
        amount_atomic: '10000000',
        confirmations: 1,
        confirmations_required: 1,
        confirmed: true,
        expected: true,
        late: false,
        to: ADDRESS,
        abandoned_address: false,
        seen_at: now,
      },
    ],
    success_url: links.success_url,
    cancel_url: null,
    created_at: now,
    expires_at: new Date(Date.now() + 600_000).toISOString(),
    paid_at: now,
    canceled_at: null,
    server_time: now,
    walletconnect_project_id: null,
    merchant: { name: null, logo_url: null },
  };
}

/** Mounts the element against a backend that answers every request with `session`. */
async function mountWith(session: BuyerSession): Promise<CryptoCheckout> {
  window.fetch = async () =>
    new Response(JSON.stringify(session), { status: 200, headers: { 'content-type': 'application/json' } });
  const el = document.createElement('crypto-checkout');
  el.setAttribute('api', API);
  el.setAttribute('session', 'cs_test_secret_abcdefghijklmnop');
  await fixture(html`${el}`);
  await until(
    () => el.status === 'paid' && parts(el, 'receipt-transaction').length > 0,
    'the paid session is shown',
  );
  await el.updateComplete;
  return el;
}

describe('links the element renders', () => {
  const realFetch = window.fetch;
  afterEach(() => {
    window.fetch = realFetch;
  });

  it('httpUrl passes absolute http(s) URLs only', () => {
    expect(httpUrl('https://shop.example/thanks?order=7')).to.equal('https://shop.example/thanks?order=7');
    expect(httpUrl('HTTP://localhost:3000/')).to.equal('HTTP://localhost:3000/');
    for (const url of [...HOSTILE, '', null, undefined, 'https://']) {
      expect(httpUrl(url), String(url)).to.equal(null);
    }
  });

  it('renders the success link and transaction links for https URLs', async () => {
    const el = await mountWith(
      paidSession({ success_url: 'https://shop.example/thanks', explorer_url: 'https://explorer.test/' }),
    );
    expect((part(el, 'success-link') as HTMLAnchorElement).href).to.equal('https://shop.example/thanks');
    const transfer = part(el, 'receipt-transaction')!;
    expect(transfer.tagName).to.equal('A');
    expect((transfer as HTMLAnchorElement).href).to.equal(`https://explorer.test/tx/${TX}`);
  });

  for (const url of HOSTILE) {
    it(`renders no link for ${JSON.stringify(url)}, and still shows the transfer`, async () => {
      const el = await mountWith(paidSession({ success_url: url, explorer_url: url }));
      // Compared as text: a failure then reports the markup rather than a DOM node.
      expect(part(el, 'success-link')?.outerHTML ?? null).to.equal(null);
      const transfer = part(el, 'receipt-transaction')!;
      expect(transfer.tagName).to.equal('SPAN');
      expect(transfer.textContent).to.equal('0xabab…abab');
      for (const anchor of el.shadowRoot!.querySelectorAll<HTMLAnchorElement>('a[href]')) {
        expect(new URL(anchor.href).protocol, anchor.outerHTML).to.match(/^https?:$/);
      }
    });
  }
});
