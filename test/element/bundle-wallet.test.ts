/// <reference types="mocha" />
// This file loads only the production bundle (no source imports), as a page using the package would,
// and watches which of its chunks the browser fetches, and when.
import { expect, fixture, html } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import type { CryptoCheckout } from '../../src/element/index.js';
import type { Session } from '@crypto-checkout/protocol';
import { waitFor } from '../support/wait-for.js';

/** Resolves when the browser is idle, which is when the element would fetch a chunk it preloads. */
const idle = () => new Promise((resolve) => requestIdleCallback(resolve));

/** Paths of the bundle's files the page has fetched, in order. */
const fetched = () =>
  performance
    .getEntriesByType('resource')
    .map((entry) => new URL(entry.name).pathname)
    .filter((path) => path.includes('/crypto-checkout-test-bundle/'));

/** The fetched chunk named `name` (`wallet-panel`, `walletconnect-sdk`), or undefined. */
const chunk = (name: string) => fetched().find((path) => new RegExp(`/${name}-[\\w-]+\\.js$`).test(path));

const part = (el: CryptoCheckout, name: string) =>
  el.shadowRoot!.querySelector<HTMLElement>(`[part~="${name}"]`);

describe('the built bundle: wallet code loads after the first render', () => {
  it('fetches the wallet chunk once a payment is shown, and WalletConnect only when the buyer can choose it', async function () {
    this.timeout(60_000);
    // Storage WalletConnect might open at import time (it must not: only its init() may).
    const opened: string[] = [];
    const open = IDBFactory.prototype.open;
    IDBFactory.prototype.open = function (this: IDBFactory, ...args: Parameters<IDBFactory['open']>) {
      opened.push(args[0]);
      return open.apply(this, args);
    };
    try {
      const entry = await executeServerCommand<string, undefined>('build-bundle');
      await import(/* @vite-ignore */ entry);
      expect(fetched(), 'the first load is the entry alone').to.deep.equal([entry]);
      // The wallet panel's styles are in its chunk, not in the initial script.
      const walletRule = "[part~='wallet-option']";
      expect(await (await fetch(entry)).text()).to.not.include(walletRule);

      const { apiUrl } = await executeServerCommand<{ apiUrl: string }, undefined>('stack-info');
      const session = await executeServerCommand<Session, object>('stack-create-session', {
        methods: ['usdc@anvil', 'eth@anvil'],
      });
      const el = await fixture<CryptoCheckout>(
        html`<crypto-checkout session=${session.client_secret} api=${apiUrl}></crypto-checkout>`,
      );
      await waitFor(() => part(el, 'method'), 20_000, 'the methods are shown');
      await idle();
      await idle();
      expect(chunk('wallet-panel'), 'no wallet code while there is nothing to pay yet').to.equal(undefined);

      part(el, 'method')!.click();
      await waitFor(() => part(el, 'address'), 20_000, 'the payment is shown');
      const wallet = await waitFor(
        () => chunk('wallet-panel'),
        20_000,
        'the wallet chunk is fetched (visible or idle)',
      );
      expect(fetched().indexOf(wallet)).to.be.greaterThan(0);
      await idle();
      await idle();
      expect(chunk('walletconnect-sdk'), 'no WalletConnect without a project id').to.equal(undefined);
      expect(part(el, 'wallet'), 'no wallet on this page, so no panel').to.equal(null);

      el.setAttribute('walletconnect-project-id', 'test-project-0001');
      const option = await waitFor(() => part(el, 'wallet-option'), 20_000, 'WalletConnect is offered');
      expect(await (await fetch(wallet)).text()).to.include(walletRule);
      expect(getComputedStyle(option).display, "the wallet chunk's styles apply").to.equal('flex');
      const walletConnect = await waitFor(
        () => chunk('walletconnect-sdk'),
        20_000,
        'WalletConnect is fetched ahead of the tap',
      );
      // The chunk runs in a browser and starts nothing by being imported: no storage, no relay.
      const sdk = (await import(/* @vite-ignore */ walletConnect)) as { EthereumProvider: { init: unknown } };
      expect(typeof sdk.EthereumProvider.init).to.equal('function');
      expect(opened, 'indexedDB untouched').to.deep.equal([]);
      expect(await indexedDB.databases()).to.deep.equal([]);
      expect(
        fetched().some((path) => /appkit/i.test(path)),
        'WalletConnect modal never fetched',
      ).to.equal(false);
    } finally {
      IDBFactory.prototype.open = open;
    }
  });
});
