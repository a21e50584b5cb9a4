/**
 * The chains and stablecoin contracts the backend knows by name, so that a configuration can say
 * `{ "key": "base", "rpc_url": "https://…" }` and get the chain id, name, native coin, explorer,
 * confirmations and tokens from here (see `parseConfig`).
 *
 * **Where the data comes from.** Chain ids, names, native coins, explorers and testnet flags match
 * viem's `viem/chains` (checked by `test/server/config.test.ts`). Token contracts are the issuer's:
 * Circle's native USDC (never bridged USDC.e) from Circle's "USDC contract addresses" page, and
 * Tether's USD₮ (on Arbitrum and Polygon the omnichain USD₮0 that Tether's USDT0 network runs at the
 * same address). BNB Smart Chain has neither issuer's contract: its USDC and USDT are Binance-Peg
 * tokens issued by Binance (18 decimals, not 6), included because they are what "USDC/USDT BEP-20"
 * means at every exchange; leave them out with `"tokens": []` if you accept only issuer contracts.
 * Each token says in its `source` where its address is listed and in a comment how it was checked:
 * "confirmed" means the address was found in the issuer's documentation or in several independent
 * integrators' copies of it; "from memory" means it was written from knowledge and matched against
 * third-party lists only. Verify an address on the explorer before you take real money with it.
 *
 * **Left out on purpose.** USDT on Base (only a bridged token exists, not issued by Tether); USDT on
 * OP Mainnet (the old `0x94b0…8e58` is the OP Standard Bridge's token, and Tether's USD₮0 there could
 * not be confirmed); USDT on testnets (Tether publishes none); tokens on BNB Smart Chain testnet and
 * anvil (anvil's tokens are deployed on every run, so they are always configured explicitly).
 *
 * **Confirmations** are the blocks, counting the one with the transfer, after which a payment counts
 * as paid. They trade checkout speed against the risk that a reorganisation removes the payment after
 * the merchant has delivered. Field notes: BVNK waits 12 on Ethereum/ERC-20 and Polygon, 10 on Base,
 * 4 on BEP-20 and 300 on Arbitrum; Cryptopay 3–6 on ERC-20, 15 on BEP-20, 127 on Polygon and 30 on
 * Arbitrum. Each chain below says why it has its number.
 */

import type { UtxoNetworkName } from './utxo/utxo-networks.js';

/** A stablecoin contract on a known chain, with where its address was taken from. */
export interface KnownToken {
  /** Ticker; with the chain key it forms the method id, e.g. `usdc@base`. */
  readonly symbol: 'USDC' | 'USDT';
  /** Contract address: EIP-55 checksummed on EVM chains, base58check `T…` on TRON. */
  readonly address: `0x${string}` | `T${string}`;
  /** Decimals of the token's atomic unit (6 for Circle and Tether, 18 for Binance-Peg tokens). */
  readonly decimals: number;
  /** Fiat currency the token is pegged 1:1 to. */
  readonly peg: 'USD';
  /** Who issues the token at this address. */
  readonly issuer: 'Circle' | 'Tether' | 'Binance';
  /** URL of a page that lists this address: the issuer's own where there is one. */
  readonly source: string;
}

/** A chain the configuration can name by `key` alone. */
export interface KnownChain {
  /** Short key used in the configuration and in method ids (`usdc@<key>`). */
  readonly key: string;
  /** The chain's family (`family.ts`). */
  readonly family: 'evm' | 'utxo' | 'tron';
  /** A UTXO chain's address encodings (`utxo/utxo-networks.ts`). */
  readonly utxo_network?: UtxoNetworkName;
  /** EIP-155 chain id; for a UTXO chain, which has none, a fixed negative number (its database key). */
  readonly id: number;
  /** Human name shown to buyers. */
  readonly name: string;
  /** Whether the chain's coins and tokens have no value. */
  readonly testnet: boolean;
  /** The coin that pays for gas; its ticker is the key of its price in `rates`. */
  readonly native: { readonly symbol: string; readonly decimals: number };
  /** Default confirmations a transfer needs to count as paid (including the block it is in). */
  readonly confirmations: number;
  /** Block explorer, for links from the checkout. */
  readonly explorer_url?: string;
  /** TRON: the public HTTP API of the network (TronGrid), the chain's default `http_api_url`. */
  readonly http_api_url?: string;
  /** The issuers' stablecoin contracts on this chain. */
  readonly tokens: readonly KnownToken[];
}

const CIRCLE_USDC = 'https://developers.circle.com/stablecoins/usdc-contract-addresses';
const TETHER_PROTOCOLS = 'https://tether.to/en/supported-protocols/';
const USDT0_DEPLOYMENTS = 'https://docs.usdt0.to/technical-documentation/developer#3-deployments';

/**
 * Every known chain, mainnets first. Keys are unique; so are token symbols and addresses per chain.
 * @example KNOWN_CHAINS.find((chain) => chain.id === 8453)?.key // 'base'
 */
export const KNOWN_CHAINS: readonly KnownChain[] = [
  {
    key: 'ethereum',
    family: 'evm',
    id: 1,
    name: 'Ethereum',
    testnet: false,
    native: { symbol: 'ETH', decimals: 18 },
    // 12 blocks ≈ 2.4 min at 12 s a block. Since the merge reorgs deeper than a block or two are
    // practically unseen; full finality (two epochs, ~13 min) is too slow for a checkout. Same as BVNK.
    confirmations: 12,
    explorer_url: 'https://etherscan.io',
    tokens: [
      // Confirmed: integrators' copies of Circle's list (Gelato, Coinflow, ZeroDev docs).
      {
        symbol: 'USDC',
        address: '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48',
        decimals: 6,
        peg: 'USD',
        issuer: 'Circle',
        source: CIRCLE_USDC,
      },
      // From memory (Tether's own ERC-20 contract since 2017); matches several third-party lists.
      {
        symbol: 'USDT',
        address: '0xdAC17F958D2ee523a2206206994597C13D831ec7',
        decimals: 6,
        peg: 'USD',
        issuer: 'Tether',
        source: TETHER_PROTOCOLS,
      },
    ],
  },
  {
    key: 'base',
    family: 'evm',
    id: 8453,
    name: 'Base',
    testnet: false,
    native: { symbol: 'ETH', decimals: 18 },
    // 10 blocks = 20 s at 2 s a block. Blocks come from one sequencer; they reorg only if it
    // misbehaves or the L1 batch is reorged, so a short wait suffices. Same as BVNK.
    confirmations: 10,
    explorer_url: 'https://basescan.org',
    tokens: [
      // Confirmed: integrators' copies of Circle's list (Gelato, Coinflow, ZeroDev docs).
      {
        symbol: 'USDC',
        address: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
        decimals: 6,
        peg: 'USD',
        issuer: 'Circle',
        source: CIRCLE_USDC,
      },
    ],
  },
  {
    key: 'polygon',
    family: 'evm',
    id: 137,
    name: 'Polygon PoS',
    testnet: false,
    native: { symbol: 'POL', decimals: 18 },
    // 128 blocks ≈ 4.3 min at 2 s a block. Polygon PoS has had deep reorgs (157 blocks in Feb 2023)
    // before milestone finality; 128 follows Cryptopay's 127 rather than BVNK's 12 to stay safe.
    confirmations: 128,
    explorer_url: 'https://polygonscan.com',
    tokens: [
      // Confirmed: integrators' copies of Circle's list (Gelato, Coinflow, ZeroDev docs). Native
      // USDC, not the bridged USDC.e at 0x2791…4174.
      {
        symbol: 'USDC',
        address: '0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359',
        decimals: 6,
        peg: 'USD',
        issuer: 'Circle',
        source: CIRCLE_USDC,
      },
      // From memory; matches third-party lists. Polygon is one of Tether's supported protocols, and
      // this contract was upgraded in place to USD₮0.
      {
        symbol: 'USDT',
        address: '0xc2132D05D31c914a87C6611C10748AEb04B58e8F',
        decimals: 6,
        peg: 'USD',
        issuer: 'Tether',
        source: TETHER_PROTOCOLS,
      },
    ],
  },
  {
    key: 'arbitrum',
    family: 'evm',
    id: 42161,
    name: 'Arbitrum One',
    testnet: false,
    native: { symbol: 'ETH', decimals: 18 },
    // 30 blocks ≈ 7.5 s at 0.25 s a block. The sequencer's order is final unless it misbehaves;
    // Cryptopay's 30 rather than BVNK's 300 (75 s), which buys little for a lot of waiting.
    confirmations: 30,
    explorer_url: 'https://arbiscan.io',
    tokens: [
      // Confirmed: integrators' copies of Circle's list (Gelato, Coinflow, ZeroDev docs). Native
      // USDC, not the bridged USDC.e at 0xFF97…5CC8.
      {
        symbol: 'USDC',
        address: '0xaf88d065e77c8cC2239327C5EDb3A432268e5831',
        decimals: 6,
        peg: 'USD',
        issuer: 'Circle',
        source: CIRCLE_USDC,
      },
      // From memory; matches third-party lists, which name it USD₮0 (Tether's omnichain USD₮).
      {
        symbol: 'USDT',
        address: '0xFd086bC7CD5C481DCC9C85ebE478A1C0b69FCbb9',
        decimals: 6,
        peg: 'USD',
        issuer: 'Tether',
        source: USDT0_DEPLOYMENTS,
      },
    ],
  },
  {
    key: 'optimism',
    family: 'evm',
    id: 10,
    name: 'OP Mainnet',
    testnet: false,
    native: { symbol: 'ETH', decimals: 18 },
    // 10 blocks = 20 s at 2 s a block: the same OP Stack as Base, so the same reasoning and number.
    confirmations: 10,
    explorer_url: 'https://optimistic.etherscan.io',
    tokens: [
      // Confirmed: integrators' copies of Circle's list (Gelato, Orderly, ZeroDev docs). Native
      // USDC, not the bridged USDC.e at 0x7F5c…1607.
      {
        symbol: 'USDC',
        address: '0x0b2C639c533813f4Aa9D7837CAf62653d097Ff85',
        decimals: 6,
        peg: 'USD',
        issuer: 'Circle',
        source: CIRCLE_USDC,
      },
    ],
  },
  {
    key: 'bsc',
    family: 'evm',
    id: 56,
    name: 'BNB Smart Chain',
    testnet: false,
    native: { symbol: 'BNB', decimals: 18 },
    // 15 blocks, as Cryptopay waits for BEP-20 (BVNK: 4). Blocks now come every 0.75 s and fast
    // finality usually settles within a few, so 15 costs seconds and covers a slow vote.
    confirmations: 15,
    explorer_url: 'https://bscscan.com',
    tokens: [
      // From memory; matches third-party lists. Binance-Peg USDC, 18 decimals, not issued by Circle.
      {
        symbol: 'USDC',
        address: '0x8AC76a51cc950d9822D68b83fE1Ad97B32Cd580d',
        decimals: 18,
        peg: 'USD',
        issuer: 'Binance',
        source: 'https://bscscan.com/token/0x8AC76a51cc950d9822D68b83fE1Ad97B32Cd580d',
      },
      // From memory; matches third-party lists. Binance-Peg USDT ("BSC-USD"), 18 decimals, not
      // issued by Tether.
      {
        symbol: 'USDT',
        address: '0x55d398326f99059fF775485246999027B3197955',
        decimals: 18,
        peg: 'USD',
        issuer: 'Binance',
        source: 'https://bscscan.com/token/0x55d398326f99059fF775485246999027B3197955',
      },
    ],
  },
  // Testnets: their coins have no value, so 3 confirmations keep test runs quick while still
  // showing the `confirming` state. Set `confirmations` to the mainnet's to rehearse its timing.
  {
    key: 'sepolia',
    family: 'evm',
    id: 11155111,
    name: 'Sepolia',
    testnet: true,
    native: { symbol: 'ETH', decimals: 18 },
    confirmations: 3,
    explorer_url: 'https://sepolia.etherscan.io',
    tokens: [
      // Confirmed: Circle's own developer skills (circlefin/skills, citing Circle's page), Interlace.
      {
        symbol: 'USDC',
        address: '0x1c7D4B196Cb0C7B01d743Fbc6116a902379C7238',
        decimals: 6,
        peg: 'USD',
        issuer: 'Circle',
        source: CIRCLE_USDC,
      },
    ],
  },
  {
    key: 'base-sepolia',
    family: 'evm',
    id: 84532,
    name: 'Base Sepolia',
    testnet: true,
    native: { symbol: 'ETH', decimals: 18 },
    confirmations: 3,
    explorer_url: 'https://sepolia.basescan.org',
    tokens: [
      // Confirmed: Circle's own developer skills (circlefin/skills, citing Circle's page), Interlace.
      {
        symbol: 'USDC',
        address: '0x036CbD53842c5426634e7929541eC2318f3dCF7e',
        decimals: 6,
        peg: 'USD',
        issuer: 'Circle',
        source: CIRCLE_USDC,
      },
    ],
  },
  {
    key: 'polygon-amoy',
    family: 'evm',
    id: 80002,
    name: 'Polygon Amoy',
    testnet: true,
    native: { symbol: 'POL', decimals: 18 },
    confirmations: 3,
    explorer_url: 'https://amoy.polygonscan.com',
    tokens: [
      // Confirmed: integrators' copies of Circle's testnet list (Interlace, Coinflow docs).
      {
        symbol: 'USDC',
        address: '0x41E94Eb019C0762f9Bfcf9Fb1E58725BfB0e7582',
        decimals: 6,
        peg: 'USD',
        issuer: 'Circle',
        source: CIRCLE_USDC,
      },
    ],
  },
  {
    key: 'arbitrum-sepolia',
    family: 'evm',
    id: 421614,
    name: 'Arbitrum Sepolia',
    testnet: true,
    native: { symbol: 'ETH', decimals: 18 },
    confirmations: 3,
    explorer_url: 'https://sepolia.arbiscan.io',
    tokens: [
      // Confirmed: Circle's own developer skills (circlefin/skills, citing Circle's page), Interlace.
      {
        symbol: 'USDC',
        address: '0x75faf114eafb1BDbe2F0316DF893fd58CE46AA4d',
        decimals: 6,
        peg: 'USD',
        issuer: 'Circle',
        source: CIRCLE_USDC,
      },
    ],
  },
  {
    key: 'optimism-sepolia',
    family: 'evm',
    id: 11155420,
    name: 'OP Sepolia',
    testnet: true,
    native: { symbol: 'ETH', decimals: 18 },
    confirmations: 3,
    explorer_url: 'https://optimism-sepolia.blockscout.com',
    tokens: [
      // Confirmed: integrators' copies of Circle's testnet list (Interlace, Orderly docs).
      {
        symbol: 'USDC',
        address: '0x5fd84259d66Cd46123540766Be93DFE6D43130D7',
        decimals: 6,
        peg: 'USD',
        issuer: 'Circle',
        source: CIRCLE_USDC,
      },
    ],
  },
  {
    key: 'bsc-testnet',
    family: 'evm',
    id: 97,
    name: 'BNB Smart Chain Testnet',
    testnet: true,
    native: { symbol: 'tBNB', decimals: 18 },
    confirmations: 3,
    explorer_url: 'https://testnet.bscscan.com',
    // Neither Circle nor Tether (nor Binance) lists a contract here.
    tokens: [],
  },
  {
    key: 'tron',
    family: 'tron',
    // What java-tron's JSON-RPC answers to eth_chainId on mainnet (0x2b6653dc: the last 4 bytes of
    // the genesis block's hash); viem's `tron` chain has the same id.
    id: 728126428,
    name: 'TRON',
    testnet: false,
    // TRX counts in sun: 1 TRX = 1 000 000 sun.
    native: { symbol: 'TRX', decimals: 6 },
    // A block is solidified once 19 of the 27 super representatives (2/3 + 1) built on it, ~57 s at
    // 3 s a block, and never reverts after that; 20 counts the block itself, as BVNK waits. The
    // watcher also waits for the solidified head itself (`finality`, docs/chains/tron.md).
    confirmations: 20,
    explorer_url: 'https://tronscan.org/#',
    // TronGrid, TRON's public API (rate-limited without an API key: give your node's to go without it).
    http_api_url: 'https://api.trongrid.io',
    tokens: [
      // Tether's USD₮ on TRON since 2019 (TRC-20, 6 decimals); from memory, matches Tether's
      // supported-protocols page and every integrator's list (BTCPay's USDt plugin, TronWeb docs).
      {
        symbol: 'USDT',
        address: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t',
        decimals: 6,
        peg: 'USD',
        issuer: 'Tether',
        source: TETHER_PROTOCOLS,
      },
    ],
  },
  {
    key: 'tron-nile',
    family: 'tron',
    // Nile's eth_chainId (0xcd8690dc), as viem's `tronNile` chain has it.
    id: 3448148188,
    name: 'TRON Nile Testnet',
    testnet: true,
    native: { symbol: 'TRX', decimals: 6 },
    // Solidified as on mainnet; testnet coins have no value, but the timing is worth rehearsing.
    confirmations: 20,
    explorer_url: 'https://nile.tronscan.org/#',
    http_api_url: 'https://nile.trongrid.io',
    // Tether publishes no USDT on Nile; its faucet's "USDT" is TRON's own test token
    // (docs/chains/tron.md says how to add it).
    tokens: [],
  },
  {
    key: 'tron-local',
    family: 'tron',
    // No fixed id exists for a local TRON network (a java-tron private net's id comes from its
    // genesis block): this one is what the tests give the anvil node that stands in for TRON's
    // JSON-RPC (`anvil --chain-id 1337728`). For a private java-tron net, give its eth_chainId.
    id: 1337728,
    name: 'TRON (local)',
    testnet: true,
    native: { symbol: 'TRX', decimals: 6 },
    confirmations: 1,
    tokens: [],
  },
  {
    key: 'anvil',
    family: 'evm',
    id: 31337,
    name: 'Anvil (local)',
    testnet: true,
    native: { symbol: 'ETH', decimals: 18 },
    // A local node mines only what it is told to and never reorgs by itself.
    confirmations: 1,
    // Tokens are deployed on every run, so their addresses are always configured explicitly.
    tokens: [],
  },
  // Bitcoin and Litecoin: no EIP-155 id, so each has a fixed negative number as its database key
  // (family.ts); their nodes are Bitcoin Core–compatible (Bitcoin Core ≥ 24, Litecoin Core 0.21).
  // Confirmations: BTCPay offers 0/1/2/6 on Bitcoin, default 1; 2 blocks (~20 min) keeps a
  // double spend by a competing block out of reach for shop-sized sums. Litecoin's blocks come every
  // 2.5 minutes: 6 (~15 min) is the same wait (BVNK 12, Cryptopay 1-6 by amount).
  {
    key: 'bitcoin',
    family: 'utxo',
    utxo_network: 'bitcoin',
    id: -1,
    name: 'Bitcoin',
    testnet: false,
    native: { symbol: 'BTC', decimals: 8 },
    confirmations: 2,
    explorer_url: 'https://mempool.space',
    tokens: [],
  },
  {
    key: 'litecoin',
    family: 'utxo',
    utxo_network: 'litecoin',
    id: -10,
    name: 'Litecoin',
    testnet: false,
    native: { symbol: 'LTC', decimals: 8 },
    confirmations: 6,
    explorer_url: 'https://litecoinspace.org',
    tokens: [],
  },
  {
    key: 'bitcoin-testnet',
    family: 'utxo',
    utxo_network: 'bitcoin-testnet',
    id: -2,
    name: 'Bitcoin Testnet',
    testnet: true,
    native: { symbol: 'BTC', decimals: 8 },
    confirmations: 1,
    explorer_url: 'https://mempool.space/testnet',
    tokens: [],
  },
  {
    key: 'bitcoin-signet',
    family: 'utxo',
    utxo_network: 'bitcoin-signet',
    id: -3,
    name: 'Bitcoin Signet',
    testnet: true,
    native: { symbol: 'BTC', decimals: 8 },
    confirmations: 1,
    explorer_url: 'https://mempool.space/signet',
    tokens: [],
  },
  {
    key: 'litecoin-testnet',
    family: 'utxo',
    utxo_network: 'litecoin-testnet',
    id: -11,
    name: 'Litecoin Testnet',
    testnet: true,
    native: { symbol: 'LTC', decimals: 8 },
    confirmations: 2,
    explorer_url: 'https://litecoinspace.org/testnet',
    tokens: [],
  },
  // Regtest: a local node that mines on demand; no explorer.
  {
    key: 'bitcoin-regtest',
    family: 'utxo',
    utxo_network: 'bitcoin-regtest',
    id: -4,
    name: 'Bitcoin (regtest)',
    testnet: true,
    native: { symbol: 'BTC', decimals: 8 },
    confirmations: 1,
    tokens: [],
  },
  {
    key: 'litecoin-regtest',
    family: 'utxo',
    utxo_network: 'litecoin-regtest',
    id: -12,
    name: 'Litecoin (regtest)',
    testnet: true,
    native: { symbol: 'LTC', decimals: 8 },
    confirmations: 1,
    tokens: [],
  },
];

/**
 * Finds a known chain by its configuration key.
 * @example findKnownChain('base')?.id // 8453
 */
export function findKnownChain(key: string): KnownChain | undefined {
  return KNOWN_CHAINS.find((chain) => chain.key === key);
}
