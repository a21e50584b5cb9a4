/// <reference types="mocha" />
/**
 * Screenshots of every state the buyer can see — choosing, waiting, confirming, paid, underpaid,
 * expired, canceled, error — on a 360×640 phone and a 1280×800 desktop, in the light and the dark
 * system theme, compared with the committed baselines (test/element/screenshots/; rewrite them with
 * `npm run test:element -- --files test/element/visual.test.ts --update-visual-baseline` after a
 * deliberate change, and look at the diff). The sessions are fixtures served by a stubbed `fetch`
 * (helpers.ts), with the clock stopped and motion reduced: a real backend gives a new address and a
 * new countdown every run, and a screenshot must not change between runs. The baselines belong to
 * this machine's Chromium and fonts. The modal (`<crypto-checkout-dialog>`, a sheet from the bottom on
 * a phone) is photographed too, waiting and paid, on the phone in both themes; the hosted page's
 * screenshots are in test/e2e/hosted-page.e2e.test.ts (the backend serves it).
 */
import { fixture, html } from '@open-wc/testing';
import { emulateMedia, setViewport } from '@web/test-runner-commands';
// @ts-expect-error -- the package's index.d.ts re-exports ./browser/commands.mjs, which has no .d.mts.
import { visualDiff as untypedVisualDiff } from '@web/test-runner-visual-regression';
import '../../src/element/index.js';
import type { CheckoutDialog, CryptoCheckout } from '../../src/element/index.js';
import { part, serveFixture, sessionFixture, type FixtureState } from './helpers.js';

/** Screenshots `element` and compares it with the baseline `name` (the plugin's browser command). */
const visualDiff = untypedVisualDiff as (element: Node, name: string) => Promise<void>;

/**
 * Resolves once `condition` holds, polling every frame; rejects after 10 s. Not `until` (helpers.ts):
 * the fixtures stop `Date.now`, by which `until` measures its timeout.
 */
async function settled(condition: () => unknown, what: string): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
}

const STATES: (FixtureState | 'error')[] = [
  'choosing',
  'waiting',
  'confirming',
  'paid',
  'underpaid',
  'expired',
  'canceled',
  'error',
];
const SIZES = [
  { name: 'phone', width: 360, height: 640 },
  { name: 'desktop', width: 1280, height: 800 },
] as const;

/** Mounts the element for one state and resolves once it shows everything it will (the QR code drawn). */
async function show(state: FixtureState | 'error'): Promise<{ el: CryptoCheckout; restore: () => void }> {
  const { restore } = serveFixture(state === 'error' ? 404 : sessionFixture(state));
  const el = document.createElement('crypto-checkout');
  el.setAttribute('api', 'https://pay.test');
  el.setAttribute('session', 'cs_testfixture_secret_abcdefghijklmnop');
  // The wallet chunk finds no wallet here and renders nothing; not loading it keeps the suite fast.
  el.toggleAttribute('no-wallet', true);
  await fixture(html`<div style="padding: 8px">${el}</div>`);
  try {
    await settled(
      () => (state === 'error' ? el.state === 'error' : el.state === 'ready'),
      `the ${state} state`,
    );
    if (state === 'waiting' || state === 'underpaid') {
      await settled(() => part(el, 'qr')?.querySelector('svg'), 'the QR code');
    }
  } catch (error) {
    restore();
    throw error;
  }
  await el.updateComplete;
  return { el, restore };
}

describe('<crypto-checkout> screenshots', () => {
  after(() => emulateMedia({ colorScheme: 'light', reducedMotion: 'no-preference' }));
  for (const size of SIZES) {
    for (const scheme of ['light', 'dark'] as const) {
      describe(`${size.name} ${size.width}×${size.height}, ${scheme}`, () => {
        before(async () => {
          await setViewport({ width: size.width, height: size.height });
          await emulateMedia({ colorScheme: scheme, reducedMotion: 'reduce' });
        });
        for (const state of STATES) {
          it(`looks as before: ${state}`, async () => {
            const { el, restore } = await show(state);
            try {
              await visualDiff(el, `${state}-${size.name}-${scheme}`);
            } finally {
              restore();
            }
          });
        }
      });
    }
  }
});

describe('<crypto-checkout-dialog> screenshots', () => {
  after(() => emulateMedia({ colorScheme: 'light', reducedMotion: 'no-preference' }));
  for (const scheme of ['light', 'dark'] as const) {
    describe(`phone 360×640, ${scheme}`, () => {
      before(async () => {
        await setViewport({ width: 360, height: 640 });
        await emulateMedia({ colorScheme: scheme, reducedMotion: 'reduce' });
      });
      for (const state of ['waiting', 'paid'] as const) {
        it(`looks as before: the modal, ${state}`, async () => {
          const { restore } = serveFixture(sessionFixture(state));
          const dialog = document.createElement('crypto-checkout-dialog') as CheckoutDialog;
          dialog.setAttribute('api', 'https://pay.test');
          dialog.setAttribute('session', 'cs_testfixture_secret_abcdefghijklmnop');
          dialog.setAttribute('theme', 'auto');
          dialog.toggleAttribute('no-wallet', true);
          try {
            await fixture(html`${dialog}`);
            dialog.show();
            const native = dialog.shadowRoot!.querySelector('dialog')!;
            await settled(() => native.querySelector('crypto-checkout'), 'the checkout in the dialog');
            const el = native.querySelector('crypto-checkout')!;
            await settled(() => el.state === 'ready', `the ${state} state`);
            if (state === 'waiting') await settled(() => part(el, 'qr')?.querySelector('svg'), 'the QR code');
            await el.updateComplete;
            await visualDiff(native, `modal-${state}-phone-${scheme}`);
            native.close();
          } finally {
            restore();
          }
        });
      }
    });
  }
});
