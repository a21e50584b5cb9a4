/**
 * Builds a chain's {@link ForwarderSweeper} from configuration: viem's public client on the chain's
 * RPC URL and the relayer's wallet client from its key. In a module of its own so that the server
 * and the CLI load viem's clients only when a forwarder chain needs them.
 */
import { createPublicClient, createWalletClient, defineChain, http, type PublicClient } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { ChainConfig } from '../config.js';
import type { Database } from '../store/database.js';
import { SweepStore } from '../store/sweep-store.js';
import { ForwarderSweeper, type ForwarderSweeperOptions } from './forwarder-sweeper.js';
import type { SweepHook } from '../webhooks/sweep-webhooks.js';
import type { Ledger } from './ledger.js';

/**
 * A sweeper for `chain` on `db`; without `relayerKey` it can plan (dry runs) but not send.
 * @example const sweeper = createForwarderSweeper({ chain, db, ledger, relayerKey: config.treasury.relayer_key });
 */
export function createForwarderSweeper(options: {
  chain: ChainConfig;
  db: Database;
  /** The ledger confirmed sweeps are written to. */
  ledger: Ledger;
  relayerKey?: string | undefined;
  /** Writes the sweep webhooks (webhooks/sweep-webhooks.ts); without, none are written. */
  onSweepChange?: SweepHook | undefined;
  logger?: ForwarderSweeperOptions['logger'];
}): ForwarderSweeper {
  const { chain } = options;
  const definition = defineChain({
    id: chain.id,
    name: chain.name,
    nativeCurrency: {
      name: chain.native?.symbol ?? 'ETH',
      symbol: chain.native?.symbol ?? 'ETH',
      decimals: chain.native?.decimals ?? 18,
    },
    rpcUrls: { default: { http: [chain.rpc_url] } },
  });
  const transport = http(chain.rpc_url);
  // No cached block number (viem keeps one for 4 s by default): a sweep mined right after the plan
  // read the head would count as unconfirmed, and a one-shot `sweep --execute` would end with it
  // still pending and stop before its next batch.
  const client = createPublicClient({ chain: definition, transport, cacheTime: 0 }) as PublicClient;
  const relayer = options.relayerKey
    ? createWalletClient({
        chain: definition,
        transport,
        account: privateKeyToAccount(options.relayerKey as `0x${string}`),
      })
    : undefined;
  return new ForwarderSweeper({
    chain,
    store: new SweepStore(options.db, { onChange: options.onSweepChange }),
    ledger: options.ledger,
    client,
    relayer,
    logger: options.logger,
  });
}
