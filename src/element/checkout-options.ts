/**
 * The options every element of the package takes — which session, which backend, language, color
 * scheme, wallets — declared once, for `<crypto-checkout>` and for the dialog and button that pass
 * them on to it.
 * @module
 */
import type { LitElement } from 'lit';
import { property } from 'lit/decorators.js';

/** Color scheme of the package's elements: `light`, `dark`, or `auto` to follow the buyer's system. */
export type CheckoutTheme = 'light' | 'dark' | 'auto';

// A mixin's base class constructor must take any arguments (TypeScript's rule for mixins).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Constructor<T> = new (...args: any[]) => T;

/**
 * What {@link CheckoutOptions} adds, as a declared class: type declarations of a mixin cannot spell out
 * the base class's private members (TS4094), so the mixin's type is this plus its base.
 * @internal
 */
export declare class CheckoutOptionsInterface {
  /** The session's client secret (`cs_…_secret_…`). */
  session: string;
  /** Base URL of the crypto-checkout backend; empty means this page's origin. */
  api: string;
  /** BCP 47 language tag of the texts and formats. */
  locale: string;
  /** Color scheme: `light`, `dark` or `auto`. */
  theme: CheckoutTheme;
  /** WalletConnect (Reown) project id that offers WalletConnect to the buyer. */
  walletconnectProjectId: string;
  /** Turns off paying from a wallet. */
  noWallet: boolean;
}

/**
 * Adds the checkout's options (`session`, `api`, `locale`, `theme`, `walletconnect-project-id`,
 * `no-wallet`) as reactive properties and attributes.
 * @example
 * export class CheckoutDialog extends CheckoutOptions(LitElement) { … }
 */
export const CheckoutOptions = <T extends Constructor<LitElement>>(Base: T) => {
  /** The checkout's options. */
  class WithCheckoutOptions extends Base {
    /** The session's client secret (`cs_…_secret_…`) that your server got when it created the session. */
    @property() session = '';

    /** Base URL of the crypto-checkout backend, e.g. `https://pay.example.com`; empty means this page's origin. */
    @property() api = '';

    /**
     * BCP 47 language tag of the texts and of the number and date formats, e.g. `es` or `pt-BR`.
     * Without it, the element's own `lang` or its closest ancestor's, then the page's `<html lang>`,
     * then the browser's languages decide; the first one the checkout speaks wins (English, Spanish,
     * French, German, Portuguese, Russian, Turkish, Chinese, Japanese, Arabic), else English.
     * Languages other than English are loaded on demand.
     */
    @property() locale = '';

    /**
     * Color scheme: `light`, `dark`, or `auto` (the default) to follow the buyer's system setting
     * (`prefers-color-scheme`). The `--checkout-*` custom properties override either scheme's colors.
     */
    @property({ reflect: true }) theme: CheckoutTheme = 'auto';

    /**
     * WalletConnect (Reown) project id that offers WalletConnect to the buyer; overrides the backend's
     * `walletconnect_project_id`. Without either, WalletConnect is not offered (and never loaded).
     */
    @property({ attribute: 'walletconnect-project-id' }) walletconnectProjectId = '';

    /** Turns off paying from a wallet: no wallet panel, and the wallet code is never loaded. */
    @property({ type: Boolean, attribute: 'no-wallet' }) noWallet = false;
  }
  return WithCheckoutOptions as Constructor<CheckoutOptionsInterface> & T;
};
