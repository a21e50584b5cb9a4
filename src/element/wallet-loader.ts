/**
 * Loading "pay from a wallet" into `<crypto-checkout>` when it is needed: the wallet code (discovery,
 * viem, WalletConnect's seam) and its styles are a lazily loaded chunk, src/element/wallet/.
 * @module
 */
import { nothing, type ReactiveController } from 'lit';
import type { WalletHost, WalletInputs, WalletPanel } from './wallet/wallet-panel.js';

// Only types come from wallet/ statically: a value would pull viem into the initial script.
const loadWallet = () => import('./wallet/wallet-panel.js');

/**
 * Fetches the wallet chunk once there is something to pay (`inputs` returns a payment) and the host
 * is visible or the browser idle — before the buyer's tap, since Safari blocks a wallet's popup
 * opened after an await — and then hands over to the chunk's {@link WalletPanel}, a reactive
 * controller of the same host. A Lit reactive controller; it renders nothing until the chunk is there.
 * @example
 * private wallet = new WalletLoader(this, () => (this.noWallet ? null : { session, payment, projectId }));
 * // in render(): ${this.wallet.render()}
 */
export class WalletLoader implements ReactiveController {
  private panel?: WalletPanel;
  private requested = false;
  /** Stops waiting for visibility or idle time (the host left the document first). */
  private cancel?: () => void;

  /**
   * @param host The element the panel is part of.
   * @param inputs What to pay, read before each update of the host; `null` when there is nothing to
   *   pay from a wallet (no payment shown, or wallets turned off).
   */
  constructor(
    private readonly host: WalletHost,
    private readonly inputs: () => WalletInputs | null,
  ) {
    host.addController(this);
  }

  hostUpdated(): void {
    if (this.requested || !this.inputs()) return;
    // A payment is on screen: fetch the chunk when the element is visible or the browser idle.
    this.requested = true;
    let waiting = true;
    const observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && load());
    const stop = () => {
      waiting = false;
      observer.disconnect();
      this.cancel = undefined;
    };
    const load = () => {
      if (!waiting) return;
      stop();
      loadWallet().then(
        ({ WalletPanel }) => {
          this.panel ??= new WalletPanel(this.host, this.inputs);
          this.host.requestUpdate();
        },
        () => {},
      );
    };
    this.cancel = () => {
      stop();
      this.requested = false;
    };
    observer.observe(this.host);
    (window.requestIdleCallback ?? ((f: () => void) => setTimeout(f, 500)))(load, { timeout: 3000 });
  }

  hostDisconnected(): void {
    this.cancel?.();
  }

  /** The wallet panel, or `nothing` while its chunk is not loaded or there is nothing to pay. */
  render() {
    return this.panel?.render() ?? nothing;
  }
}
