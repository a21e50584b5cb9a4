/**
 * The TRON chain watcher: the EVM watcher (`../evm/chain-watcher.ts`) over TRON's
 * Ethereum-compatible JSON-RPC, with TRON's differences given as its {@link EvmDialect}:
 * - addresses are read from the node as `0x…` and matched, stored and shown as `T…`; transaction
 *   ids are stored without `0x`, as TRON writes them (and tronscan links them);
 * - a block counts toward confirmations only up to the solidified head (`finality: "solidified"`,
 *   the default), read from the HTTP API's `/walletsolidity/getnowblock` or the `finalized` tag;
 * - java-tron has no `eth_subscribe`: the chain is polled;
 * - TRX from the chain's `treasury_address` to a deposit address is the top-up that pays a USDT
 *   sweep's energy, not a payment: `treasury/tron-treasury-watch.ts` books it;
 * - a TRC-10 token transfer, which the JSON-RPC lists with its token amount as `value` like TRX, is
 *   no payment: with `http_api_url` each transfer to a deposit address is checked to be a
 *   `TransferContract` (TRX) first.
 * @module
 */
import { createPublicClient, http, type PublicClient } from 'viem';
import { startChainWatcher, type EvmDialect } from '../evm/chain-watcher.js';
import { observedTransport } from '../evm/observed-transport.js';
import type { ChainWatcher, ChainWatcherOptions } from '../family.js';
import { tronAddressFromHex, tronAddressToHex } from './address.js';
import { solidHeadReader } from './solid-head.js';
import { transactionContractTypeReader } from './transaction-fee.js';

/** What the TRON watcher needs: the family's common options, and an optional client (tests). */
export interface TronWatcherOptions extends ChainWatcherOptions {
  /** A client to use instead of one built from `chain.rpc_url`. */
  client?: PublicClient;
}

/**
 * TRON's dialect of the EVM watcher for `chain`. With `finality: "solidified"` the watcher records
 * blocks up to `solid + confirmations − 1` at most, so a transfer reaches its confirmations only
 * once its block is solid (and has them); blocks above are recorded as the solidified head moves.
 * @example startChainWatcher({ ...options, dialect: tronDialect(chain, client) })
 */
export function tronDialect(chain: ChainWatcherOptions['chain'], client: PublicClient): EvmDialect {
  const readSolid = tronSolidHead(chain, client);
  return {
    address: (hex) => tronAddressFromHex(hex),
    contract: (address) => tronAddressToHex(address),
    txHash: (hash) => hash.replace(/^0x/, ''),
    subscribe: false,
    countableHead:
      chain.finality === 'confirmations'
        ? undefined
        : async (head) => Math.min(head, (await readSolid()) + chain.confirmations - 1),
    ...(chain.treasury_address ? { ownSender: (address) => address === chain.treasury_address } : {}),
    ...(chain.http_api_url ? { nativeTransfer: trxTransfer(chain.http_api_url) } : {}),
  };
}

/**
 * Whether a transaction is a TRX transfer (`TransferContract`), from the full node's HTTP API
 * (`/wallet/gettransactionbyid`: the watcher counts blocks not solidified yet): java-tron's JSON-RPC
 * lists a TRC-10 token transfer (`TransferAssetContract`) with its token amount as `value`, like TRX,
 * and anyone can issue a TRC-10 token. Without `http_api_url` it cannot be told (config.ts says so).
 */
function trxTransfer(httpApiUrl: string): (hash: `0x${string}`) => Promise<boolean> {
  const typeOf = transactionContractTypeReader({ httpApiUrl, node: 'wallet' });
  return async (hash) => (await typeOf(hash)) === 'TransferContract';
}

/**
 * The reader of `chain`'s solidified head: its HTTP API (`http_api_url`) when set, else the
 * JSON-RPC `finalized` tag through `client`.
 * @example await tronSolidHead(chain, client)() // 66987608
 */
export function tronSolidHead(
  chain: ChainWatcherOptions['chain'],
  client: PublicClient,
): () => Promise<number> {
  return solidHeadReader({
    httpApiUrl: chain.http_api_url ?? null,
    readFinalized: async () => Number((await client.getBlock({ blockTag: 'finalized' })).number),
  });
}

/**
 * Starts watching a TRON chain for USDT (TRC-20) and TRX payments to open deposits.
 * @example const watcher = startTronWatcher({ chain, sessions, logger }); await watcher.stop();
 */
export function startTronWatcher(options: TronWatcherOptions): ChainWatcher {
  const { chain } = options;
  const client =
    options.client ??
    (createPublicClient({
      transport: observedTransport(http(chain.rpc_url, { retryCount: 1 }), chain.key, options.observeRpc),
    }) as PublicClient);
  return startChainWatcher({ ...options, client, dialect: tronDialect(chain, client) });
}
