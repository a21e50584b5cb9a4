/**
 * Holds the ledger against the chain: for every address the ledger says holds an asset (deposit
 * addresses, the treasury, a payout source), the balance the chain reports now — ERC-20 `balanceOf`
 * or the native balance — must equal what the ledger sums to. Every difference is reported; the
 * `reconcile` command exits non-zero on any. Money the ledger does not know (a transfer nobody
 * recorded, a sweep not reported, gas not booked) shows up here.
 *
 * On a Bitcoin-like chain the node's UTXO set is read instead (`scantxoutset` of the addresses, one
 * call per chain: coins in blocks, whatever their depth, none of the mempool's): the deposit
 * addresses one by one, and the treasury (every address m/…/1/i handed out) as a whole, since a
 * payout's change moves coins between its addresses. It is independent of the
 * watch-only wallet the watcher reads. On mainnet the scan takes a minute or two (it walks the whole
 * UTXO set), which a reconciliation can afford.
 *
 * On a TRON chain the balances are read at the settled block (the solidified head, `confirmations`
 * deep) with the addresses as issued (`T…`): TRC-20 `balanceOf` by `eth_call`, TRX by `eth_getBalance`.
 *
 * An address is checked for the assets it has ledger entries of other than fees: a payout source
 * pays its gas in the native coin it was funded with from outside, which the ledger records only as
 * fees, so its native balance is not expected to match.
 * @module
 */
import { createPublicClient, erc20Abi, getAddress, http, type PublicClient } from 'viem';
import type { ChainConfig } from '../config.js';
import { formatAtomic, toAtomic } from '../money.js';
import type { Ledger } from './ledger.js';
import { nodeRpc, type NodeRpc } from '../chain/utxo/node-rpc.js';

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
  /**
   * Spends of Bitcoin/Litecoin deposit coins waiting for review (sent outside the treasury: nothing
   * booked), which explain a deposit address the chain shows short.
   */
  reviews?: { chain_id: number; tx_hash: string; address: string; reason: string }[];
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
  /** The node client of a Bitcoin-like chain; default: JSON-RPC to its `rpc_url`. */
  nodeRpc?: (chain: ChainConfig) => NodeRpc;
}): Promise<ReconcileReport> {
  const { ledger, chains } = options;
  const all = await ledger.holdings(options.livemode ?? null);
  const utxoChains = new Set(chains.filter((c) => c.family === 'utxo').map((c) => c.id));
  const tronChains = chains.filter((c) => c.family === 'tron');
  const holdings = all.filter(
    (h) => !utxoChains.has(h.chain_id) && !tronChains.some((c) => c.id === h.chain_id),
  );
  const differences: ReconcileDifference[] = [];
  const blocks: Record<number, bigint> = {};
  const reviews: NonNullable<ReconcileReport['reviews']> = [];
  for (const chain of chains.filter((c) => utxoChains.has(c.id))) {
    const mine = all.filter((h) => h.chain_id === chain.id);
    if (!mine.length) continue;
    const rpc = options.nodeRpc?.(chain) ?? nodeRpc(chain.rpc_url, { chain: chain.key });
    const scan = await scanUtxoAddresses(
      ledger,
      chain,
      rpc,
      mine.map((h) => h.address),
    );
    const waiting = await sweepsForReview(ledger, chain.id);
    for (const w of waiting)
      reviews.push({ chain_id: chain.id, tx_hash: w.tx_hash, address: w.address, reason: w.review_reason });
    blocks[chain.id] = BigInt(scan.height);
    // Deposit addresses one by one; the treasury as one (a payout's change moves coins between its
    // addresses, which the ledger need not follow).
    const treasury = { ledger: 0n, asset: mine[0]!.asset };
    for (const holding of mine) {
      if (scan.treasury.has(holding.address)) {
        treasury.ledger += holding.amount_atomic;
        continue;
      }
      const onChain = scan.balances.get(holding.address) ?? 0n;
      if (onChain !== holding.amount_atomic)
        differences.push({
          address: scan.spelled.get(holding.address) ?? holding.address,
          asset: holding.asset,
          chain_id: chain.id,
          ledger_atomic: holding.amount_atomic,
          chain_atomic: onChain,
        });
    }
    let treasuryOnChain = 0n;
    for (const address of scan.treasury) treasuryOnChain += scan.balances.get(address) ?? 0n;
    if (scan.treasury.size && treasuryOnChain !== treasury.ledger)
      differences.push({
        address: `treasury (m/…/1/*, ${scan.treasury.size} addresses)`,
        asset: treasury.asset,
        chain_id: chain.id,
        ledger_atomic: treasury.ledger,
        chain_atomic: treasuryOnChain,
      });
  }
  for (const chain of tronChains) {
    const mine = all.filter((h) => h.chain_id === chain.id);
    if (!mine.length) continue;
    const client =
      options.client?.(chain) ?? (createPublicClient({ transport: http(chain.rpc_url) }) as PublicClient);
    const tron = await reconcileTron(ledger, chain, client, mine);
    blocks[chain.id] = tron.block;
    differences.push(...tron.differences);
    reviews.push(...tron.reviews);
  }
  const clients = new Map<number, PublicClient>();
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
  return { checked: all.length, differences, blocks, ...(reviews.length ? { reviews } : {}) };
}

/**
 * A TRON chain: each address's TRC-20 `balanceOf` (`eth_call`) or TRX balance (`eth_getBalance`, in
 * sun) at the settled block — the solidified head, `confirmations` deep — against the ledger, with
 * addresses as issued (`T…`, base58 is case-sensitive; the ledger sums them case-blind). Transfers
 * waiting for review (sent elsewhere than the treasury, or out of the treasury for no payout) are
 * listed: they explain a difference.
 */
async function reconcileTron(
  ledger: Ledger,
  chain: ChainConfig,
  client: PublicClient,
  mine: Awaited<ReturnType<Ledger['holdings']>>,
): Promise<{
  block: bigint;
  differences: ReconcileDifference[];
  reviews: NonNullable<ReconcileReport['reviews']>;
}> {
  const { tronSolidHead } = await import('../chain/tron/chain-watcher.js');
  const { tronAddressToHex } = await import('../chain/tron/address.js');
  const head = Number(await client.getBlockNumber());
  let settled = head - chain.confirmations + 1;
  if (chain.finality !== 'confirmations') settled = Math.min(settled, await tronSolidHead(chain, client)());
  const block = BigInt(Math.max(0, settled));
  const { rows } = await ledger.db.query<{ address: string }>(
    `SELECT address FROM deposits WHERE chain_id = $1 UNION SELECT address FROM abandoned_deposits WHERE chain_id = $1
     UNION SELECT address FROM ledger_entries WHERE chain_id = $1 AND address IS NOT NULL
     UNION SELECT counterparty FROM ledger_entries WHERE chain_id = $1 AND counterparty IS NOT NULL`,
    [chain.id],
  );
  const spelled = new Map(rows.map((r) => [r.address.toLowerCase(), r.address]));
  if (chain.treasury_address) spelled.set(chain.treasury_address.toLowerCase(), chain.treasury_address);
  const differences: ReconcileDifference[] = [];
  for (const holding of mine) {
    const address = spelled.get(holding.address) ?? holding.address;
    const hex = tronAddressToHex(address);
    const onChain = holding.token_address
      ? await client.readContract({
          address: tronAddressToHex(ledger.method(holding.asset)?.token_address ?? holding.token_address),
          abi: erc20Abi,
          functionName: 'balanceOf',
          args: [hex],
          blockNumber: block,
        })
      : await client.getBalance({ address: hex, blockNumber: block });
    if (onChain !== holding.amount_atomic)
      differences.push({
        address,
        asset: holding.asset,
        chain_id: chain.id,
        ledger_atomic: holding.amount_atomic,
        chain_atomic: onChain,
      });
  }
  const waiting = await sweepsForReview(ledger, chain.id);
  return {
    block,
    differences,
    reviews: waiting.map((w) => ({
      chain_id: chain.id,
      tx_hash: w.tx_hash,
      address: w.address,
      reason: w.review_reason,
    })),
  };
}

/**
 * The coins in blocks at each of `addresses` (as the ledger keeps them, lower-cased) of a UTXO chain,
 * from the node's UTXO set: the balance per address, the height read at, and each address as
 * spelled (base58 addresses are case-sensitive; the deposit and treasury tables keep them as issued).
 */
async function scanUtxoAddresses(
  ledger: Ledger,
  chain: ChainConfig,
  rpc: NodeRpc,
  addresses: readonly string[],
): Promise<{
  height: number;
  balances: Map<string, bigint>;
  spelled: Map<string, string>;
  treasury: Set<string>;
}> {
  const { rows: issued } = await ledger.db.query<{ address: string }>(
    'SELECT address FROM utxo_treasury_addresses WHERE chain_id = $1',
    [chain.id],
  );
  const treasury = new Set(issued.map((r) => r.address.toLowerCase()));
  const { rows } = await ledger.db.query<{ address: string }>(
    `SELECT address FROM deposits WHERE chain_id = $1 UNION SELECT address FROM abandoned_deposits WHERE chain_id = $1
     UNION SELECT address FROM utxo_treasury_addresses WHERE chain_id = $1
     UNION SELECT counterparty FROM ledger_entries WHERE chain_id = $1 AND kind = 'sweep'`,
    [chain.id],
  );
  const spelled = new Map(rows.filter((r) => r.address).map((r) => [r.address.toLowerCase(), r.address]));
  const wanted = [...new Set([...addresses, ...treasury])].map((a) => spelled.get(a) ?? a);
  const scan = await rpc<{
    success: boolean;
    height: number;
    unspents: { scriptPubKey: string; amount: string }[];
  }>('scantxoutset', ['start', wanted.map((a) => `addr(${a})`)]);
  if (!scan.success) throw new Error(`${chain.key}: the node's scantxoutset did not complete`);
  const byScript = new Map<string, string>();
  for (const address of wanted) {
    const info = await rpc<{ isvalid: boolean; scriptPubKey?: string }>('validateaddress', [address]);
    if (info.isvalid && info.scriptPubKey) byScript.set(info.scriptPubKey, address.toLowerCase());
  }
  const balances = new Map<string, bigint>();
  for (const u of scan.unspents) {
    const address = byScript.get(u.scriptPubKey);
    if (address) balances.set(address, (balances.get(address) ?? 0n) + toAtomic(u.amount, 8));
  }
  return { height: scan.height, balances, spelled, treasury };
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
  for (const r of report.reviews ?? [])
    lines.push(`REVIEW sweep ${r.tx_hash} from ${r.address} (chain ${r.chain_id}): ${r.reason}`);
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

/** The chain's sweeps waiting for review (money that left a deposit address elsewhere), in a stable order. */
async function sweepsForReview(
  ledger: Ledger,
  chainId: number,
): Promise<{ tx_hash: string; address: string; review_reason: string }[]> {
  const { rows } = await ledger.db.query<{ tx_hash: string; address: string; review_reason: string }>(
    `SELECT tx_hash, address, review_reason FROM sweeps WHERE chain_id = $1 AND status = 'needs_review' ORDER BY tx_hash, address`,
    [chainId],
  );
  return rows;
}
