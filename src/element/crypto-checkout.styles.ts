import { css } from 'lit';

/** Styles of `<crypto-checkout>`. Themable through the `--checkout-*` custom properties and parts. */
export const styles = css`
  :host {
    display: block;
    box-sizing: border-box;
    max-width: 28rem;
    min-width: 0;
    padding: 1.25rem;
    font: 400 1rem/1.45 var(--checkout-font, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif);
    color: var(--checkout-fg, #111827);
    background: var(--checkout-bg, #fff);
    border: 1px solid var(--checkout-border, #e5e7eb);
    border-radius: var(--checkout-radius, 12px);
  }
  :host([hidden]) {
    display: none;
  }
  * {
    box-sizing: border-box;
  }
  p {
    margin: 0.5rem 0;
  }
  [part~='amount'] {
    margin: 0;
    font-size: 1.75rem;
    font-weight: 650;
  }
  .muted,
  dt,
  [part~='order'],
  [part~='countdown'],
  [part~='note'] {
    color: var(--checkout-muted, #6b7280);
    font-size: 0.875rem;
  }
  [part~='status'] {
    font-weight: 600;
  }
  :host([status='paid']) [part~='status'],
  :host([status='overpaid']) [part~='status'] {
    color: var(--checkout-success, #047857);
  }
  :host([status='underpaid']) [part~='status'],
  :host([status='paid_late']) [part~='status'],
  [part~='warning'] {
    color: var(--checkout-warning, #b45309);
  }
  [part~='status-detail'] {
    display: block;
    margin-top: 0.25rem;
    font-weight: 400;
    color: var(--checkout-fg, #111827);
  }
  [part~='warning'] {
    padding: 0.5rem 0.75rem;
    border: 1px solid currentColor;
    border-radius: calc(var(--checkout-radius, 12px) / 2);
  }
  [part~='error'],
  :host([state='error']) [part~='status'] {
    color: var(--checkout-danger, #b91c1c);
  }
  [part~='confirmations'] {
    width: 100%;
    accent-color: var(--checkout-accent, #4f46e5);
  }
  [part~='transfers'] {
    padding-inline-start: 1.25rem;
  }
  [part~='methods'] {
    display: grid;
    gap: 0.5rem;
  }
  button,
  [part~='success-link'] {
    font: inherit;
    color: var(--checkout-fg, #111827);
    background: transparent;
    border: 1px solid var(--checkout-border, #e5e7eb);
    border-radius: calc(var(--checkout-radius, 12px) / 2);
    padding: 0.5rem 0.875rem;
    cursor: pointer;
  }
  [part~='method'] {
    text-align: start;
  }
  [part~='method']:hover,
  [part~='copy-button']:hover {
    border-color: var(--checkout-accent, #4f46e5);
  }
  [part~='retry-button'],
  [part~='success-link'] {
    display: inline-block;
    color: var(--checkout-accent-fg, #fff);
    background: var(--checkout-accent, #4f46e5);
    border-color: transparent;
    text-decoration: none;
  }
  button:disabled {
    cursor: progress;
    opacity: 0.6;
  }
  :focus-visible {
    outline: 2px solid var(--checkout-accent, #4f46e5);
    outline-offset: 2px;
  }
  dl {
    margin: 0.75rem 0;
  }
  dd {
    display: flex;
    gap: 0.5rem;
    align-items: flex-start;
    margin: 0 0 0.625rem;
  }
  code {
    flex: 1;
    min-width: 0;
    font: 500 0.9375rem/1.4 var(--checkout-mono, ui-monospace, SFMono-Regular, Menlo, Consolas, monospace);
    overflow-wrap: anywhere;
    user-select: all;
  }
  [part~='copy-button'] {
    flex: none;
    padding: 0.125rem 0.5rem;
    font-size: 0.8125rem;
  }
  [part~='qr'] {
    width: var(--checkout-qr-size, 12.5rem);
    max-width: 100%;
    margin: 0.75rem auto;
    background: #fff;
    border-radius: calc(var(--checkout-radius, 12px) / 2);
  }
  [part~='qr'] svg {
    display: block;
    width: 100%;
    height: auto;
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
    }
  }
  a {
    color: var(--checkout-accent, #4f46e5);
  }
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
    text-align: start;
  }
  [part~='wallet-option']:hover {
    border-color: var(--checkout-accent, #4f46e5);
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
  [part~='wallet-transaction'] {
    font-family: var(--checkout-mono, ui-monospace, SFMono-Regular, Menlo, Consolas, monospace);
  }
  [part~='pay-button'],
  [part~='wallet-link'],
  [part~='open-in-wallet'] {
    display: block;
    text-align: center;
    text-decoration: none;
    color: var(--checkout-accent-fg, #fff);
    background: var(--checkout-accent, #4f46e5);
    border: 1px solid transparent;
    border-radius: calc(var(--checkout-radius, 12px) / 2);
    padding: 0.625rem 0.875rem;
  }
  [part~='wallet-or'] {
    margin-top: 1rem;
  }
  [part~='wallet-option'],
  [part~='pay-button'] {
    min-height: 2.75rem;
  }
  /* The EIP-681 deep link opens a wallet app on a phone; desktop browsers have none to open. */
  [part~='open-in-wallet'] {
    display: none;
    margin: 0.75rem 0;
  }
  @media (any-pointer: coarse) {
    [part~='open-in-wallet'] {
      display: block;
    }
    /* Fingers need 44 px targets (WCAG 2.5.5). */
    button,
    [part~='wallet-link'],
    [part~='open-in-wallet'],
    [part~='success-link'] {
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
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
  }
`;
