/// <reference types="mocha" />
// Runs in the "mobile" group of web-test-runner.config.mjs: a 320 px wide touch screen inside an
// Android app's webview (user agent with `; wv`).
import { expect } from '@open-wc/testing';
import { executeServerCommand, setViewport } from '@web/test-runner-commands';
import { mountUsdc, part, parts, stack, until } from '../helpers.js';
import { disposeWallets, fundedWallet, walletOption } from '../wallet-helpers.js';

/** A tap on the touch screen, through Playwright (a real touch event sequence, not a click()). */
const tap = (selector: string) => executeServerCommand<boolean, object>('tap', { selector });

/** Messages the native app received, per bridge, parsed. */
type Posted = { source: string; version: number; type: string; detail: Record<string, unknown> };

/** Installs the three bridges a native app can put into its webview, recording what they receive. */
function installBridges() {
  const received: Record<'reactNative' | 'ios' | 'android', string[]> = {
    reactNative: [],
    ios: [],
    android: [],
  };
  const w = window as unknown as Record<string, unknown>;
  w.ReactNativeWebView = { postMessage: (m: string) => received.reactNative.push(m) };
  w.webkit = { messageHandlers: { cryptoCheckout: { postMessage: (m: string) => received.ios.push(m) } } };
  w.CryptoCheckoutAndroid = { postMessage: (m: string) => received.android.push(m) };
  return {
    received,
    messages: () => received.android.map((m) => JSON.parse(m) as Posted),
    remove: () => {
      delete w.ReactNativeWebView;
      delete w.webkit;
      delete w.CryptoCheckoutAndroid;
    },
  };
}

describe('<crypto-checkout> on a phone, in a native app webview', () => {
  // The test runner sizes every page 800 × 600; the phone is narrower.
  before(() => setViewport({ width: 320, height: 640 }));
  let bridges: ReturnType<typeof installBridges>;
  beforeEach(() => (bridges = installBridges()));
  afterEach(() => {
    bridges.remove();
    disposeWallets();
  });

  it('runs in an emulated phone webview', () => {
    expect(window.innerWidth).to.equal(320);
    expect(navigator.userAgent).to.contain('; wv)');
    expect(navigator.maxTouchPoints).to.be.greaterThan(0);
    expect(matchMedia('(pointer: coarse)').matches).to.equal(true);
  });

  it('fits 320 px with large touch targets and an "Open in wallet app" link for the EIP-681 URI', async () => {
    await fundedWallet({ usdc: '0', eth: '0' });
    const { el, session } = await mountUsdc();
    await walletOption(el, 'Dev wallet');
    const { pay_uri } = await (
      await fetch(`${(await stack.info()).apiUrl}/v1/sessions/${session.id}`, {
        headers: { authorization: `Bearer ${session.client_secret}` },
      })
    ).json();
    const link = part(el, 'open-in-wallet') as HTMLAnchorElement;
    expect(link.getAttribute('href')).to.equal(pay_uri);
    expect(getComputedStyle(link).display).to.not.equal('none');

    expect(document.documentElement.scrollWidth, 'no sideways scrolling').to.be.at.most(320);
    expect(el.getBoundingClientRect().right).to.be.at.most(320);
    for (const target of [...parts(el, 'wallet-option'), ...parts(el, 'copy-button'), link]) {
      const box = target.getBoundingClientRect();
      expect(box.height, `${target.getAttribute('part')} is at least 44 px high`).to.be.at.least(44);
      expect(box.right, `${target.getAttribute('part')} fits`).to.be.at.most(320);
    }
    await expect(el).to.be.accessible();
  });

  it('pays by tapping the in-app wallet and posts every status to the native app', async () => {
    const wallet = await fundedWallet();
    const { el, events } = await mountUsdc();
    await walletOption(el, 'Dev wallet');

    await tap('[part~="wallet-option"]');
    await until(() => part(el, 'pay-button'), 'the Pay button is shown');
    await tap('[part~="pay-button"]');
    await until(() => el.status === 'processing', 'the payment is seen');
    await stack.mine(1);
    await events.next('checkout-paid');
    await until(() => bridges.messages().some((m) => m.type === 'checkout-paid'), 'checkout-paid is posted');

    const messages = bridges.messages();
    for (const m of messages) expect([m.source, m.version]).to.deep.equal(['crypto-checkout', 1]);
    const statuses = messages
      .filter((m) => m.type === 'checkout-status-change')
      .map((m) => `${m.detail.previousStatus}→${m.detail.status}`);
    expect(statuses).to.deep.equal(['null→open', 'open→processing', 'processing→paid']);
    const sent = messages.find((m) => m.type === 'checkout-transaction-sent')!;
    expect(sent.detail).to.deep.include({ chainId: 31337, wallet: 'Dev wallet' });
    expect(sent.detail.txHash).to.match(/^0x[0-9a-f]{64}$/);
    expect(messages.map((m) => m.type)).to.include.members(['checkout-paid']);
    expect(
      (messages.find((m) => m.type === 'checkout-paid')!.detail.session as { status: string }).status,
    ).to.equal('paid');
    // Every bridge gets the same messages.
    expect(bridges.received.ios).to.deep.equal(bridges.received.android);
    expect(bridges.received.reactNative).to.deep.equal(bridges.received.android);
    expect(wallet.requests.map((r) => r.method)).to.include('eth_sendTransaction');
  });
});
