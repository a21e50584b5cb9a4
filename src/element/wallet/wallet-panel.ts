/**
 * "Pay with a wallet" inside `<crypto-checkout>`: the lazily loaded chunk's entry. The element loads
 * it once a payment is shown and it is visible (or the browser is idle), so that the buyer's tap
 * reaches the wallet without waiting for code: Safari lets a wallet open its window only straight
 * from a tap, with no `await` in between.
 *
 * Two taps: choosing a wallet connects it (`eth_requestAccounts`), gets it onto the session's chain
 * and reads its balances; "Pay" then sends the transfer (`eth_sendTransaction`). Every wait has a
 * Cancel button and every failure a plain message with "Try again".
 * @module
 */
import { html, nothing, type ReactiveController, type ReactiveControllerHost } from 'lit';
import { unsafeHTML } from 'lit/directives/unsafe-html.js';
import { formatUnits, parseUnits, type Address, type Client, type Hash } from 'viem';
import type { BuyerSession, PaymentInstructions } from '@crypto-checkout/protocol';
import { emit } from '../events.js';
import { shortHash } from '../format.js';
import { formatAmount } from '../format.js';
import { httpUrl } from '../http-url.js';
import { localeTagOf, messagesOf } from '../i18n.js';
import { nativeSymbol } from './chains.js';
import { discoverWallets, type InjectedWallet } from './discover-wallets.js';
import {
  walletErrorCode,
  walletErrorReason,
  WalletError,
  type Eip1193Provider,
  type WalletErrorCode,
} from './eip1193.js';
import {
  ensureChain,
  evmChainId,
  fundsProblem,
  paymentTransaction,
  readFunds,
  waitForReceipt,
  walletClient,
  type Funds,
  type PaymentTransaction,
} from './pay-with-wallet.js';
import { adoptWalletStyles } from './wallet-panel.styles.js';
import { preloadWalletConnect, walletConnectProvider, type WalletConnectProvider } from './walletconnect.js';
import { walletMessages } from './wallet-messages.js';

/** A wallet the buyer can pick: an injected one, or WalletConnect (its provider starts on the tap). */
interface WalletChoice {
  id: string;
  name: string;
  icon: string;
  provider?: Eip1193Provider;
  walletConnect?: boolean;
}

/** Where the panel is. Every step but `choose`, `ready`, `sent` and `error` waits, with Cancel. */
type Step =
  | { kind: 'choose' }
  | { kind: 'connecting' | 'switching' | 'checking' | 'sending'; wallet: WalletChoice }
  | { kind: 'pairing'; wallet: WalletChoice; uri: string; svg: string }
  | { kind: 'ready'; wallet: WalletChoice; tx: PaymentTransaction; client: Client }
  | { kind: 'sent'; wallet: WalletChoice; hash: Hash }
  | { kind: 'error'; wallet?: WalletChoice; code: WalletErrorCode; message: string };

/** What the panel pays: the session's payment and what is still due of it. */
interface Due {
  session: BuyerSession;
  payment: PaymentInstructions;
  /** `amount_payable`: what is still due less transfers still confirming, in token units. */
  amount: string;
  amountAtomic: bigint;
}

/** The element, as the panel sees it. */
export type WalletHost = ReactiveControllerHost & HTMLElement;

/** What the panel offers to pay, as the element shows it. */
export interface WalletInputs {
  /** The session as the server last sent it. */
  session: BuyerSession;
  /** Its payment: the chosen token, network and deposit address. */
  payment: PaymentInstructions;
  /** WalletConnect (Reown) project id; `''` when WalletConnect is not offered. */
  projectId: string;
}

/**
 * The wallet panel of one `<crypto-checkout>`: discovers injected wallets (EIP-6963, else
 * `window.ethereum`), offers WalletConnect when there is a project id, and walks the buyer through
 * connecting, switching chain, checking funds, sending and the transaction's receipt. A Lit
 * reactive controller: before each update of its host it reads what to pay (`inputs`), and it
 * re-renders its host when its own state changes; `render()` only renders. It adds its styles to the
 * host's shadow root when it is created.
 * @example
 * this.wallet = new WalletPanel(this, () => ({ session, payment, projectId }));
 * // in render(): ${this.wallet.render()}
 */
export class WalletPanel implements ReactiveController {
  private injected: InjectedWallet[] = [];
  private step: Step = { kind: 'choose' };
  private due?: Due;
  /** Whether there is something to pay from a wallet now (inputs, and an amount payable). */
  private shown = false;
  private sessionId = '';
  private projectId = '';
  /** Increases with every new flow; a continuation of an older one is stale and does nothing. */
  private flow = 0;
  private key = '';
  private walletConnectPreloaded = false;
  private receipts?: AbortController;
  private stopDiscovery?: () => void;
  private unlisten?: () => void;

  /** The wallet messages in the host's language (English ones travel in this chunk). */
  private get m() {
    return messagesOf(this.host).wallet ?? walletMessages;
  }

  /** An amount formatted for reading in the host's language. */
  private amount(amount: string) {
    return formatAmount(amount, localeTagOf(this.host));
  }

  /**
   * @param host The element the panel is part of; the panel's styles are added to its shadow root.
   * @param inputs What to pay, read before each update of the host; `null` when the panel is not shown.
   */
  constructor(
    private readonly host: WalletHost,
    private readonly inputs: () => WalletInputs | null,
  ) {
    host.addController(this);
    adoptWalletStyles(host);
  }

  hostConnected(): void {
    this.stopDiscovery ??= discoverWallets((wallets) => {
      this.injected = wallets;
      this.host.requestUpdate();
    }, this.m.browserWallet);
  }

  hostDisconnected(): void {
    this.stopDiscovery?.();
    this.stopDiscovery = undefined;
    this.reset();
  }

  /** Back to the choice of wallets, forgetting any flow (a new session, or the element was removed). */
  reset(): void {
    this.flow++;
    this.receipts?.abort();
    this.unlisten?.();
    this.unlisten = this.receipts = undefined;
    this.step = { kind: 'choose' };
  }

  hostUpdate(): void {
    const inputs = this.inputs();
    const amount = inputs?.session.amount_payable;
    this.shown = !!amount;
    if (!inputs || !amount) return;
    const { session, payment, projectId } = inputs;
    // Another session: forget everything, a transaction sent for the previous one included.
    if (session.id !== this.sessionId) {
      if (this.sessionId) this.reset();
      this.sessionId = session.id;
      this.key = '';
    }
    // A new amount due (a transfer arrived) invalidates a prepared transaction; a sent one stays shown.
    const key = `${payment.address} ${amount}`;
    if (key !== this.key) {
      if (this.key && this.step.kind !== 'sent') this.reset();
      this.key = key;
    }
    this.projectId = projectId;
    // The buyer can choose WalletConnect now: fetch its code before the tap (once; import() caches).
    if (projectId && !this.walletConnectPreloaded) {
      this.walletConnectPreloaded = true;
      preloadWalletConnect();
    }
    this.due = { session, payment, amount, amountAtomic: parseUnits(amount, payment.decimals) };
  }

  /**
   * The panel for a session that takes payment, or `nothing` when there is no wallet to offer or
   * nothing to pay right now (`amount_payable` is null while a transfer covering it confirms).
   */
  render() {
    if (!this.shown || !this.due) return nothing;
    const choices = this.choices();
    if (!choices.length && this.step.kind === 'choose') return nothing;
    return html`<div part="wallet" role="group" aria-label=${this.m.group}>${this.renderStep(choices)}</div>
      <p part="wallet-or" class="muted">${this.m.orManually}</p>`;
  }

  private choices(): WalletChoice[] {
    const choices: WalletChoice[] = this.injected.map(({ info, provider }) => ({
      id: info.rdns || info.uuid,
      name: info.name,
      icon: info.icon,
      provider,
    }));
    if (this.projectId) {
      choices.push({ id: 'walletconnect', name: this.m.walletConnect, icon: '', walletConnect: true });
    }
    return choices;
  }

  private renderStep(choices: WalletChoice[]) {
    const step = this.step;
    const due = this.due!;
    const p = due.payment;
    switch (step.kind) {
      case 'choose':
        return html`<p part="wallet-heading">${this.m.heading(this.amount(due.amount), p.token)}</p>
          ${choices.map(
            (wallet) =>
              html`<button part="wallet-option" data-wallet=${wallet.id} @click=${() => this.choose(wallet)}>
                ${wallet.icon ? html`<img part="wallet-icon" src=${wallet.icon} alt="" />` : nothing}
                <span
                  >${wallet.name}${
                    wallet.walletConnect
                      ? html` <span class="muted">${this.m.walletConnectHint}</span>`
                      : nothing
                  }</span
                >
              </button>`,
          )}`;
      case 'connecting':
        return this.waiting(
          step.wallet.walletConnect ? this.m.startingWalletConnect : this.m.connecting(step.wallet.name),
        );
      case 'pairing':
        return html`${this.waiting(this.m.pairing)}
          <div part="wallet-qr" role="img" aria-label=${this.m.pairingQr}>
            ${step.svg ? unsafeHTML(step.svg) : nothing}
          </div>
          <a part="wallet-link" href=${step.uri}>${this.m.openWalletApp}</a>`;
      case 'switching':
        return this.waiting(this.m.switching(step.wallet.name, p.network));
      case 'checking':
        return this.waiting(this.m.checking(step.wallet.name));
      case 'sending': {
        const peer = (step.wallet.provider as WalletConnectProvider | undefined)?.session?.peer?.metadata;
        const link = peer?.redirect?.native || peer?.redirect?.universal;
        return html`${this.waiting(this.m.confirm(peer?.name ?? step.wallet.name))}
        ${
          link && /^[a-z][\w+.-]*:/i.test(link) && !/^(javascript|data|vbscript|file|blob):/i.test(link)
            ? html`<a part="wallet-link" href=${link}>${this.m.openPeer(peer?.name ?? step.wallet.name)}</a>`
            : nothing
        }`;
      }
      case 'ready':
        return html`<button part="pay-button" @click=${() => this.send(step)}>
            ${this.m.pay(this.amount(due.amount), p.token)}
          </button>
          <p class="muted">${this.m.from(shortHash(step.tx.from), step.wallet.name, p.network)}</p>
          <button part="wallet-back" @click=${this.back}>${this.m.another}</button>`;
      case 'sent': {
        const explorer = httpUrl(p.explorer_url)?.replace(/\/+$/, '');
        return html`<p part="wallet-status" role="status">
          ${this.m.sent}
          ${
            explorer
              ? html`<a
                  part="wallet-transaction"
                  href=${`${explorer}/tx/${step.hash}`}
                  target="_blank"
                  rel="noopener noreferrer"
                  >${shortHash(step.hash)}</a
                >`
              : html`<code part="wallet-transaction">${shortHash(step.hash)}</code>`
          }.
          ${this.m.sentWaiting}
        </p>`;
      }
      case 'error':
        return html`<p part="wallet-error" role="alert">${step.message}</p>
          ${
            step.wallet
              ? html`<button part="wallet-retry" @click=${() => this.choose(step.wallet!)}>
                  ${this.m.retry}
                </button>`
              : nothing
          }
          <button part="wallet-back" @click=${this.back}>${this.m.another}</button>`;
    }
  }

  private waiting(text: string) {
    return html`<p part="wallet-status" role="status">
        <span part="spinner" aria-hidden="true"></span>${text}
      </p>
      <button part="wallet-cancel" @click=${this.back}>${this.m.cancel}</button>`;
  }

  private back = () => {
    this.reset();
    this.host.requestUpdate();
  };

  /** Moves a flow on, unless a newer one (or Cancel) replaced it; returns whether it is still current. */
  private set(flow: number, step: Step): boolean {
    if (flow !== this.flow) return false;
    this.step = step;
    this.host.requestUpdate();
    return true;
  }

  /** The buyer tapped a wallet (or "Try again"): connect it, get it onto the chain, check the funds. */
  private choose(wallet: WalletChoice) {
    this.reset();
    const flow = this.flow;
    this.set(flow, { kind: 'connecting', wallet });
    if (wallet.walletConnect) {
      void this.connect(flow, wallet, this.startWalletConnect(flow, wallet));
      return;
    }
    // Straight from the tap: no await before this request (Safari's popup blocker).
    void this.connect(flow, wallet, wallet.provider!.request({ method: 'eth_requestAccounts' }));
  }

  private async startWalletConnect(flow: number, wallet: WalletChoice): Promise<unknown> {
    const { session, payment } = this.due!;
    // The session's chain first; the others it offers too, so that one pairing serves every checkout.
    const evm = session.methods.flatMap((x) =>
      x.family === 'evm' && x.chain_id !== null ? [x.chain_id] : [],
    );
    const chains = [...new Set([evmChainId(payment), ...evm])] as [number, ...number[]];
    const provider = await walletConnectProvider({
      projectId: this.projectId,
      chains,
      metadata: {
        name: document.title || location.host,
        description: 'Checkout',
        url: location.origin,
        icons: [],
      },
    });
    wallet.provider = provider;
    const onUri = (uri: string) => {
      if (flow !== this.flow || typeof uri !== 'string' || !uri.startsWith('wc:')) return;
      this.set(flow, { kind: 'pairing', wallet, uri, svg: '' });
      import('../qr.js')
        .then((qr) => qr.qrSvg(uri))
        .then(
          (svg) => {
            if (this.step.kind === 'pairing' && this.step.uri === uri) this.set(flow, { ...this.step, svg });
          },
          () => {},
        );
    };
    provider.on?.('display_uri', onUri as never);
    try {
      return await provider.enable();
    } finally {
      provider.removeListener?.('display_uri', onUri as never);
    }
  }

  private async connect(flow: number, wallet: WalletChoice, accounts: Promise<unknown>) {
    try {
      const [from] = ((await accounts) as string[] | undefined) ?? [];
      if (flow !== this.flow) return;
      if (!from) throw new WalletError('wallet_disconnected', 'the wallet gave no account');
      this.listen(wallet);
      await this.prepare(flow, wallet, from as Address);
    } catch (error) {
      this.fail(flow, wallet, error);
    }
  }

  private async prepare(flow: number, wallet: WalletChoice, from: Address) {
    const { payment, amountAtomic } = this.due!;
    const client = walletClient(wallet.provider!);
    const onChain = await client.request({ method: 'eth_chainId' }).then(
      (id) => Number(id) === payment.chain_id,
      () => false,
    );
    if (!onChain && !this.set(flow, { kind: 'switching', wallet })) return;
    await ensureChain(client, payment);
    if (!this.set(flow, { kind: 'checking', wallet })) return;
    const tx = paymentTransaction(payment, amountAtomic, from);
    const funds = await readFunds(client, tx, payment);
    if (flow !== this.flow) return;
    const problem = fundsProblem(payment, amountAtomic, funds);
    if (problem) throw new FundsError(problem, funds);
    this.set(flow, { kind: 'ready', wallet, tx, client });
  }

  /** The buyer tapped "Pay": send the prepared transfer. */
  private send(step: Extract<Step, { kind: 'ready' }>) {
    this.flow++;
    const flow = this.flow;
    const { wallet, tx, client } = step;
    this.set(flow, { kind: 'sending', wallet });
    // Straight from the tap: no await before this request (Safari's popup blocker).
    const sent = wallet.provider!.request({ method: 'eth_sendTransaction', params: [tx] });
    void this.afterSend(flow, wallet, client, sent as Promise<Hash>);
  }

  private async afterSend(flow: number, wallet: WalletChoice, client: Client, sent: Promise<Hash>) {
    let hash: Hash;
    try {
      hash = await sent;
    } catch (error) {
      return this.fail(flow, wallet, error);
    }
    // Money moved: show it even if the buyer pressed Cancel meanwhile.
    if (flow !== this.flow && this.step.kind !== 'choose') return;
    this.flow = flow;
    this.set(flow, { kind: 'sent', wallet, hash });
    emit(this.host, 'checkout-transaction-sent', {
      txHash: hash,
      chainId: evmChainId(this.due!.payment),
      wallet: wallet.name,
    });
    const receipts = (this.receipts = new AbortController());
    const outcome = await waitForReceipt(client, hash, receipts.signal);
    if (outcome === 'reverted' && this.step.kind === 'sent' && this.step.hash === hash) {
      this.fail(flow, wallet, new WalletError('wallet_transaction_reverted', `transaction ${hash} reverted`));
    }
  }

  /** Follows the connected wallet: a disconnect (or losing every account) ends a flow in progress. */
  private listen(wallet: WalletChoice) {
    this.unlisten?.();
    const provider = wallet.provider!;
    const lost = () => {
      if (this.step.kind !== 'sent' && this.step.kind !== 'error' && this.step.kind !== 'choose')
        this.fail(this.flow, wallet, new WalletError('wallet_disconnected', 'the wallet disconnected'));
    };
    const onAccounts = (accounts: unknown) => {
      if (Array.isArray(accounts) && !accounts.length) lost();
    };
    const onChain = () => {
      // A prepared transfer was checked on the old chain: check again.
      if (this.step.kind === 'ready') {
        const { wallet: again, tx } = this.step;
        this.flow++;
        const next = this.flow;
        this.prepare(next, again, tx.from).catch((error) => this.fail(next, again, error));
      }
    };
    provider.on?.('disconnect', lost as never);
    provider.on?.('accountsChanged', onAccounts as never);
    provider.on?.('chainChanged', onChain as never);
    this.unlisten = () => {
      provider.removeListener?.('disconnect', lost as never);
      provider.removeListener?.('accountsChanged', onAccounts as never);
      provider.removeListener?.('chainChanged', onChain as never);
    };
  }

  /** Shows what went wrong, in words, with "Try again", and tells the page (`checkout-error`). */
  private fail(flow: number, wallet: WalletChoice, error: unknown) {
    if (flow !== this.flow) return;
    const code = walletErrorCode(error);
    const message = this.explain(code, error);
    this.set(flow, { kind: 'error', wallet, code, message });
    emit(this.host, 'checkout-error', { code, message });
  }

  private explain(code: WalletErrorCode, error: unknown): string {
    const { session, payment: p, amount } = this.due!;
    const funds = error instanceof FundsError ? error.funds : {};
    switch (code) {
      case 'wallet_rejected':
        return this.m.rejected;
      case 'wallet_wrong_network':
        return this.m.wrongNetwork(p.network);
      case 'wallet_insufficient_funds': {
        const held = p.token_address ? funds.token : funds.native;
        return this.m.insufficientFunds(
          this.amount(formatUnits(held ?? 0n, p.decimals)),
          this.amount(amount),
          p.token,
          p.network,
        );
      }
      case 'wallet_no_gas': {
        const coin =
          session.methods.find((x) => x.kind === 'native' && x.chain_id === p.chain_id)?.token ??
          nativeSymbol(p.chain_id);
        return this.m.noGas(
          p.kind === 'native' ? p.token : (coin ?? messagesOf(this.host).gasUnknownCoin),
          p.network,
        );
      }
      case 'wallet_disconnected':
        return this.m.disconnected;
      case 'wallet_transaction_reverted':
        return this.m.reverted;
      case 'wallet_busy':
        return this.m.busy;
      default:
        return this.m.failed(walletErrorReason(error));
    }
  }
}

/** A funds check that stops the payment, with the balances read. */
class FundsError extends WalletError {
  constructor(
    code: 'wallet_insufficient_funds' | 'wallet_no_gas',
    readonly funds: Funds,
  ) {
    super(code, code === 'wallet_no_gas' ? 'not enough native coin for the network fee' : 'not enough funds');
  }
}
