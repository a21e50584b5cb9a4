/**
 * Every text `<crypto-checkout>` shows or announces, in one place so that a translation can replace
 * this object as a whole. Values arrive already formatted (amounts are the server's decimal strings,
 * which the buyer must send exactly), so a translation only rearranges words around them.
 * @module
 */
import type { HostedMessages } from './hosted-messages.js';
import type { WalletMessages } from './wallet/wallet-messages.js';

export const messages = {
  loading: 'Loading checkout…',
  order: (id: string) => `Order ${id}`,
  retry: 'Try again',
  offline: 'Connection to the payment server lost. Retrying…',
  notFound: 'This checkout could not be found. Please ask the merchant for a new payment link.',
  unreachable: 'Could not reach the payment server. Check your connection and try again.',
  failed: (reason: string) => `Something went wrong: ${reason}`,

  expiresIn: (time: string, at: string) => `Expires in ${time} (at ${at})`,
  timeUp: 'Time is up, checking…',
  methodGroup: 'Payment method',
  methodOn: (network: string) => `on ${network}`,

  network: 'Network',
  token: 'Token',
  contract: 'contract',
  amount: (token: string) => `Amount (${token})`,
  amountStillDue: (token: string) => `Amount still due (${token})`,
  address: 'Address',
  copy: 'Copy',
  copied: 'Copied',
  /** The copy buttons' accessible names (their visible text is `copy`). */
  copyLabel: { amount: 'Copy amount', address: 'Copy address' },
  qr: (amount: string, token: string, network: string, address: string) =>
    `QR code: pay ${amount} ${token} on ${network} to ${address}`,
  gasToken: (token: string, coin: string, network: string) =>
    `Sending ${token} needs a little ${coin} on ${network} for the network fee.`,
  gasUnknownCoin: "of the network's own coin",
  gasNative: 'The network fee is paid on top of the amount.',
  onlyThis: (token: string, network: string) =>
    `Send only ${token} on ${network}; other tokens or networks cannot be credited.`,
  confirmations: 'Confirmations',
  transfer: (amount: string, token: string, hash: string) => `${amount} ${token} in ${hash}`,
  transferLate: 'late',
  transferNotAccepted: 'not accepted',
  /** A transfer to the address of a method the buyer went back from: it does not count. */
  transferToAbandonedAddress: 'to an earlier address: the merchant will review it',
  returnToMerchant: 'Return to merchant',

  // The payment at a glance, its details behind a disclosure, and the back action.
  sendOnlyOn: (token: string, network: string) => `Send ${token} on ${network} only.`,
  sameAddressElsewhere: 'The same address exists on other networks, but money sent there cannot be credited.',
  paymentDetails: 'Payment details',
  rate: 'Rate',
  rateLockedUntil: (time: string) => `locked until ${time}`,
  confirmationsNeeded: 'Confirmations needed',
  changeMethod: 'Change method',
  /** Beside the essentials when the full payment view (a lazily loaded chunk) failed to load. */
  extrasFailed: 'Part of the checkout could not load. The payment details below are all you need.',
  // Progress from sending to paid, and the receipt.
  steps: 'Payment progress',
  stepSent: 'Sent',
  stepConfirming: (seen: number, needed: number) => `Confirming ${seen}/${needed}`,
  stepPaid: 'Paid',
  receipt: 'Receipt',
  /** The paid state's disclosure of every transfer seen (the receipt names the one that paid). */
  transfers: (count: number) => `Transfers (${count})`,
  receiptPaid: 'Paid',
  receiptDate: 'Date',
  receiptTransaction: 'Transaction',
  receiptOrder: 'Order',
  startAgain: 'Start again',

  // The status line (the live region): one headline per status, and a detail where there is more to say.
  choose: 'Choose how to pay',
  waiting: 'Waiting for payment',
  confirming: (seen: number, needed: number) => `Payment seen — confirming ${seen}/${needed}`,
  underpaid: (received: string, remaining: string, token: string) =>
    `Received ${received} ${token} — ${remaining} ${token} still due`,
  sendRemainder: (remaining: string, token: string) =>
    `Send the remaining ${remaining} ${token} to the same address.`,
  paid: 'Payment received. Thank you!',
  overpaid: (excess: string, token: string) =>
    `${excess} ${token} more than due was received; the merchant can refund the excess.`,
  paidLate: 'Received after expiry — the merchant will review your payment.',
  expired: 'This checkout has expired.',
  expiredUnpaid: 'Payments to this checkout are no longer accepted. Please start a new checkout.',
  expiredPartly: (received: string, due: string, token: string) =>
    `You sent ${received} of ${due} ${token}; contact the merchant about a refund.`,
  canceled: 'This payment was canceled.',
  canceledButSent: (received: string, token: string) =>
    `${received} ${token} was received for it anyway; the merchant will review it.`,
  unexpectedAsset: (amount: string, token: string, network: string) =>
    `${amount} ${token} on ${network} was received but is not accepted by this checkout. The merchant will review it.`,

  // Paying from a wallet: the deep link (the wallet panel's texts are in wallet/wallet-messages.ts).
  openInWallet: 'Open in wallet app',

  // The modal dialog (<crypto-checkout-button>, CryptoCheckout.open) around the checkout.
  dialog: {
    /** The default text of <crypto-checkout-button>. */
    button: 'Pay with crypto',
    /** The dialog's accessible name. */
    label: 'Crypto payment',
    close: 'Close',
  },
};

/**
 * The texts of a TRON payment. Their English lives in the lazily loaded payment view
 * (payment-extras.ts → `TRON_MESSAGES`), not in {@link messages}, so that the initial script does not
 * carry them; a translation gives its own as `tron`.
 */
export interface TronMessages {
  /** Beside the address: where to send, and that another network's token sent here is lost. */
  warning: (token: string, network: string) => string;
  /** In the payment details: a TRC-20 transfer burns TRX for energy; a wallet without TRX fails. */
  fee: (token: string) => string;
}

/**
 * The texts of `<crypto-checkout>` in one language, as the element and its chunks read them. The
 * wallet panel's, the hosted page's and TRON's English texts are not in the initial script: they
 * travel with the code that shows them (wallet/wallet-messages.ts, hosted-messages.ts,
 * payment-extras.ts), which falls back to them when the language has none (English). Translations,
 * lazily loaded anyway, carry all of them.
 */
export type Messages = typeof messages & {
  wallet?: WalletMessages;
  hosted?: HostedMessages;
  tron?: TronMessages;
};

/** What a translation (locales/*.ts) provides: every text, the wallet panel's, hosted page's and TRON's too. */
export type Translation = typeof messages & {
  wallet: WalletMessages;
  hosted: HostedMessages;
  tron: TronMessages;
};
