/// <reference types="mocha" />
// This file loads only the production bundle (no source imports), as a page using the package would.
import { expect, fixture, html } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import type { CryptoCheckout } from '../../src/element/index.js';
import type { Session } from '@crypto-checkout/protocol';
import { waitFor } from '../support/wait-for.js';

describe('the built bundle', () => {
  it('registers the element, tolerates being loaded twice and loads the QR encoder lazily', async function () {
    this.timeout(60_000);
    const entry = await executeServerCommand<string, undefined>('build-bundle');
    const first = (await import(/* @vite-ignore */ entry)) as { CryptoCheckout: CustomElementConstructor };
    expect(customElements.get('crypto-checkout')).to.equal(first.CryptoCheckout);
    // A second copy (another URL, so the module runs again) must not throw "already been used".
    const second = (await import(/* @vite-ignore */ `${entry}?copy`)) as {
      CryptoCheckout: CustomElementConstructor;
    };
    expect(second.CryptoCheckout).to.not.equal(first.CryptoCheckout);
    expect(customElements.get('crypto-checkout')).to.equal(first.CryptoCheckout);
    const qrChunk = () =>
      performance.getEntriesByType('resource').find((e) => /\/qr-[\w-]+\.js$/.test(new URL(e.name).pathname));
    expect(qrChunk(), 'the QR chunk is not part of the first load').to.equal(undefined);

    const { apiUrl } = await executeServerCommand<{ apiUrl: string }, undefined>('stack-info');
    const session = await executeServerCommand<Session, object>('stack-create-session', {
      methods: ['usdc@anvil'],
    });
    const el = await fixture<CryptoCheckout>(
      html`<crypto-checkout session=${session.client_secret} api=${apiUrl}></crypto-checkout>`,
    );
    const svg = await waitFor(
      () => el.shadowRoot!.querySelector('[part~="qr"] svg'),
      20_000,
      'the QR code is drawn',
    );
    expect(svg.querySelectorAll('path').length).to.be.greaterThan(0);
    expect(qrChunk(), 'the QR chunk was fetched').to.not.equal(undefined);
  });
});
