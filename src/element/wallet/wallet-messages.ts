/**
 * The wallet panel's texts in English, in the lazily loaded wallet chunk rather than the initial
 * script: the panel uses them when the buyer's language is English (translations carry their own,
 * `Translation['wallet']`).
 * @module
 */

/** The wallet panel's English texts (`checkout-error` codes `wallet_*` have one each). */
export const walletMessages = {
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
};

/** The shape of {@link walletMessages}: what a translation provides as its `wallet` texts. */
export type WalletMessages = typeof walletMessages;
