/**
 * Every text `<crypto-checkout>` shows or announces, in one place so that a translation can replace
 * this object as a whole. Values arrive already formatted (amounts are the server's decimal strings,
 * which the buyer must send exactly), so a translation only rearranges words around them.
 * @module
 */
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

  // Paying from a wallet: the deep link, and the wallet panel (drawn by the lazily loaded wallet chunk).
  openInWallet: 'Open in wallet app',
  wallet: {
    group: 'Pay with a wallet',
    heading: (amount: string, token: string) => `Pay ${amount} ${token} from a wallet:`,
    browserWallet: 'Browser wallet',
    walletConnect: 'WalletConnect',
    walletConnectHint: '— a wallet app on your phone',
    orManually: 'Or send it yourself:',
    connecting: (wallet: string) => `Waiting for ${wallet}… Approve the connection there.`,
    startingWalletConnect: 'Starting WalletConnect…',
    pairing: 'Scan this code with your wallet app, or open the app on this device.',
    pairingQr: 'QR code to connect a wallet app with WalletConnect',
    openWalletApp: 'Open wallet app',
    switching: (wallet: string, network: string) => `Switch ${wallet} to ${network} when it asks…`,
    checking: (wallet: string) => `Checking the balance in ${wallet}…`,
    pay: (amount: string, token: string) => `Pay ${amount} ${token}`,
    from: (account: string, wallet: string, network: string) => `from ${account} (${wallet}) on ${network}`,
    confirm: (wallet: string) => `Confirm the payment in ${wallet}…`,
    openPeer: (wallet: string) => `Open ${wallet}`,
    sent: 'Sent in transaction',
    sentWaiting: 'Waiting for the network to confirm it…',
    cancel: 'Cancel',
    retry: 'Try again',
    another: 'Choose another wallet',
    // Errors, one per `wallet_*` code of `checkout-error`.
    rejected: 'You declined the request in your wallet; nothing was sent.',
    wrongNetwork: (network: string) =>
      `Your wallet is on another network. Switch it to ${network} (or let it add ${network}), then try again.`,
    insufficientFunds: (balance: string, due: string, token: string, network: string) =>
      `This wallet holds ${balance} ${token} on ${network}, but ${due} ${token} is due. Add funds or choose another wallet.`,
    noGas: (coin: string, network: string) =>
      `This wallet needs a little ${coin} on ${network} to pay the network fee, and has too little. Add some, then try again.`,
    disconnected: 'Your wallet disconnected. Connect it again to pay.',
    reverted: 'The transaction failed on the network (it was reverted); nothing was paid. Try again.',
    busy: 'Your wallet is waiting for an answer to an earlier request: open it, answer it, then try again.',
    failed: (reason: string) => `The wallet reported a problem: ${reason}`,
  },

  // The modal dialog (<crypto-checkout-button>, CryptoCheckout.open) around the checkout.
  dialog: {
    /** The default text of <crypto-checkout-button>. */
    button: 'Pay with crypto',
    /** The dialog's accessible name. */
    label: 'Crypto payment',
    close: 'Close',
  },

  // The hosted checkout page the backend serves at `checkout_url`.
  hosted: {
    /**
     * The page's heading and title; `merchant` is the merchant's name (`merchant_name`), or `''` when none
     * is configured: then neutral words, never the backend's host name.
     */
    title: (merchant: string) => (merchant ? `Pay ${merchant}` : 'Complete your payment'),
    returnTo: (merchant: string) => (merchant ? `Return to ${merchant}` : 'Return to the merchant'),
    cancelAndReturn: (merchant: string) =>
      merchant ? `Cancel and return to ${merchant}` : 'Cancel and return to the merchant',
    incomplete: 'This payment link is incomplete. Go back to the merchant and start the payment again.',
    /** Under the return link: the merchant learns of the payment from the payment server, not from the click. */
    returnNote: 'Your payment is recorded even if you close this page.',
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

/** The shape of {@link messages}: what a translation provides (translations also give `tron`). */
export type Messages = typeof messages & { tron?: TronMessages };
