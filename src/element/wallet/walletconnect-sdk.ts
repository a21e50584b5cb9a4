/**
 * WalletConnect's provider, re-exported so that the bundler puts it in a chunk of its own
 * (`walletconnect-sdk-….js`), fetched only when the buyer can choose WalletConnect. Importing it
 * starts nothing: storage (indexedDB) and the relay connection open in `EthereumProvider.init()`.
 * @module
 */
export { EthereumProvider } from '@walletconnect/ethereum-provider';
