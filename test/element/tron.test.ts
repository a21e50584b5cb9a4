/// <reference types="mocha" />
/**
 * A USDT (TRC-20) payment on TRON as the buyer sees it: the network named so that it cannot be
 * mistaken ("USDT · TRON (TRC-20)"), the warning that another network's USDT sent to the address is
 * lost, the TRX-for-energy note, a QR code of the bare T… address, no wallet button, and tronscan's
 * transaction link. The session views are the backend's for a TRON method (test/server/
 * tron-payment.test.ts holds the backend to this shape), served through the stubbed-fetch seam.
 */
import { expect } from '@open-wc/testing';
import type { BuyerSession } from '@crypto-checkout/protocol';
import { expectedQrPaths, mountStubbed, part, qrPaths, sessionFixture, text, until } from './helpers.js';

/** TronWeb's address for m/44'/195'/0'/0/0 of the well-known test mnemonic. */
const ADDRESS = 'TWer2Ygk5TEheHp3TPuYeqxmB6SsGZmaL6';
const TX_ID = '7d3a'.repeat(16);
const USDT_TRON = {
  id: 'usdt@tron',
  token: 'USDT',
  kind: 'trc20' as const,
  family: 'tron' as const,
  token_address: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t',
  decimals: 6,
  chain_id: 728126428,
  network: 'TRON',
  quote: { amount: '49.99', rate: '1', currency: 'USD', quoted_at: '2026-03-14T15:09:20Z' },
};

/** A fixture session in `state`, paying USDT on TRON as the backend describes it. */
function tronSession(state: 'waiting' | 'paid'): BuyerSession {
  const base = sessionFixture(state);
  return {
    ...base,
    methods: [USDT_TRON],
    payment: {
      ...base.payment!,
      ...USDT_TRON,
      address: ADDRESS,
      // The QR code holds the bare address: what TRON wallets scan.
      uri: ADDRESS,
      explorer_url: 'https://tronscan.org/#',
      confirmations_required: 20,
    },
    pay_uri: state === 'waiting' ? ADDRESS : null,
    transfers: base.transfers.map((t) => ({
      ...t,
      chain_id: 728126428,
      network: 'TRON',
      token: 'USDT',
      token_address: USDT_TRON.token_address,
      tx_hash: TX_ID,
      from: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t',
      to: ADDRESS,
      confirmations: 20,
      confirmations_required: 20,
    })),
  } as BuyerSession;
}

describe('<crypto-checkout> paying USDT on TRON', () => {
  it('names the network USDT · TRON (TRC-20), warns that other networks’ USDT is lost, and offers no wallet', async () => {
    // Wallets on: the element itself must leave them out for TRON.
    const { el, restore } = await mountStubbed(() => tronSession('waiting'), { wallet: true });
    try {
      await until(() => part(el, 'qr')?.querySelector('svg'), 'the QR code is drawn');
      expect(text(el, 'network')).to.equal('USDT · TRON (TRC-20)');
      expect(text(el, 'network-warning')).to.equal(
        'Send USDT on TRON (TRC-20) only. USDT sent to this address from another network (Ethereum, BNB Smart Chain, …) is lost.',
      );
      expect(text(el, 'address').replace(/\s/g, '')).to.equal(ADDRESS);
      expect(qrPaths(part(el, 'qr'))).to.deep.equal(await expectedQrPaths(ADDRESS));
      expect(part(el, 'qr')!.getAttribute('aria-label')).to.contain('on TRON (TRC-20) to');
      expect(text(el, 'note')).to.contain('burns about 6.4–13 TRX for energy');
      expect(part(el, 'wallet'), 'no browser wallet for TRON').to.equal(null);
      expect(part(el, 'open-in-wallet'), 'no ethereum: link').to.equal(null);
      await expect(el).to.be.accessible();
    } finally {
      restore();
    }
  });

  it("links the paid transfer to tronscan's transaction page", async () => {
    const { el, restore } = await mountStubbed(() => tronSession('paid'));
    try {
      await until(() => part(el, 'receipt'), 'the receipt is shown');
      expect(text(el, 'receipt')).to.contain('USDT · TRON (TRC-20)');
      const link = part(el, 'receipt-transaction') as HTMLAnchorElement;
      expect(link.getAttribute('href')).to.equal(`https://tronscan.org/#/transaction/${TX_ID}`);
    } finally {
      restore();
    }
  });
});
