/**
 * The demo's pages, in one list: the shop's landing page links each of them (demo/index.html),
 * `npm run demo` prints them, and test/e2e/demo.e2e.test.ts opens every one from the landing page.
 * @module
 */

/** One page of the demo shop. */
export interface DemoPage {
  /** Its path on the shop's server. */
  path: string;
  /** Its name on the landing page. */
  title: string;
  /** What it shows, in one line. */
  line: string;
}

/** Every page of the demo shop, the landing page first. */
export const DEMO_PAGES: readonly DemoPage[] = [
  { path: '/', title: 'Shop', line: 'the element in the page, created when the buyer picks an item' },
  {
    path: '/modal.html',
    title: 'Modal',
    line: 'CryptoCheckout.open() and <crypto-checkout-button> open it in a dialog',
  },
  { path: '/script-tag.html', title: 'Script tag', line: 'one classic <script src>, no modules, no build' },
  { path: '/react.html', title: 'React', line: '<CryptoCheckout> from crypto-checkout/react' },
  { path: '/vue.html', title: 'Vue', line: 'the element in a Vue template' },
  { path: '/svelte.html', title: 'Svelte', line: 'the element in a Svelte 5 component' },
  {
    path: '/webview.html',
    title: 'Webview',
    line: 'a phone-width page for a native app, with the app bridge',
  },
  {
    path: '/hosted',
    title: 'Hosted page',
    line: "a redirect to the backend's own checkout page (checkout_url)",
  },
];
