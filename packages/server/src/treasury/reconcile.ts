/**
 * Holds the ledger against the chain: for every address the ledger says holds an asset (deposit
 * addresses, the treasury, a payout source), the balance the chain reports now — ERC-20 `balanceOf`
 * or the native balance — must equal what the ledger sums to. Every difference is reported; the
 * `reconcile` command exits non-zero on any. Money the ledger does not know (a transfer nobody
 * recorded, a sweep not reported, gas not booked) shows up here.
 *
 * An address is checked for the assets it has ledger entries of other than fees: a payout source
 * pays its gas in the native coin it was funded with from outside, which the ledger records only as
 * fees, so its native balance is not expected to match.
 * @module
 */
import { createPublicClient, erc20Abi, getAddress, http, type PublicClient } from 'viem';
import type { ChainConfig } from '../config.js';
import { formatAtomic } from '../money.js';
import type { Ledger } from './ledger.js';

/** One address and asset where the ledger and the chain disagree. */
export interface ReconcileDifference {
  address: string;
  asset: string;
  chain_id: number;
  /** What the ledger sums to, in atomic units. */
  ledger_atomic: bigint;
  /** What the chain says, in atomic units. */
  chain_atomic: bigint;
}

/** The outcome of a reconciliation. */
export interface ReconcileReport {
  /** How many address–asset pairs were compared. */
  checked: number;
  differences: ReconcileDifference[];
  /** The block each chain was read at. */
  blocks: Record<number, bigint>;
}

/**
 * Compares the ledger (both modes, or one) with the chains, at each chain's latest block.
 * @example const report = await reconcile({ ledger, chains: config.chains }); if (report.differences.length) process.exitCode = 1;
 */
export async function reconcile(options: {
  ledger: Ledger;
  chains: readonly ChainConfig[];
  livemode?: boolean | null;
  /** A client per chain; default: HTTP to its `rpc_url`. */
  client?: (chain: ChainConfig) => PublicClient;
}): Promise<ReconcileReport> {
  const { ledger, chains } = options;
  const holdings = await ledger.holdings(options.livemode ?? null);
  const clients = new Map<number, PublicClient>();
  const blocks: Record<number, bigint> = {};
  const differences: ReconcileDifference[] = [];
  for (const holding of holdings) {
    const chain = chains.find((c) => c.id === holding.chain_id);
    if (!chain)
      throw new Error(
        `the ledger has ${holding.asset} on chain ${holding.chain_id}, which is not configured`,
      );
    let client = clients.get(chain.id);
    if (!client) {
      client =
        options.client?.(chain) ?? (createPublicClient({ transport: http(chain.rpc_url) }) as PublicClient);
      clients.set(chain.id, client);
      blocks[chain.id] = await client.getBlockNumber();
    }
    const blockNumber = blocks[chain.id]!;
    const address = getAddress(holding.address);
    const onChain = holding.token_address
      ? await client.readContract({
          address: getAddress(holding.token_address),
          abi: erc20Abi,
          functionName: 'balanceOf',
          args: [address],
          blockNumber,
        })
      : await client.getBalance({ address, blockNumber });
    if (onChain !== holding.amount_atomic) {
      differences.push({
        address,
        asset: holding.asset,
        chain_id: holding.chain_id,
        ledger_atomic: holding.amount_atomic,
        chain_atomic: onChain,
      });
    }
  }
  return { checked: holdings.length, differences, blocks };
}

/** The report as lines for a person: one per difference, then a summary. */
export function formatReconcileReport(
  report: ReconcileReport,
  decimalsOf: (asset: string) => number,
): string[] {
  const lines = report.differences.map((d) => {
    const decimals = decimalsOf(d.asset);
    const delta = d.chain_atomic - d.ledger_atomic;
    return `DIFFERENCE ${d.asset} at ${d.address}: ledger ${formatAtomic(d.ledger_atomic, decimals)}, chain ${formatAtomic(d.chain_atomic, decimals)} (chain ${delta > 0n ? '+' : ''}${formatAtomic(delta, decimals)})`;
  });
  const at = Object.entries(report.blocks)
    .map(([chain, block]) => `chain ${chain} at block ${block}`)
    .join(', ');
  lines.push(
    `${report.checked} address/asset pair(s) checked${at ? ` (${at})` : ''}: ${
      report.differences.length
        ? `${report.differences.length} difference(s)`
        : 'the ledger and the chain agree'
    }`,
  );
  return lines;
}
