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

  expiresIn: (time: string) => `Expires in ${time}`,
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
  copyWhat: { amount: 'amount', address: 'address' },
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
  returnToMerchant: 'Return to merchant',

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
    `You sent ${received} ${token} after it was canceled; the merchant will review it.`,
  unexpectedAsset: (amount: string, token: string, network: string) =>
    `${amount} ${token} on ${network} was received but is not accepted by this checkout. The merchant will review it.`,
};

/** The shape of {@link messages}: what a translation provides. */
export type Messages = typeof messages;
