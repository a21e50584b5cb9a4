/**
 * Stands in for `@reown/appkit/core`, WalletConnect's modal, in the element's bundle (an alias in
 * vite.config.ts). The element starts WalletConnect with `showQrModal: false` and draws the pairing
 * QR code and link itself, so the modal (about 575 KB gzip) would never be fetched; leaving it out
 * also keeps it out of dist/.
 * @module
 */

/** Throws: the modal is not bundled. */
export function createAppKit(): never {
  throw new Error(
    'crypto-checkout does not bundle the WalletConnect modal; start the provider with showQrModal: false',
  );
}
