import { css } from 'lit';

/**
 * The dark color scheme. Every color is a `--checkout-*` custom property with the scheme's default as
 * its fallback, so that a page's own colors win in both schemes; the internal `--_*` names are what the
 * rules below use.
 */
const dark = css`
  color-scheme: dark;
  --_fg: var(--checkout-fg, #f3f4f6);
  --_bg: var(--checkout-bg, #111827);
  --_muted: var(--checkout-muted, #9ca3af);
  --_border: var(--checkout-border, #374151);
  --_accent: var(--checkout-accent, #a5b4fc);
  --_accent-fg: var(--checkout-accent-fg, #111827);
  --_success: var(--checkout-success, #34d399);
  --_warning: var(--checkout-warning, #fbbf24);
  --_danger: var(--checkout-danger, #f87171);
`;

/**
 * The colors of every element of the package, by its `theme` attribute: light, dark, or auto (the
 * system's `prefers-color-scheme`). Rules use the internal `--_*` names.
 */
export const palette = css`
  :host {
    color-scheme: light;
    --_fg: var(--checkout-fg, #111827);
    --_bg: var(--checkout-bg, #fff);
    --_muted: var(--checkout-muted, #6b7280);
    --_border: var(--checkout-border, #e5e7eb);
    --_accent: var(--checkout-accent, #4f46e5);
    --_accent-fg: var(--checkout-accent-fg, #fff);
    --_success: var(--checkout-success, #047857);
    --_warning: var(--checkout-warning, #b45309);
    --_danger: var(--checkout-danger, #b91c1c);
  }
  :host([theme='dark']) {
    ${dark}
  }
  @media (prefers-color-scheme: dark) {
    :host([theme='auto']) {
      ${dark}
    }
  }
`;

/**
 * Styles of `<crypto-checkout>`, after {@link palette}. Themable through the `--checkout-*` custom
 * properties, the `theme` attribute and parts. Spacing uses logical properties, so that right-to-left
 * languages mirror the layout. The wallet panel's rules are in its lazily loaded chunk
 * (wallet/wallet-panel.styles.ts).
 */
export const styles = css`
  :host {
    display: block;
    box-sizing: border-box;
    max-width: 28rem;
    min-width: 0;
    padding: 1.25rem;
    font: 400 1rem/1.45 var(--checkout-font, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif);
    color: var(--_fg);
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: var(--checkout-radius, 12px);
  }
  :host([hidden]) {
    display: none;
  }
  /* Addresses and amounts read left to right in every language. */
  code {
    unicode-bidi: isolate;
  }
  * {
    box-sizing: border-box;
  }
  p {
    margin: 0.5rem 0;
  }
  /* Phone first: amount, QR, address, countdown and the wallet action fit 360×640 without scrolling. */
  [part~='header'] {
    display: flex;
    flex-wrap: wrap;
    align-items: baseline;
    justify-content: space-between;
    gap: 0 0.75rem;
  }
  [part~='merchant'] {
    display: flex;
    align-items: center;
    gap: 0.5em;
    font-weight: 600;
  }
  [part~='merchant-logo'] {
    height: 2em;
  }
  [part~='header'] p {
    margin: 0;
  }
  [part~='amount'] {
    font-size: 1.75rem;
    font-weight: 650;
    line-height: 1.2;
  }
  [part~='countdown'] {
    font-variant-numeric: tabular-nums;
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
  }
  .muted,
  dt,
  summary,
  [part~='order'],
  [part~='countdown'],
  [part~='note'] {
    color: var(--_muted);
    font-size: 0.875rem;
  }
  [part~='status'] {
    font-weight: 600;
  }
  :host([status='paid']) [part~='status'],
  :host([status='overpaid']) [part~='status'] {
    color: var(--_success);
  }
  :host([status='underpaid']) [part~='status'],
  :host([status='paid_late']) [part~='status'],
  [part~='warning'] {
    color: var(--_warning);
  }
  [part~='status-detail'] {
    display: block;
    margin-top: 0.25rem;
    font-weight: 400;
    color: var(--_fg);
  }
  [part~='warning'] {
    padding: 0.5rem 0.75rem;
    border: 1px solid currentColor;
    border-radius: calc(var(--checkout-radius, 12px) / 2);
  }
  [part~='error'],
  :host([state='error']) [part~='status'] {
    color: var(--_danger);
  }
  [part~='confirmations'] {
    width: 100%;
    accent-color: var(--_accent);
  }
  [part~='methods'] {
    display: grid;
    gap: 0.5rem;
  }
  button,
  [part~='success-link'],
  [part~='restart'] {
    font: inherit;
    color: var(--_fg);
    background: transparent;
    border: 1px solid var(--_border);
    border-radius: calc(var(--checkout-radius, 12px) / 2);
    padding: 0.5rem 0.875rem;
    cursor: pointer;
  }
  [part~='method'] {
    text-align: start;
  }
  [part~='method']:hover,
  [part~='change-method']:hover,
  [part~='copy-button']:hover {
    border-color: var(--_accent);
  }
  [part~='retry-button'],
  [part~='success-link'],
  [part~='restart'] {
    display: inline-block;
    color: var(--_accent-fg);
    background: var(--_accent);
    border-color: transparent;
    text-decoration: none;
  }
  button:disabled {
    cursor: progress;
    opacity: 0.6;
  }
  :focus-visible {
    outline: 2px solid var(--_accent);
    outline-offset: 2px;
  }
  code {
    min-width: 0;
    font: 500 0.9375rem/1.4 var(--checkout-mono, ui-monospace, SFMono-Regular, Menlo, Consolas, monospace);
    overflow-wrap: anywhere;
  }
  /* Here, not in the payment extras: the plain view drawn without them shows the QR code too. */
  [part~='qr'] {
    width: var(--checkout-qr-size, min(12.5rem, 46vw));
    max-width: 100%;
    margin: 0.5rem auto;
    /* Dark modules on white in either scheme: scanners expect it. */
    padding: 0.5rem;
    background: #fff;
    border-radius: calc(var(--checkout-radius, 12px) / 2);
  }
  [part~='qr'] svg {
    display: block;
    width: 100%;
    height: auto;
  }
  [part~='copy-button'] {
    flex: none;
    padding: 0.125rem 0.5rem;
    font-size: 0.8125rem;
  }
  [part~='spinner'] {
    display: inline-block;
    width: 1em;
    height: 1em;
    margin-inline-end: 0.5em;
    vertical-align: -0.125em;
    border: 2px solid currentColor;
    border-inline-end-color: transparent;
    border-radius: 50%;
    animation: spin 0.8s linear infinite;
  }
  @keyframes spin {
    to {
      transform: rotate(1turn);
    }
  }
  @media (prefers-reduced-motion: reduce) {
    [part~='spinner'] {
      animation: none;
      border-inline-end-color: currentColor;
      opacity: 0.5;
    }
    *,
    *::before,
    *::after {
      transition: none !important;
      scroll-behavior: auto !important;
    }
  }
  a {
    color: var(--_accent);
  }
  @media (any-pointer: coarse) {
    /* Fingers need 44 px targets (WCAG 2.5.5). */
    button,
    [part~='open-in-wallet'],
    [part~='success-link'],
    [part~='restart'] {
      min-height: 2.75rem;
    }
    [part~='copy-button'] {
      min-width: 2.75rem;
      min-height: 2.75rem;
    }
  }
  @media (max-width: 22.5rem) {
    :host {
      padding: 1rem;
    }
  }
`;
