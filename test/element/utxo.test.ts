/// <reference types="mocha" />
/**
 * A Litecoin payment in the element (issue 16): the BIP21 URI in the QR code with the bech32
 * address upper-cased, the address shown and copied in lower case, the URI as the link to open a
 * wallet app, and no browser-wallet panel (EIP-1193 wallets cannot pay Bitcoin-like chains). The
 * backend's view is the recorded shape the server sends (test/server/utxo-litecoin.test.ts).
 */
import { expect, fixture, html } from '@open-wc/testing';
import type { BuyerSession } from '@crypto-checkout/protocol';
import '../../src/element/index.js';
import {
  expectedQrPaths,
  part,
  parts,
  qrPaths,
  sessionFixture,
  spyClipboard,
  text,
  until,
} from './helpers.js';

const ADDRESS = 'rltc1qvrk9gjpmd3qd4xzwt4ztuul0mwq8zrq3ya8pmu';
const LTC = {
  id: 'ltc@litecoin-regtest',
  token: 'LTC',
  kind: 'native' as const,
  family: 'utxo' as const,
  token_address: null,
  decimals: 8,
  chain_id: null,
  network: 'Litecoin (regtest)',
  quote: null,
};
const uri = (amount: string) => `litecoin:${ADDRESS.toUpperCase()}?amount=${amount}`;

/** A session paying 0.1 LTC, as the backend answers it, waiting for the payment. */
function ltcSession(): BuyerSession {
  const base = sessionFixture('waiting');
  return {
    ...base,
    methods: [LTC],
    payment: {
      ...base.payment!,
      ...LTC,
      address: ADDRESS,
      amount_due: '0.1',
      amount_due_atomic: '10000000',
      rate: '100',
      confirmations_required: 6,
      uri: uri('0.1'),
      explorer_url: null,
    },
    amount_received: '0',
    amount_remaining: '0.1',
    amount_payable: '0.1',
    pay_uri: uri('0.1'),
  };
}

describe('<crypto-checkout> paying in Litecoin', () => {
  it('encodes the BIP21 URI with the upper-case address in the QR code, shows no wallet panel, copies the address as is', async () => {
    const session = ltcSession();
    const realFetch = window.fetch;
    window.fetch = async () =>
      new Response(JSON.stringify(session), { status: 200, headers: { 'content-type': 'application/json' } });
    const clipboard = spyClipboard();
    try {
      const el = document.createElement('crypto-checkout');
      el.setAttribute('api', 'https://pay.test');
      el.setAttribute('session', 'cs_testfixture_secret_abcdefghijklmnop');
      await fixture(html`${el}`);
      const expected = await expectedQrPaths(uri('0.1'));
      await until(
        () => JSON.stringify(qrPaths(part(el, 'qr'))) === JSON.stringify(expected),
        'the QR code encodes the BIP21 URI',
      );
      expect(part(el, 'address')!.textContent).to.equal(ADDRESS);
      expect(text(el, 'amount-due')).to.equal('0.1');
      expect(text(el, 'network-warning')).to.contain('Litecoin (regtest)');
      parts(el, 'copy-button')[1]!.click();
      await until(() => clipboard.copied.length === 1, 'the address is copied');
      expect(clipboard.copied).to.deep.equal([ADDRESS]);
      await el.updateComplete;
      expect(part(el, 'wallet'), 'no browser wallet for a UTXO chain').to.equal(null);
      expect(part(el, 'pay-button')).to.equal(null);
      await expect(el).to.be.accessible();
    } finally {
      window.fetch = realFetch;
      clipboard.restore();
    }
  });
});
