/**
 * Paying approved payouts without the server holding a key: they are exported as an unsigned batch
 * for the merchant's own signer — EIP-1559 transactions for a hardware wallet or any EOA signer, or a
 * Safe Transaction Builder file for a Safe — and marked `submitted`. The executor then finds each
 * payout's transfer on chain (an ERC-20 `Transfer` from the paying address to the destination, of
 * the exact amount, not yet claimed by another payout) and confirms it once it has the chain's
 * confirmations, settling it in the ledger; an exported EIP-1559 transaction whose nonce was used by
 * something else fails it and releases its reservation.
 *
 * Restart-safe: everything lives in the database — the nonce given to each exported transaction,
 * the block from which its transfer is looked for — and a re-run only looks again. Nothing is ever
 * sent twice: the server sends nothing at all.
 * @module
 */
import {
  createPublicClient,
  encodeFunctionData,
  erc20Abi,
  getAddress,
  http,
  parseAbiItem,
  serializeTransaction,
  type Address,
  type Hex,
  type PublicClient,
} from 'viem';
import type { ChainConfig } from '../config.js';
import { ChainUnavailableError, InvalidRequestError } from '../errors.js';
import type { Queryable } from '../store/database.js';
import type { Ledger } from './ledger.js';
import { reserveEntry, type PayoutRecord, type Payouts } from './payouts.js';
import { safeBatchFile, type SafeBatchFile, type SafeContractMethod } from './safe-transaction-builder.js';

/** Gas limit of one exported ERC-20 transfer: a cold `transfer` with a fresh recipient takes ~52k. */
export const ERC20_TRANSFER_GAS = 100_000n;

/** One exported, unsigned transaction. */
export interface UnsignedPayoutTransaction {
  payout_id: string;
  nonce: number;
  /** The EIP-1559 transaction, serialized without a signature (`0x02…`): sign it as is. */
  unsigned: Hex;
}

/** An EIP-1559 export. */
export interface Eip1559Export {
  format: 'eip1559';
  chain_id: number;
  from: Address;
  transactions: UnsignedPayoutTransaction[];
}

/** ERC-20 `transfer`, as the Transaction Builder lists a method it encodes itself. */
const TRANSFER_METHOD: SafeContractMethod = {
  inputs: [
    { name: 'to', type: 'address', internalType: 'address' },
    { name: 'value', type: 'uint256', internalType: 'uint256' },
  ],
  name: 'transfer',
  payable: false,
};

const TRANSFER_EVENT = parseAbiItem(
  'event Transfer(address indexed from, address indexed to, uint256 value)',
);

/** What {@link PayoutExecutor} needs. */
export interface PayoutExecutorOptions {
  payouts: Payouts;
  ledger: Ledger;
  chains: readonly ChainConfig[];
  /** A client per chain; default: HTTP to the chain's `rpc_url`. */
  client?: ((chain: ChainConfig) => PublicClient) | undefined;
  clock?: (() => Date) | undefined;
}

/** Exports approved payouts for signing and follows them to confirmation. */
export class PayoutExecutor {
  private readonly clients = new Map<number, PublicClient>();
  private readonly clock: () => Date;

  constructor(private readonly options: PayoutExecutorOptions) {
    this.clock = options.clock ?? (() => new Date());
  }

  private chain(chainId: number): ChainConfig {
    const chain = this.options.chains.find((c) => c.id === chainId);
    if (!chain) throw InvalidRequestError.field('chain_id', `no configured chain ${chainId}`);
    return chain;
  }

  /** A chain these exports can pay on: Bitcoin-like chains have their own (`payouts export-psbt`). */
  private evmChain(chainId: number): ChainConfig {
    const chain = this.chain(chainId);
    if (chain.family === 'utxo')
      throw InvalidRequestError.field(
        'chain_id',
        `chain ${chain.key} is a Bitcoin-like chain: export its payouts as a PSBT with crypto-checkout-server payouts export-psbt`,
      );
    return chain;
  }

  private client(chain: ChainConfig): PublicClient {
    let client = this.clients.get(chain.id);
    if (!client) {
      client =
        this.options.client?.(chain) ??
        (createPublicClient({ transport: http(chain.rpc_url, { retryCount: 1 }) }) as PublicClient);
      this.clients.set(chain.id, client);
    }
    return client;
  }

  /**
   * Exports every approved ERC-20 payout of a chain and mode as unsigned EIP-1559 transactions from
   * `from`, with consecutive nonces from the account's pending nonce, and marks them `submitted`
   * (with their nonce) in one transaction. Fees: the node's current estimate. Sign and broadcast
   * them in order; {@link confirmSubmitted} does the rest.
   */
  async exportEip1559(livemode: boolean, chainId: number, from: string): Promise<Eip1559Export> {
    const chain = this.evmChain(chainId);
    const source = this.checkedSource(from);
    const client = this.client(chain);
    const [nonce, fees, head] = await onChain(chain, () =>
      Promise.all([
        client.getTransactionCount({ address: source, blockTag: 'pending' }),
        client.estimateFeesPerGas(),
        client.getBlockNumber(),
      ]),
    );
    const transactions = await this.options.payouts.transaction(async (tx) => {
      const due = await this.takeApproved(tx, chainId, livemode);
      const out: UnsignedPayoutTransaction[] = [];
      for (const [i, payout] of due.entries()) {
        const unsigned = serializeTransaction({
          type: 'eip1559',
          chainId,
          nonce: nonce + i,
          to: getAddress(payout.token_address!),
          value: 0n,
          data: transferData(payout),
          gas: ERC20_TRANSFER_GAS,
          maxFeePerGas: fees.maxFeePerGas,
          maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
        });
        await this.options.payouts.transition(tx, payout, 'submitted', {
          source_address: source,
          submitted_at_block: head,
          nonce: BigInt(nonce + i),
        });
        out.push({ payout_id: payout.id, nonce: nonce + i, unsigned });
      }
      return out;
    });
    return { format: 'eip1559', chain_id: chainId, from: source, transactions };
  }

  /**
   * Exports every approved ERC-20 payout of a chain and mode as one Safe Transaction Builder batch
   * for the Safe at `safe`, and marks them `submitted`. Load the file in the Safe's Transaction
   * Builder, check it, sign with the owners and execute.
   */
  async exportSafe(livemode: boolean, chainId: number, safe: string, owner?: string): Promise<SafeBatchFile> {
    const chain = this.evmChain(chainId);
    const source = this.checkedSource(safe);
    const head = await onChain(chain, () => this.client(chain).getBlockNumber());
    const createdAt = this.clock().getTime();
    const transactions = await this.options.payouts.transaction(async (tx) => {
      const due = await this.takeApproved(tx, chainId, livemode);
      for (const payout of due) {
        await this.options.payouts.transition(tx, payout, 'submitted', {
          source_address: source,
          submitted_at_block: head,
        });
      }
      return due.map((payout) => ({
        to: getAddress(payout.token_address!),
        value: 0n,
        method: TRANSFER_METHOD,
        inputs: { to: payout.destination, value: payout.amount_atomic.toString() },
      }));
    });
    return safeBatchFile({
      chainId,
      safe: source,
      name: `Payouts ${new Date(createdAt).toISOString()}`,
      description: `${transactions.length} payout(s) from crypto-checkout`,
      transactions,
      owner,
      createdAt,
    });
  }

  /**
   * Looks for the transfers of every submitted payout of a chain and confirms those found with the
   * chain's confirmations (settling them in the ledger, with the gas their sender paid as a fee when
   * the paying address sent the transaction itself); fails an exported EIP-1559 payout whose nonce
   * was used without paying it (releasing its reservation). Returns how many changed.
   */
  async confirmSubmitted(chainId: number): Promise<{ confirmed: number; failed: number }> {
    const chain = this.chain(chainId);
    // A Bitcoin-like chain's payouts are confirmed by its sweep watch (treasury/utxo-sweep-watch.ts).
    if (chain.family === 'utxo') return { confirmed: 0, failed: 0 };
    const client = this.client(chain);
    const submitted = await this.options.payouts.inStatus(this.options.payouts.db, chainId, 'submitted');
    if (!submitted.length) return { confirmed: 0, failed: 0 };
    const head = await client.getBlockNumber();
    const settled = head - BigInt(chain.confirmations) + 1n;
    let confirmed = 0;
    let failed = 0;
    const claimed = new Set<string>();
    for (const payout of submitted) {
      if (!payout.token_address || !payout.source_address) continue;
      const logs = await client.getLogs({
        address: getAddress(payout.token_address),
        event: TRANSFER_EVENT,
        args: { from: getAddress(payout.source_address), to: getAddress(payout.destination) },
        fromBlock: payout.submitted_at_block ?? 0n,
        toBlock: settled < 0n ? 0n : settled,
      });
      const match = logs.find(
        (log) =>
          log.args.value === payout.amount_atomic && !claimed.has(`${log.transactionHash}:${log.logIndex}`),
      );
      if (match) {
        claimed.add(`${match.transactionHash}:${match.logIndex}`);
        const receipt = await client.getTransactionReceipt({ hash: match.transactionHash! });
        const paidGas = receipt.from.toLowerCase() === payout.source_address.toLowerCase();
        const done = await this.settle(payout, {
          tx_hash: match.transactionHash!,
          log_index: match.logIndex!,
          fee: paidGas ? receipt.gasUsed * receipt.effectiveGasPrice : null,
          chain,
        });
        if (done) confirmed += 1;
        continue;
      }
      if (payout.nonce !== null) {
        const used = await client.getTransactionCount({
          address: getAddress(payout.source_address),
          blockNumber: settled < 0n ? 0n : settled,
        });
        if (BigInt(used) > payout.nonce) {
          if (
            await this.fail(
              payout,
              `nonce ${payout.nonce} of ${payout.source_address} was used by a transaction that did not pay this payout (reverted, or replaced)`,
            )
          )
            failed += 1;
        }
      }
    }
    return { confirmed, failed };
  }

  private checkedSource(from: string): Address {
    try {
      return getAddress(from);
    } catch {
      throw InvalidRequestError.field('from', 'must be a 0x-prefixed 20-byte address');
    }
  }

  /** Locks the approved ERC-20 payouts of a chain and mode, oldest first. */
  private async takeApproved(tx: Queryable, chainId: number, livemode: boolean): Promise<PayoutRecord[]> {
    const approved = await this.options.payouts.inStatus(tx, chainId, 'approved', livemode);
    const locked: PayoutRecord[] = [];
    for (const p of approved) {
      if (!p.token_address) continue; // native payouts: not exported yet (docs/treasury.md)
      const again = await this.options.payouts.lockById(tx, p.id);
      if (again?.status === 'approved') locked.push(again);
    }
    return locked;
  }

  private async settle(
    payout: PayoutRecord,
    found: { tx_hash: Hex; log_index: number; fee: bigint | null; chain: ChainConfig },
  ): Promise<boolean> {
    return this.options.payouts.transaction(async (tx) => {
      const current = await this.options.payouts.lockById(tx, payout.id);
      if (current?.status !== 'submitted') return false;
      const now = this.clock();
      const { ledger } = this.options;
      await ledger.append(tx, [
        {
          ...reserveEntry(current, 'payout_release', 0n, now),
          kind: 'payout_settle',
          amount_atomic: current.amount_atomic,
          address: current.source_address,
          tx_hash: found.tx_hash.toLowerCase(),
          log_index: found.log_index,
        },
      ]);
      // The gas of a transaction is one fee however many payouts it carries: recorded once.
      if (found.fee !== null) {
        await ledger.recordFee(tx, {
          livemode: current.livemode,
          chain_id: found.chain.id,
          address: current.source_address!,
          tx_hash: found.tx_hash,
          amount_atomic: found.fee,
          payout_id: current.id,
          at: now,
        });
      }
      await this.options.payouts.transition(tx, current, 'confirmed', {
        tx_hash: found.tx_hash,
        log_index: found.log_index,
      });
      return true;
    });
  }

  private async fail(payout: PayoutRecord, reason: string): Promise<boolean> {
    return this.options.payouts.transaction(async (tx) => {
      const current = await this.options.payouts.lockById(tx, payout.id);
      if (current?.status !== 'submitted') return false;
      await this.options.ledger.append(tx, [
        reserveEntry(current, 'payout_release', -current.amount_atomic, this.clock()),
      ]);
      await this.options.payouts.transition(tx, current, 'failed', { failure_reason: reason });
      return true;
    });
  }
}

/** Runs RPC reads for a request, turning a node that does not answer into `503 chain_unavailable`. */
async function onChain<T>(chain: ChainConfig, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw new ChainUnavailableError(
      `the node of chain ${chain.id} (${chain.name}) did not answer; nothing was exported — retry shortly`,
      { cause: error },
    );
  }
}

/** The `transfer(destination, amount)` call of an ERC-20 payout. */
function transferData(payout: PayoutRecord): Hex {
  return encodeFunctionData({
    abi: erc20Abi,
    functionName: 'transfer',
    args: [getAddress(payout.destination), payout.amount_atomic],
  });
}
