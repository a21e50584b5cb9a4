/**
 * The Bitcoin-like networks the UTXO family speaks: for each, the address encodings (bech32 HRP,
 * base58 version bytes), the BIP32 version bytes its node takes in descriptors, and the BIP21 URI
 * scheme. Values from Bitcoin Core's and Litecoin Core 0.21's `src/chainparams.cpp`.
 * @module
 */

/** A Bitcoin-like network's encodings. */
export interface UtxoNetwork {
  /** The coin, for messages: `Bitcoin`, `Litecoin`. */
  readonly coin: string;
  /** Whether it is a main network (xpub/zpub/Ltub keys) or a test one (tpub/vpub/ttub keys). */
  readonly mainnet: boolean;
  /** Native SegWit human-readable part: `bc`, `tb`, `bcrt`, `ltc`, `tltc`, `rltc`. */
  readonly bech32: string;
  /** Base58 version byte of P2PKH addresses. */
  readonly pubKeyHash: number;
  /** Base58 version byte of P2SH addresses. */
  readonly scriptHash: number;
  /** WIF version byte, for completeness (the server holds no private key; tests' bitcoinjs-lib asks for it). */
  readonly wif: number;
  /** BIP32 version bytes the node reads in descriptors (`xpub`/`tpub`; Litecoin Core 0.21 uses Bitcoin's). */
  readonly bip32: { readonly public: number; readonly private: number };
  /** BIP21 URI scheme. */
  readonly scheme: 'bitcoin' | 'litecoin';
  /** What `getblockchaininfo` answers as `chain` on this network's node. */
  readonly nodeChain: 'main' | 'test' | 'signet' | 'regtest';
}

const MAIN_BIP32 = { public: 0x0488b21e, private: 0x0488ade4 } as const;
const TEST_BIP32 = { public: 0x043587cf, private: 0x04358394 } as const;

/** Every network by name; a chain's `utxo_network` picks one (known chains set it). */
export const UTXO_NETWORKS = {
  bitcoin: {
    coin: 'Bitcoin',
    mainnet: true,
    bech32: 'bc',
    pubKeyHash: 0x00,
    scriptHash: 0x05,
    wif: 0x80,
    bip32: MAIN_BIP32,
    scheme: 'bitcoin',
    nodeChain: 'main',
  },
  'bitcoin-testnet': {
    coin: 'Bitcoin',
    mainnet: false,
    bech32: 'tb',
    pubKeyHash: 0x6f,
    scriptHash: 0xc4,
    wif: 0xef,
    bip32: TEST_BIP32,
    scheme: 'bitcoin',
    nodeChain: 'test',
  },
  'bitcoin-signet': {
    coin: 'Bitcoin',
    mainnet: false,
    bech32: 'tb',
    pubKeyHash: 0x6f,
    scriptHash: 0xc4,
    wif: 0xef,
    bip32: TEST_BIP32,
    scheme: 'bitcoin',
    nodeChain: 'signet',
  },
  'bitcoin-regtest': {
    coin: 'Bitcoin',
    mainnet: false,
    bech32: 'bcrt',
    pubKeyHash: 0x6f,
    scriptHash: 0xc4,
    wif: 0xef,
    bip32: TEST_BIP32,
    scheme: 'bitcoin',
    nodeChain: 'regtest',
  },
  litecoin: {
    coin: 'Litecoin',
    mainnet: true,
    bech32: 'ltc',
    pubKeyHash: 0x30,
    scriptHash: 0x32,
    wif: 0xb0,
    bip32: MAIN_BIP32,
    scheme: 'litecoin',
    nodeChain: 'main',
  },
  'litecoin-testnet': {
    coin: 'Litecoin',
    mainnet: false,
    bech32: 'tltc',
    pubKeyHash: 0x6f,
    scriptHash: 0x3a,
    wif: 0xef,
    bip32: TEST_BIP32,
    scheme: 'litecoin',
    nodeChain: 'test',
  },
  'litecoin-regtest': {
    coin: 'Litecoin',
    mainnet: false,
    bech32: 'rltc',
    pubKeyHash: 0x6f,
    scriptHash: 0x3a,
    wif: 0xef,
    bip32: TEST_BIP32,
    scheme: 'litecoin',
    nodeChain: 'regtest',
  },
} as const satisfies Record<string, UtxoNetwork>;

/** The name of a network in {@link UTXO_NETWORKS}. */
export type UtxoNetworkName = keyof typeof UTXO_NETWORKS;

/** The names of every network, for the configuration's enum. */
export const UTXO_NETWORK_NAMES = Object.keys(UTXO_NETWORKS) as [UtxoNetworkName, ...UtxoNetworkName[]];
