/**
 * Paying approved payouts without the server holding a key: they are exported as an unsigned batch
 * for the merchant's own signer — EIP-1559 transactions for a hardware wallet or any EOA signer, or a
 * Safe Transaction Builder file for a Safe — and marked `submitted`. The executor then finds each
 * payout's transfer on chain (an ERC-20 `Transfer` from the paying address to the destination, of
 * the exact amount, not yet claimed by another payout) and confirms it once it has the chain's
 * confirmations, settling it in the ledger; an exported EIP-1559 transaction whose nonce was used by
 * something else fails it and releases its reservation.
 *
 * A payout of the chain's own coin (ETH, …) goes through NativePayouts (native-payouts.ts), whose
 * `NativePayout` event is what the executor looks for instead of a `Transfer`. On a chain where that
 * contract is not deployed yet, coin payouts are not exported: they stay approved with a
 * `waiting_reason` saying how to deploy it (the payout key does it by itself), so that every
 * transaction an export asks for belongs to a payout and its gas reaches the ledger.
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
import {
  NATIVE_PAYOUTS_ADDRESS,
  NATIVE_PAYOUT_EVENT,
  encodeNativePayouts,
  nativePayoutsDeployed,
  nativePayoutsDeployment,
  nativePayoutsGas,
} from './native-payouts.js';
import { reserveEntry, type PayoutRecord, type Payouts } from './payouts.js';
import { safeBatchFile, type SafeBatchFile, type SafeContractMethod } from './safe-transaction-builder.js';

/**
 * How long after its confirmation a payout's transaction is checked to be still on chain: beyond a
 * chain's `confirmations`, so a deeper reorganisation is caught too (Ethereum finalises in ≈ 13 min).
 */
export const REORG_RECHECK_MS = 30 * 60 * 1_000;

/** Gas limit of one exported ERC-20 transfer: a cold `transfer` with a fresh recipient takes ~52k. */
export const ERC20_TRANSFER_GAS = 100_000n;

/** One exported, unsigned transaction. */
export interface UnsignedPayoutTransaction {
  /** The payout it pays; `null` for the one that deploys NativePayouts ahead of coin payouts. */
  payout_id: string | null;
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
    if (chain.family === 'tron')
      throw InvalidRequestError.field(
        'chain_id',
        `chain ${chain.key} is a TRON chain: export its payouts as unsigned TRON transactions with crypto-checkout-server payouts export-tron`,
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
    const [first, fees, head, native] = await onChain(chain, () =>
      Promise.all([
        client.getTransactionCount({ address: source, blockTag: 'pending' }),
        client.estimateFeesPerGas(),
        client.getBlockNumber(),
        nativePayoutsState(client),
      ]),
    );
    const transactions = await this.options.payouts.transaction(async (tx) => {
      const due = await this.takeApproved(tx, chainId, livemode, native);
      const out: UnsignedPayoutTransaction[] = [];
      let nonce = first;
      const unsigned = (fields: { to: Address; value: bigint; data: Hex; gas: bigint }) =>
        serializeTransaction({
          type: 'eip1559',
          chainId,
          nonce,
          ...fields,
          maxFeePerGas: fees.maxFeePerGas,
          maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
        });
      for (const payout of due) {
        const fields = payout.token_address
          ? {
              to: getAddress(payout.token_address),
              value: 0n,
              data: transferData(payout),
              gas: ERC20_TRANSFER_GAS,
            }
          : {
              to: NATIVE_PAYOUTS_ADDRESS,
              value: payout.amount_atomic,
              data: encodeNativePayouts([{ to: payout.destination, amount: payout.amount_atomic }]),
              gas: nativePayoutsGas(1),
            };
        out.push({ payout_id: payout.id, nonce, unsigned: unsigned(fields) });
        await this.options.payouts.transition(tx, payout, 'submitted', {
          source_address: source,
          submitted_at_block: head,
          nonce: BigInt(nonce),
        });
        nonce += 1;
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
    const [head, native] = await onChain(chain, () =>
      Promise.all([this.client(chain).getBlockNumber(), nativePayoutsState(this.client(chain))]),
    );
    const createdAt = this.clock().getTime();
    const transactions = await this.options.payouts.transaction(async (tx) => {
      const due = await this.takeApproved(tx, chainId, livemode, native);
      for (const payout of due) {
        await this.options.payouts.transition(tx, payout, 'submitted', {
          source_address: source,
          submitted_at_block: head,
        });
      }
      return due.map((payout) => safeEntry(payout));
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
    // A Bitcoin-like chain's payouts are confirmed by its sweep watch (treasury/utxo-sweep-watch.ts),
    // A TRON chain's by its treasury watch (treasury/tron-treasury-watch.ts).
    if (chain.family === 'utxo' || chain.family === 'tron') return { confirmed: 0, failed: 0 };
    const client = this.client(chain);
    await this.recheckConfirmed(chain);
    const submitted = await this.options.payouts.inStatus(this.options.payouts.db, chainId, 'submitted');
    if (!submitted.length) return { confirmed: 0, failed: 0 };
    const head = await client.getBlockNumber();
    const settled = head - BigInt(chain.confirmations) + 1n;
    let confirmed = 0;
    let failed = 0;
    const claimed = new Set<string>();
    for (const payout of submitted) {
      if (!payout.source_address) continue;
      // An ERC-20 payout is its token's Transfer; a coin payout is NativePayouts' event, same shape.
      const logs = await client.getLogs({
        address: payout.token_address ? getAddress(payout.token_address) : NATIVE_PAYOUTS_ADDRESS,
        event: payout.token_address ? TRANSFER_EVENT : NATIVE_PAYOUT_EVENT,
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
          // The payout key's own transaction, mined but reverted: its gas was spent all the same.
          const reverted = payout.tx_hash
            ? await client
                .getTransactionReceipt({ hash: payout.tx_hash as Hex })
                .then((r) => (r.status === 'reverted' ? r : null))
                .catch(() => null)
            : null;
          const reason = reverted
            ? `its transaction ${payout.tx_hash} reverted (block ${reverted.blockNumber}); nothing was paid, the gas is booked as a fee`
            : `nonce ${payout.nonce} of ${payout.source_address} was used by a transaction that did not pay this payout (reverted, or replaced)`;
          const fee = reverted
            ? {
                tx_hash: reverted.transactionHash,
                amount: reverted.gasUsed * reverted.effectiveGasPrice,
                chain,
              }
            : null;
          if (await this.fail(payout, reason, fee)) failed += 1;
        }
      }
    }
    return { confirmed, failed };
  }

  /**
   * Checks that the transactions of payouts confirmed in the last {@link REORG_RECHECK_MS} are still
   * on chain. One that a reorganisation took away puts its payouts back to `submitted` (webhook
   * `payout.submitted`) with compensating ledger entries — the `payout_settle` and the `fee` again
   * with the opposite sign, never a change to the old ones — so that the executor looks for its
   * transfer again: the same transaction mined again confirms it again (the payout key broadcasts
   * its recorded bytes again), and a nonce taken by another transaction fails it. Returns how many
   * went back.
   */
  async recheckConfirmed(chain: ChainConfig): Promise<number> {
    const { payouts } = this.options;
    const since = new Date(this.clock().getTime() - REORG_RECHECK_MS);
    const { rows } = await payouts.db.query<{ id: string; tx_hash: string }>(
      `SELECT id, tx_hash FROM payouts WHERE chain_id = $1 AND status = 'confirmed' AND updated_at > $2
       ORDER BY updated_at, id`,
      [chain.id, since],
    );
    const gone = new Set<string>();
    const checked = new Set<string>();
    for (const { tx_hash: hash } of rows) {
      if (checked.has(hash)) continue;
      checked.add(hash);
      const receipt = await this.client(chain)
        .getTransactionReceipt({ hash: hash as Hex })
        .catch((error: unknown) => {
          // Only "no such receipt" means gone; a node that does not answer is asked again next time.
          if ((error as Error).name === 'TransactionReceiptNotFoundError') return null;
          throw error;
        });
      if (!receipt || receipt.status !== 'success') gone.add(hash);
    }
    let reverted = 0;
    for (const { id, tx_hash: hash } of rows) {
      if (!gone.has(hash)) continue;
      const back = await payouts.transaction(async (tx) => {
        const current = await payouts.lockById(tx, id);
        if (current?.status !== 'confirmed' || current.tx_hash !== hash) return false;
        const now = this.clock();
        await this.options.ledger.append(tx, [
          {
            ...reserveEntry(current, 'payout_release', 0n, now),
            kind: 'payout_settle',
            amount_atomic: -current.amount_atomic,
            address: current.source_address,
            tx_hash: hash.toLowerCase(),
            log_index: current.log_index,
          },
        ]);
        await this.options.ledger.reverseFee(tx, {
          chain_id: chain.id,
          tx_hash: hash,
          payout_id: current.id,
          at: now,
        });
        // The payout key's own transaction keeps its hash (its signed bytes are sent again); an
        // exported one is looked for afresh.
        await payouts.transition(tx, current, 'submitted', {
          tx_hash: current.raw_tx ? current.tx_hash : null,
          log_index: null,
        });
        return true;
      });
      if (back) reverted += 1;
    }
    return reverted;
  }

  private checkedSource(from: string): Address {
    try {
      return getAddress(from);
    } catch {
      throw InvalidRequestError.field('from', 'must be a 0x-prefixed 20-byte address');
    }
  }

  /**
   * Locks the approved payouts of a chain and mode, oldest first: the ERC-20 ones, and the coin ones
   * when NativePayouts is `deployed` (otherwise each says why it waits).
   */
  private async takeApproved(
    tx: Queryable,
    chainId: number,
    livemode: boolean,
    native: 'deployed' | 'absent' | 'unavailable',
  ): Promise<PayoutRecord[]> {
    const approved = await this.options.payouts.inStatus(tx, chainId, 'approved', livemode);
    const locked: PayoutRecord[] = [];
    for (const p of approved) {
      if (!p.token_address && native !== 'deployed') {
        await this.options.payouts.setWaitingReason(
          tx,
          p.id,
          native === 'absent'
            ? `NativePayouts is not deployed on chain ${chainId} yet, so coin payouts are not exported: send one transaction from any account to ${nativePayoutsDeployment.to} with the data NATIVE_PAYOUTS_DEPLOYMENT_DATA (docs/treasury.md), or let the payout key do it, then export again`
            : `chain ${chainId} has no deterministic-deployment proxy, so NativePayouts cannot be deployed at ${NATIVE_PAYOUTS_ADDRESS}: coin payouts cannot be sent here`,
        );
        continue;
      }
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

  private async fail(
    payout: PayoutRecord,
    reason: string,
    fee: { tx_hash: Hex; amount: bigint; chain: ChainConfig } | null = null,
  ): Promise<boolean> {
    return this.options.payouts.transaction(async (tx) => {
      const current = await this.options.payouts.lockById(tx, payout.id);
      if (current?.status !== 'submitted') return false;
      await this.options.ledger.append(tx, [
        reserveEntry(current, 'payout_release', -current.amount_atomic, this.clock()),
      ]);
      // Once per transaction, however many payouts it carried (recordFee is idempotent per tx).
      if (fee) {
        await this.options.ledger.recordFee(tx, {
          livemode: current.livemode,
          chain_id: fee.chain.id,
          address: current.source_address!,
          tx_hash: fee.tx_hash,
          amount_atomic: fee.amount,
          payout_id: current.id,
          at: this.clock(),
        });
      }
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

/**
 * Whether NativePayouts is on the chain (`deployed`), can be deployed by the payer (`absent`: the
 * export starts with its deployment) or cannot be at its address (`unavailable`: no proxy; coin
 * payouts then stay approved).
 */
async function nativePayoutsState(client: PublicClient): Promise<'deployed' | 'absent' | 'unavailable'> {
  try {
    return (await nativePayoutsDeployed(client)) ? 'deployed' : 'absent';
  } catch (error) {
    if ((error as Error).name === 'NativePayoutsUnavailableError') return 'unavailable';
    throw error;
  }
}

/** A payout as one Safe Transaction Builder entry: a token `transfer`, or `pay` with its coin. */
function safeEntry(payout: PayoutRecord): Parameters<typeof safeBatchFile>[0]['transactions'][number] {
  if (!payout.token_address) {
    return {
      to: NATIVE_PAYOUTS_ADDRESS,
      value: payout.amount_atomic,
      data: encodeNativePayouts([{ to: payout.destination, amount: payout.amount_atomic }]),
    };
  }
  return {
    to: getAddress(payout.token_address),
    value: 0n,
    method: TRANSFER_METHOD,
    inputs: { to: payout.destination, value: payout.amount_atomic.toString() },
  };
}
