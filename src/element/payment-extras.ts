/**
 * What `<crypto-checkout>` shows once a method is chosen that its first screen can do without, as one
 * lazily loaded chunk so that the initial script stays within its budget: the method marks, the
 * payment view, the details disclosure, the progress steps, the receipt, the list of transfers, and
 * the styles of all of these. The session controller fetches it while the session loads, so it is there
 * by the time a buyer has chosen a method or paid; the QR encoder is a chunk of its own (qr.ts), which
 * the plain view shown when this chunk fails uses too.
 *
 * It imports nothing at run time: lit's `html` and the formatting helpers come
 * from the element through {@link ExtrasContext}. A static import of them here made the bundler move
 * lit and the helpers out of crypto-checkout.js into a shared chunk that the initial script then
 * imports, which cost more bytes than this chunk saves.
 * @module
 */
import type { BuyerSession, PaymentInstructions, PaymentMethod, Transfer } from '@crypto-checkout/protocol';
import type { html as litHtml, nothing as litNothing, svg as litSvg } from 'lit';
import type * as Format from './format.js';
import type { Messages, TronMessages } from './messages.js';
import type * as Progress from './progress.js';

/** What the renderers need of the element: its messages and its locale tag. */
export interface ExtrasContext {
  /** The messages in the buyer's language. */
  m: Messages;
  /** BCP 47 tag for number and date formats. */
  tag: string;
  /**
   * The block explorer's base URL of the payment's network when it is an http(s) URL (see
   * http-url.ts, which the element applies: importing it here would split the bundle), else `null`.
   */
  explorer: string | null;
  /** Lit's template tag and its empty value, from the element's copy of lit. */
  html: typeof litHtml;
  nothing: typeof litNothing;
  /** Lit's SVG template tag. */
  svg: typeof litSvg;
  /** Whether the language is written right to left (the arrow keys follow it). */
  rtl: boolean;
  /** The element's formatting helpers (format.ts) and confirmation count (progress.ts). */
  format: Pick<typeof Format, 'formatAmount' | 'formatFiat' | 'formatTime' | 'shortHash' | 'trimAmount'> &
    Pick<typeof Progress, 'confirmationProgress'>;
}

/** The texts of a TRON payment in English (see {@link TronMessages}: kept out of the initial script). */
export const TRON_MESSAGES: TronMessages = {
  warning: (token, network) =>
    `Send ${token} on ${network} only. ${token} sent to this address from another network (Ethereum, BNB Smart Chain, …) is lost.`,
  fee: (token) =>
    `Sending ${token} on TRON burns about 6.4–13 TRX for energy: keep TRX in the sending wallet, or the transfer fails. An exchange withdrawal pays this itself.`,
};

/** A TRON payment's texts in the buyer's language, English where the language has none. */
const tronMessages = (m: Messages): TronMessages => m.tron ?? TRON_MESSAGES;

/**
 * The network's name as shown with a payment: `TRON (TRC-20)` for a TRC-20 token, the name the
 * buyer must pick in a wallet or an exchange (a technical name: the same in every language).
 */
const networkName = (p: Pick<PaymentMethod, 'kind' | 'network'>) =>
  p.kind === 'trc20' ? `${p.network} (TRC-20)` : p.network;

/** The rules of the parts drawn here (`due`, `qr`, `address`, `details`, `steps`, `receipt`, …). */
export const extrasStyles = `
  .group-label {
    display: flex;
    align-items: center;
    gap: 0.5rem;
  }
  .mark {
    flex: none;
    display: inline-grid;
    place-items: center;
    width: 1.5rem;
    height: 1.5rem;
    color: #fff;
    font-size: 0.75rem;
    font-weight: 700;
    line-height: 1;
  }
  .mark {
    position: relative;
  }
  .mark svg {
    position: absolute;
    inset: 0;
    width: 100%;
    height: 100%;
  }
  .mark::before {
    content: attr(data-initial);
    position: relative;
    z-index: 1;
  }
  [part~='method'] {
    display: flex;
    align-items: center;
    gap: 0.625rem;
  }
  .method-name {
    flex: 1;
    line-height: 1.25;
  }
  .method-name .muted {
    display: block;
  }
  .method-token {
    font-weight: 600;
  }
  [part~='method-amount'] {
    font: 600 0.9375rem var(--checkout-mono, ui-monospace, SFMono-Regular, Menlo, Consolas, monospace);
  }
  [part~='method-group'] {
    display: grid;
    gap: 0.375rem;
  }
  .group-label {
    margin: 0.25rem 0 0;
    font-weight: 600;
  }
  [part~='due'] {
    margin: 0.5rem 0 0;
  }
  .due-amount,
  .due-network,
  .address-row {
    display: flex;
    align-items: center;
    gap: 0.5rem;
  }
  .due-amount [part~='amount-due'] {
    flex: none;
    font-size: 1.375rem;
    font-weight: 650;
  }
  .due-amount [part~='token'] {
    flex: 1;
    font-weight: 600;
  }
  .due-network {
    margin-top: 0.25rem;
    color: var(--_muted);
    font-size: 0.875rem;
  }
  .due-network [part~='network'] {
    flex: 1;
  }
  .due-network [part~='network-mark'] {
    width: 1rem;
    height: 1rem;
    margin-inline: 0.25rem;
    font-size: 0.5625rem;
  }
  [part~='change-method'] {
    flex: none;
    padding: 0.125rem 0.5rem;
    font-size: 0.8125rem;
  }
  /* Groups of four that never break inside, spaced apart without a space character: copying by
     selection gives the exact, checksum-cased address. */
  [part~='address'] span {
    display: inline-block;
    white-space: nowrap;
    margin-inline-end: 0.35em;
  }
  [part~='network-warning'] {
    margin: 0.375rem 0;
    color: var(--_warning);
    font-size: 0.875rem;
    font-weight: 600;
  }
  [part~='address'] {
    flex: 1;
    font-size: 0.875rem;
    user-select: all;
  }
  [part~='amount-due'] {
    user-select: all;
  }

  details {
    margin: 0.5rem 0;
    font-size: 0.875rem;
  }
  summary {
    cursor: pointer;
    color: var(--_accent);
  }
  [part~='steps'] {
    display: flex;
    gap: 0.5rem;
    margin: 0.75rem 0 0.5rem;
    padding: 0;
    list-style: none;
    font-size: 0.8125rem;
    color: var(--_muted);
  }
  [part~='steps'] li {
    flex: 1;
    padding-top: 0.375rem;
    border-top: 3px solid var(--_border);
  }
  [part~='steps'] .done {
    border-color: var(--_success);
  }
  [part~='steps'] .current {
    color: var(--_fg);
    font-weight: 600;
    border-color: var(--_accent);
  }
  :host([status='paid']) [part~='steps'] .current,
  :host([status='overpaid']) [part~='steps'] .current {
    border-color: var(--_success);
  }
  [part~='receipt'] {
    display: grid;
    grid-template-columns: auto 1fr;
    gap: 0.25rem 1rem;
    padding: 0.75rem;
    font-size: 0.875rem;
    border: 1px solid var(--_border);
    border-radius: calc(var(--checkout-radius, 12px) / 2);
  }
  [part~='receipt'] dt,
  [part~='receipt'] dd {
    margin: 0;
  }
  [part~='transfers'] {
    padding-inline-start: 1.25rem;
  }
  /* From the element's styles: only what this chunk draws needs them. */
  /* The wallet panel follows the manual instructions, so its "or send it yourself" line does not apply. */
  [part~='wallet-or'] {
    display: none;
  }
  dl {
    margin: 0.5rem 0;
  }
  dd {
    margin: 0 0 0.5rem;
  }
  /* The EIP-681 deep link opens a wallet app on a phone; desktop browsers have none to open. */
  [part~='open-in-wallet'] {
    display: none;
    margin: 0.5rem 0;
    padding: 0.625rem 0.875rem;
    text-align: center;
    text-decoration: none;
    color: var(--_accent-fg);
    background: var(--_accent);
    border: 1px solid transparent;
    border-radius: calc(var(--checkout-radius, 12px) / 2);
  }
  @media (any-pointer: coarse) {
    [part~='open-in-wallet'] {
      display: block;
    }
  }
`;

/**
 * Adds {@link extrasStyles} to the shadow root of `host`, once: as a constructed stylesheet after the
 * element's own, or as a `<style>` (with the page's `litNonce`) where stylesheets cannot be adopted.
 * @example adoptExtrasStyles(checkout);
 */
export function adoptExtrasStyles(host: HTMLElement): void {
  const root = host.shadowRoot;
  if (
    !root ||
    root.querySelector('style[data-extras]') ||
    (sheet && root.adoptedStyleSheets?.includes(sheet))
  )
    return;
  if ('adoptedStyleSheets' in root && 'replaceSync' in CSSStyleSheet.prototype) {
    sheet ??= new CSSStyleSheet();
    if (!sheet.cssRules.length) sheet.replaceSync(extrasStyles);
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
    return;
  }
  const style = document.createElement('style');
  const nonce = (globalThis as { litNonce?: string }).litNonce;
  if (nonce !== undefined) style.setAttribute('nonce', nonce);
  style.dataset.extras = '';
  style.textContent = extrasStyles;
  root.append(style);
}

/** One constructed stylesheet for every checkout on the page. */
let sheet: CSSStyleSheet | undefined;

/** Brand colors of well-known tokens and networks, by lower-case symbol or network word. */
const COLORS: Record<string, string> = {
  usdc: '#2775ca',
  usdt: '#26a17b',
  dai: '#f5ac37',
  eth: '#627eea',
  weth: '#627eea',
  btc: '#f7931a',
  pol: '#8247e5',
  matic: '#8247e5',
  bnb: '#f0b90b',
  base: '#0052ff',
  arbitrum: '#28a0f0',
  optimism: '#ff0420',
  polygon: '#8247e5',
  ethereum: '#627eea',
  anvil: '#6b7280',
};

/** A stable color for a name without a brand color: one of a few hues, chosen by the name's letters. */
function colorOf(name: string): string {
  const key = name.toLowerCase();
  const known = COLORS[key] ?? COLORS[key.split(/\W/)[0] ?? ''];
  if (known) return known;
  let hash = 0;
  for (const c of key) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  return `hsl(${hash % 360} 55% 45%)`;
}

/**
 * A round mark for a token (`USDC`) or, with `square`, a rounded-square mark for a network (`Base`):
 * its initial in white on its color, no bundled logos. The initial is CSS generated content, in no
 * text a buyer copies or a screen reader reads (the name is always written beside the mark); the
 * color is an SVG `fill`, which a page's `style-src` Content-Security-Policy allows.
 * @example html`${mark(context, 'USDC')} USDC`
 */
export function mark({ html, svg }: ExtrasContext, name: string, square = false) {
  return html`<span
    part=${square ? 'network-mark' : 'token-mark'}
    class="mark"
    data-initial=${(name[0] ?? '?').toUpperCase()}
    aria-hidden="true"
    >${svg`<svg viewBox="0 0 4 4"><rect width="4" height="4" rx=${square ? 1 : 2} fill=${colorOf(name)}></rect></svg>`}</span
  >`;
}

/** A method with the server's quote (issue 15's wire change; optional until every server sends it). */
type QuotedMethod = PaymentMethod & {
  quote?: { amount: string; rate: string; currency: string; quoted_at: string } | null;
};

/** What {@link renderMethods} takes from the element. */
export interface MethodParts {
  /** The method being chosen, or `''`. */
  choosing: string;
  /** Index of the method button in the tab order (roving focus). */
  focus: number;
  /** Chooses a method. */
  choose: (id: string) => void;
  /** Remembers which button has the tab stop. */
  setFocus: (index: number) => void;
}

/**
 * The methods, as buttons with their token (or, grouped, network) marks and, when the server quotes
 * them, the amount each would cost; grouped under their token when there are more than four and a
 * token is on several networks. One button is in the tab order and the arrow keys, Home and End move
 * between them (roving focus), as in a radio group.
 * @example html`${renderMethods(context, session, parts)}`
 */
export function renderMethods(c: ExtrasContext, s: BuyerSession, parts: MethodParts) {
  const { m, tag, html, nothing } = c;
  const { formatAmount, trimAmount } = c.format;
  const grouped = s.methods.length > 4 && new Set(s.methods.map((x) => x.token)).size < s.methods.length;
  const tokens = grouped ? [...new Set(s.methods.map((x) => x.token))] : [''];
  const focus = Math.min(parts.focus, s.methods.length - 1);
  const button = (method: PaymentMethod) => {
    const quote = (method as QuotedMethod).quote;
    const index = s.methods.indexOf(method);
    return html`<button
      part="method"
      data-method=${method.id}
      tabindex=${index === focus ? 0 : -1}
      ?disabled=${!!parts.choosing}
      @click=${() => parts.choose(method.id)}
      @focus=${() => parts.setFocus(index)}
    >
      ${grouped ? mark(c, method.network, true) : mark(c, method.token)}
      <span class="method-name"
        >${grouped ? nothing : html`<span class="method-token">${method.token}</span> `}<span class="muted"
          >${grouped ? networkName(method) : m.methodOn(networkName(method))}</span
        ></span
      >
      ${
        quote
          ? html`<span part="method-amount" dir="ltr"
              >${formatAmount(trimAmount(quote.amount), tag)} ${method.token}</span
            >`
          : nothing
      }
    </button>`;
  };
  // Arrow keys, Home and End move the focus between the method buttons.
  const onKey = (e: KeyboardEvent) => {
    const buttons = [
      ...(e.currentTarget as HTMLElement).querySelectorAll<HTMLButtonElement>('[part~="method"]'),
    ];
    const at = buttons.indexOf(e.target as HTMLButtonElement);
    const step: Record<string, number> = {
      ArrowDown: 1,
      ArrowUp: -1,
      ArrowRight: c.rtl ? -1 : 1,
      ArrowLeft: c.rtl ? 1 : -1,
    };
    const next =
      e.key === 'Home'
        ? 0
        : e.key === 'End'
          ? buttons.length - 1
          : step[e.key]
            ? (at + step[e.key]! + buttons.length) % buttons.length
            : -1;
    if (at < 0 || next < 0) return;
    e.preventDefault();
    parts.setFocus(next);
    buttons[next]!.focus();
  };
  return html`<div part="methods" role="group" aria-label=${m.methodGroup} @keydown=${onKey}>
    ${tokens.map((token) =>
      grouped
        ? html`<div part="method-group" role="group" aria-label=${token}>
            <p class="group-label">${mark(c, token)} ${token}</p>
            ${s.methods.filter((x) => x.token === token).map(button)}
          </div>`
        : s.methods.map(button),
    )}
  </div>`;
}

/** What {@link renderPayment} takes from the element: its parts that hold state or run its code. */
export interface PaymentParts {
  /** The QR code's SVG (lit's `unsafeHTML` of the encoder's markup), or lit's `nothing` while it draws. */
  qr: unknown;
  /** The element's copy button for `what`, copying `text`. */
  copy: (what: 'amount' | 'address', text: string) => unknown;
  /** The wallet panel (lazily loaded), or `nothing`. */
  wallet: unknown;
  /** Goes back to the methods; `null` when the session does not allow it now. */
  changeMethod: (() => void) | null;
  /** Whether going back is under way. */
  changing: boolean;
}

/**
 * The payment, phone first: the amount to send with its copy button, the network (and the way back
 * to the methods), the QR code, the address in groups of four with its copy button, which network to
 * send on, the wallet action, and the details behind a disclosure.
 * @example html`${renderPayment(context, session, session.payment, parts)}`
 */
export function renderPayment(
  c: ExtrasContext,
  s: BuyerSession,
  p: PaymentInstructions,
  parts: PaymentParts,
) {
  const { m, tag, html, nothing } = c;
  const { formatAmount, trimAmount } = c.format;
  const underpaid = s.status === 'underpaid' && !!s.amount_remaining;
  // Exactly what is still due: the server's remainder, matching the amount in its `pay_uri`. Without
  // trailing zeros, so that what the buyer copies and what a wallet shows read the same.
  const amount = trimAmount(underpaid ? s.amount_remaining! : p.amount_due);
  const uri = s.pay_uri;
  return html`
    <div part="due">
      <div class="due-amount">
        ${mark(c, p.token)}
        <span class="sr-only">${underpaid ? m.amountStillDue(p.token) : m.amount(p.token)}</span>
        <code part="amount-due" dir="ltr">${amount}</code>
        <span part="token">${p.token}</span>
        ${parts.copy('amount', amount)}
      </div>
      <div class="due-network">
        ${mark(c, p.network, true)}<span part="network"
          >${p.family === 'tron' ? `${p.token} · ${networkName(p)}` : p.network}</span
        >
        ${
          parts.changeMethod
            ? html`<button part="change-method" ?disabled=${parts.changing} @click=${parts.changeMethod}>
                ${m.changeMethod}
              </button>`
            : nothing
        }
      </div>
    </div>
    ${
      uri
        ? html`<div
            part="qr"
            role="img"
            aria-label=${m.qr(formatAmount(amount, tag), p.token, networkName(p), p.address)}
          >
            ${parts.qr}
          </div>`
        : nothing
    }
    <div class="address-row">
      <span class="sr-only">${m.address}</span>
      <code part="address" dir="ltr">${addressGroups(p.address).map((g) => html`<span>${g}</span>`)}</code>
      ${parts.copy('address', p.address)}
    </div>
    <p part="network-warning">
      ${
        p.family === 'tron'
          ? tronMessages(m).warning(p.token, networkName(p))
          : m.sendOnlyOn(p.token, p.network)
      }
    </p>
    ${
      // EIP-681 and BIP21 URIs open the buyer's wallet app; TRON's QR holds a bare address, no URI.
      uri && /^(ethereum|bitcoin|litecoin):/.test(uri)
        ? html`<a part="open-in-wallet" href=${uri}>${m.openInWallet}</a>`
        : nothing
    }
    ${parts.wallet} ${renderDetails(c, s, p)}
  `;
}

/**
 * The disclosure with what most buyers need not read: the token contract, the rate (and until when it
 * is locked), the confirmations needed and the notes on fees and networks.
 * @example html`${renderDetails(context, session, session.payment)}`
 */
export function renderDetails(c: ExtrasContext, s: BuyerSession, p: PaymentInstructions) {
  const { m, tag, html, nothing } = c;
  const { formatFiat, formatTime } = c.format;
  // A token transfer is paid for in the chain's own coin; name it when the session offers it too.
  const gasCoin = s.methods.find((x) => x.kind === 'native' && x.chain_id === p.chain_id)?.token;
  const lockedUntil = (p as PaymentInstructions & { rate_locked_until?: string | null }).rate_locked_until;
  return html`<details part="details">
    <summary>${m.paymentDetails}</summary>
    <dl>
      <dt>${m.token}</dt>
      <dd>
        ${p.token}${
          p.token_address
            ? html` <span class="muted">(${m.contract} <code dir="ltr">${p.token_address}</code>)</span>`
            : nothing
        }
      </dd>
      <dt>${m.rate}</dt>
      <dd>
        1 ${p.token} =
        ${formatFiat(p.rate, s.currency, tag)}${
          lockedUntil
            ? html` <span class="muted">(${m.rateLockedUntil(formatTime(lockedUntil, tag))})</span>`
            : nothing
        }
      </dd>
      <dt>${m.confirmationsNeeded}</dt>
      <dd>${p.confirmations_required}</dd>
    </dl>
    <p part="note">
      ${
        p.kind === 'trc20'
          ? tronMessages(m).fee(p.token)
          : p.kind === 'erc20'
            ? m.gasToken(p.token, gasCoin ?? m.gasUnknownCoin, p.network)
            : m.gasNative
      }
      ${m.onlyThis(p.token, networkName(p))} ${p.address.startsWith('0x') ? m.sameAddressElsewhere : ''}
    </p>
  </details>`;
}

/**
 * Sent → confirming x/N → paid, as an ordered list whose current step has `aria-current="step"`.
 * @example html`${renderSteps(context, session)}`
 */
export function renderSteps({ m, html, nothing, format }: ExtrasContext, s: BuyerSession) {
  const [seen, needed] = format.confirmationProgress(s);
  const paid = s.status !== 'processing';
  const steps: [string, boolean][] = [
    [m.stepSent, false],
    [m.stepConfirming(paid ? needed : seen, needed), !paid],
    [m.stepPaid, paid],
  ];
  return html`<ol part="steps" aria-label=${m.steps}>
    ${steps.map(
      ([label, current], i) =>
        html`<li
          class=${current ? 'current' : paid || i === 0 ? 'done' : ''}
          aria-current=${current ? 'step' : nothing}
        >
          ${label}
        </li>`,
    )}
  </ol>`;
}

/**
 * The receipt: what was paid, when, in which transaction (a link to the explorer when there is one),
 * for which order.
 * @example html`${renderReceipt(context, session, session.payment)}`
 */
export function renderReceipt(c: ExtrasContext, s: BuyerSession, p: PaymentInstructions) {
  const { m, tag, html, nothing } = c;
  const { formatAmount, shortHash, trimAmount } = c.format;
  const counted = s.transfers.filter((t) => t.expected && !t.late);
  const last: Transfer | undefined = counted[counted.length - 1];
  const received = trimAmount(s.amount_received ?? p.amount_due);
  const row = (term: string, value: unknown) =>
    html`<dt>${term}</dt>
      <dd>${value}</dd>`;
  return html`<dl part="receipt" aria-label=${m.receipt}>
    ${row(m.receiptPaid, `${formatAmount(received, tag)} ${p.token} · ${networkName(p)}`)}
    ${s.paid_at ? row(m.receiptDate, formatDateTime(s.paid_at, tag)) : nothing}
    ${last ? row(m.receiptTransaction, transferLink(c, p, last, shortHash(last.tx_hash), 'receipt-transaction')) : nothing}
    ${s.order_id ? row(m.receiptOrder, s.order_id) : nothing}
  </dl>`;
}

/** A transfer as a link to its network's explorer when there is one (http(s) only), else as text. */
function transferLink(
  { explorer, html }: ExtrasContext,
  p: PaymentInstructions,
  t: Transfer,
  label: string,
  name = 'transfer',
) {
  // The explorer is the chosen chain's: a transfer on another network is not on it. tronscan
  // names a transaction's page `#/transaction/<id>` (its explorer_url ends in `/#`), others `/tx/`.
  return explorer && t.chain_id === p.chain_id
    ? html`<a
        part=${name}
        href=${`${explorer}/${p.family === 'tron' ? 'transaction' : 'tx'}/${t.tx_hash}`}
        target="_blank"
        rel="noopener noreferrer"
        >${label}</a
      >`
    : html`<span part=${name}>${label}</span>`;
}

/**
 * Every transfer seen on the session's deposit addresses, those that do not count flagged (late, not
 * accepted, sent to an address the buyer went back from). Once paid the receipt is the summary: the
 * list is left out when its one transfer is the receipt's transaction, and otherwise folded into a
 * closed disclosure, "Transfers (2)".
 * @example html`${renderTransfers(context, session, session.payment)}`
 */
export function renderTransfers(c: ExtrasContext, s: BuyerSession, p: PaymentInstructions) {
  const { m, tag, html, nothing } = c;
  const { formatAmount, shortHash } = c.format;
  const paid = s.status === 'paid' || s.status === 'overpaid';
  const [only] = s.transfers;
  if (paid && s.transfers.length === 1 && only!.expected && !only!.late) return nothing;
  const list = html`<ul part="transfers" class="muted">
    ${s.transfers.map((t) => {
      // Money sent to a method the buyer went back from: recorded, not credited, reviewed by the merchant.
      const flag = t.abandoned_address
        ? m.transferToAbandonedAddress
        : !t.expected
          ? m.transferNotAccepted
          : t.late
            ? m.transferLate
            : '';
      const label =
        m.transfer(formatAmount(t.amount, tag), t.token, shortHash(t.tx_hash)) + (flag ? ` (${flag})` : '');
      return html`<li>${transferLink(c, p, t, label)}</li>`;
    })}
  </ul>`;
  return paid
    ? html`<details part="transfers-details">
        <summary>${m.transfers(s.transfers.length)}</summary>
        ${list}
      </details>`
    : list;
}

// Only what this chunk draws uses these two, so they live here rather than in the initial script.

/**
 * Splits an address into groups of four characters for reading and comparing (a `0x` prefix is its
 * own group). The groups are drawn apart with spacing, never joined by spaces, so that selecting the
 * address copies exactly the string, checksum case and all.
 * @example addressGroups('0xAbCd1234') // ['0x', 'AbCd', '1234']
 */
export function addressGroups(address: string): string[] {
  const prefix = address.startsWith('0x') ? '0x' : '';
  return [...(prefix ? [prefix] : []), ...(address.slice(prefix.length).match(/.{1,4}/g) ?? [])];
}

/**
 * Formats a date and time of an ISO timestamp in `locale`, e.g. for a receipt.
 * @example formatDateTime('2026-01-01T14:05:00Z', 'en') // 'Jan 1, 2026, 2:05 PM' (in New York: 9:05 AM)
 */
export function formatDateTime(iso: string, locale?: string): string {
  try {
    return new Intl.DateTimeFormat(locale || undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(
      Date.parse(iso),
    );
  } catch {
    return iso;
  }
}
