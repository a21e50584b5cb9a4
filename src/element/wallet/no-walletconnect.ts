/**
 * Stands in for `@walletconnect/ethereum-provider` in the Node build (dist/node, an alias in
 * vite.node.config.ts). That build exists for server-side rendering, where no buyer pays: the wallet
 * chunks are never loaded there, and this keeps WalletConnect's SDK out of the package's dependencies.
 * @module
 */

/** Throws: WalletConnect pairs a wallet in a browser, never on a server. */
export const EthereumProvider = {
  init(): never {
    throw new Error('WalletConnect runs in the browser only; this is crypto-checkout’s Node (SSR) build');
  },
};
