/**
 * Styles of the wallet panel, in the lazily loaded wallet chunk rather than in the element's styles,
 * so that the initial script does not carry them. The panel adds them to its element's shadow root
 * ({@link adoptWalletStyles}); they come after the element's own, whose `--_*` colors they use.
 * @module
 */
import { css } from 'lit';

/** The rules of the wallet panel's parts (`wallet`, `wallet-option`, `pay-button`, …). */
export const walletStyles = css`
  [part~='wallet'] {
    display: grid;
    gap: 0.5rem;
    margin: 0.75rem 0 0;
  }
  [part~='wallet-heading'] {
    margin: 0;
    font-weight: 600;
  }
  [part~='wallet-option'] {
    display: flex;
    gap: 0.625rem;
    align-items: center;
    min-height: 2.75rem;
    text-align: start;
  }
  [part~='wallet-option']:hover {
    border-color: var(--_accent);
  }
  [part~='wallet-icon'] {
    flex: none;
    width: 1.75rem;
    height: 1.75rem;
    border-radius: 0.375rem;
  }
  [part~='wallet-qr'] {
    width: var(--checkout-qr-size, 12.5rem);
    max-width: 100%;
    margin: 0 auto;
    background: #fff;
  }
  [part~='wallet-qr'] svg {
    display: block;
    width: 100%;
    height: auto;
  }
  /* A hash reads left to right in every language. */
  [part~='wallet-transaction'] {
    unicode-bidi: isolate;
    font-family: var(--checkout-mono, ui-monospace, SFMono-Regular, Menlo, Consolas, monospace);
  }
  [part~='pay-button'],
  [part~='wallet-link'] {
    display: block;
    text-align: center;
    text-decoration: none;
    color: var(--_accent-fg);
    background: var(--_accent);
    border: 1px solid transparent;
    border-radius: calc(var(--checkout-radius, 12px) / 2);
    padding: 0.625rem 0.875rem;
  }
  [part~='pay-button'] {
    min-height: 2.75rem;
  }
  [part~='wallet-or'] {
    margin-top: 1rem;
  }
  @media (any-pointer: coarse) {
    /* Fingers need 44 px targets (WCAG 2.5.5). */
    [part~='wallet-link'] {
      min-height: 2.75rem;
    }
  }
`;

/**
 * Adds {@link walletStyles} to the shadow root of `host`, once: as a constructed stylesheet after the
 * element's own, or as a `<style>` where the browser cannot adopt stylesheets (as Lit itself does,
 * with the page's `litNonce` for a Content Security Policy).
 * @example adoptWalletStyles(checkout);
 */
export function adoptWalletStyles(host: HTMLElement): void {
  const root = host.shadowRoot;
  if (!root) return;
  const sheet = walletStyles.styleSheet;
  if (sheet) {
    if (!root.adoptedStyleSheets.includes(sheet))
      root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
    return;
  }
  if (root.querySelector('style[data-wallet]')) return;
  const style = document.createElement('style');
  const nonce = (globalThis as { litNonce?: string }).litNonce;
  if (nonce !== undefined) style.setAttribute('nonce', nonce);
  style.dataset.wallet = '';
  style.textContent = walletStyles.cssText;
  root.append(style);
}
