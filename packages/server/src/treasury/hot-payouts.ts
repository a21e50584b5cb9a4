/**
 * The opt-in payout key (`payouts.key`): on the instance that leads a chain, approved payouts
 * are sent from this key, never beyond `payouts.daily_limit` of their asset in any rolling 24 hours
 * (a payout that would go over stays approved with a `waiting_reason` until it fits). Each payout's
 * transaction is signed with the next nonce and recorded (`submitted`, with the signed bytes) in one
 * database transaction before it is broadcast; after a restart a recorded transaction whose nonce is
 * not used yet is broadcast again, the same bytes, so a payout can never be paid twice. Confirmation
 * is the executor's, as for exported payouts ({@link PayoutExecutor.confirmSubmitted}).
 *
 * Coin payouts (ETH, …) of a run go together in one transaction to NativePayouts (native-payouts.ts,
 * deployed by the key first where it is absent), up to {@link NATIVE_BATCH} at a time; each is sent
 * only if the key's balance covers it and the batch's gas, and the ledger's available coin covers
 * the gas (the amounts are reserved already): the gas comes out of the same coin.
 *
 * The risk, documented in docs/treasury.md: this key can spend whatever its address holds.
 * @module
 */
import {
  encodeFunctionData,
  erc20Abi,
  getAddress,
  keccak256,
  type Hash,
  type Hex,
  type PublicClient,
  type WalletClient,
  type Account,
  type Chain,
  type Transport,
} from 'viem';
import type { ChainConfig } from '../config.js';
import { formatAtomic } from '../money.js';
import { tryLockPayoutKey } from '../store/payout-lock.js';
import type { Ledger } from './ledger.js';
import {
  NATIVE_PAYOUTS_ADDRESS,
  encodeNativePayouts,
  nativePayoutsDeployed,
  nativePayoutsDeployment,
  nativePayoutsGas,
} from './native-payouts.js';
import { ERC20_TRANSFER_GAS, type PayoutExecutor } from './payout-execution.js';
import type { PayoutRecord, Payouts } from './payouts.js';
import { runPeriodically } from './periodic-run.js';

/** A rolling day, in ms. */
const DAY_MS = 24 * 60 * 60 * 1_000;

/** Coin payouts per NativePayouts transaction: ≈ 40k gas each, so 100 stay far below a block. */
export const NATIVE_BATCH = 100;

/** What {@link HotPayoutSender} needs. */
export interface HotPayoutSenderOptions {
  chain: ChainConfig;
  payouts: Payouts;
  executor: PayoutExecutor;
  /** Books the key's deployment of NativePayouts as a fee, and bounds coin payouts by what is available. */
  ledger?: Ledger | undefined;
  client: PublicClient;
  /** The wallet of the payout key. */
  wallet: WalletClient<Transport, Chain | undefined, Account>;
  /** Daily limit per asset id, atomic units; an asset without one is never sent by the key. */
  limits: ReadonlyMap<string, bigint>;
  logger?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void } | undefined;
  clock?: () => Date;
}

/** Sends a chain's approved payouts from the payout key, within the daily limits. */
export class HotPayoutSender {
  readonly chain: ChainConfig;
  readonly source: `0x${string}`;
  private readonly clock: () => Date;

  constructor(private readonly options: HotPayoutSenderOptions) {
    this.chain = options.chain;
    this.source = options.wallet.account.address;
    this.clock = options.clock ?? (() => new Date());
  }

  /**
   * One run: broadcasts again what was recorded but is not mined, confirms what is, then sends the
   * approved payouts that fit in their asset's limit. Returns the hashes sent in this run.
   */
  async runOnce(): Promise<Hash[]> {
    await this.rebroadcast();
    await this.options.executor.confirmSubmitted(this.chain.id);
    return this.sendApproved();
  }

  /** The payout key's recorded transactions not yet mined, broadcast again (the same bytes). */
  async rebroadcast(): Promise<number> {
    const { payouts, client } = this.options;
    const submitted = (await payouts.inStatus(payouts.db, this.chain.id, 'submitted')).filter(
      (p) => p.raw_tx && p.source_address?.toLowerCase() === this.source.toLowerCase(),
    );
    if (!submitted.length) return 0;
    const used = await client.getTransactionCount({ address: this.source, blockTag: 'latest' });
    let sent = 0;
    const seen = new Set<string>();
    for (const p of submitted) {
      if (p.nonce === null || BigInt(used) > p.nonce) continue; // mined (or its nonce taken): the executor decides
      if (seen.has(p.raw_tx!)) continue; // the coin payouts of one batch share a transaction
      seen.add(p.raw_tx!);
      await client.sendRawTransaction({ serializedTransaction: p.raw_tx as Hex }).catch(() => undefined);
      sent += 1;
    }
    return sent;
  }

  private async sendApproved(): Promise<Hash[]> {
    const { payouts, client, wallet, limits } = this.options;
    const approved = await payouts.inStatus(payouts.db, this.chain.id, 'approved');
    if (!approved.length) return [];
    if (approved.some((p) => !p.token_address)) await this.deployNativePayouts(approved);
    const [pending, fees, head, held] = await Promise.all([
      client.getTransactionCount({ address: this.source, blockTag: 'pending' }),
      client.estimateFeesPerGas(),
      client.getBlockNumber(),
      client.getBalance({ address: this.source }),
    ]);
    const signed: { hash: Hash; raw: Hex }[] = [];
    await payouts.transaction(async (tx) => {
      // One sender per chain at a time: two instances never give out the same nonce.
      if (!(await tryLockPayoutKey(tx, this.chain.id))) return;
      const { rows } = await tx.query<{ nonce: string | null }>(
        `SELECT max(nonce)::text AS nonce FROM payouts WHERE chain_id = $1 AND lower(source_address) = lower($2)
           AND raw_tx IS NOT NULL`,
        [this.chain.id, this.source],
      );
      const recorded = rows[0]?.nonce == null ? -1 : Number(rows[0].nonce);
      let nonce = Math.max(pending, recorded + 1);
      const now = this.clock();
      // What this run spends of the key's coin: every transaction's gas at its limit, the coin paid.
      let spent = 0n;
      const coin: PayoutRecord[] = [];
      let coinTotal = 0n;
      const native = await this.nativeAvailable(tx, approved);
      for (const candidate of approved) {
        const p = await payouts.lockById(tx, candidate.id);
        if (p?.status !== 'approved') continue;
        // The payouts this run recorded count already: the query reads this transaction's writes.
        // Coin payouts are recorded at the end, so the batch's total so far is added here.
        const reason = await this.reasonToWait(tx, p, limits, now, p.token_address ? 0n : coinTotal);
        if (reason) {
          await payouts.setWaitingReason(tx, p.id, reason);
          continue;
        }
        if (!p.token_address) {
          if (coin.length >= NATIVE_BATCH) continue; // the next run
          const gas = nativePayoutsGas(coin.length + 1) * fees.maxFeePerGas;
          const short = this.coinShortfall(p, { held, spent, coinTotal, gas, available: native });
          if (short) {
            await payouts.setWaitingReason(tx, p.id, short);
            continue;
          }
          coin.push(p);
          coinTotal += p.amount_atomic;
          continue;
        }
        spent += ERC20_TRANSFER_GAS * fees.maxFeePerGas;
        const raw = await wallet.account.signTransaction!({
          type: 'eip1559',
          chainId: this.chain.id,
          nonce,
          to: getAddress(p.token_address!),
          value: 0n,
          data: encodeFunctionData({
            abi: erc20Abi,
            functionName: 'transfer',
            args: [getAddress(p.destination), p.amount_atomic],
          }),
          gas: ERC20_TRANSFER_GAS,
          maxFeePerGas: fees.maxFeePerGas,
          maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
        });
        const hash = keccak256(raw);
        await payouts.transition(tx, p, 'submitted', {
          source_address: this.source.toLowerCase(),
          submitted_at_block: head,
          nonce: BigInt(nonce),
          tx_hash: hash,
          raw_tx: raw,
          sent_at: now,
        });
        signed.push({ hash, raw });
        nonce += 1;
      }
      if (coin.length) {
        const raw = await wallet.account.signTransaction!({
          type: 'eip1559',
          chainId: this.chain.id,
          nonce,
          to: NATIVE_PAYOUTS_ADDRESS,
          value: coinTotal,
          data: encodeNativePayouts(coin.map((p) => ({ to: p.destination, amount: p.amount_atomic }))),
          gas: nativePayoutsGas(coin.length),
          maxFeePerGas: fees.maxFeePerGas,
          maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
        });
        const hash = keccak256(raw);
        for (const p of coin) {
          await payouts.transition(tx, p, 'submitted', {
            source_address: this.source.toLowerCase(),
            submitted_at_block: head,
            nonce: BigInt(nonce),
            tx_hash: hash,
            raw_tx: raw,
            sent_at: now,
          });
        }
        signed.push({ hash, raw });
      }
    });
    // Recorded first, broadcast after the commit: a crash in between leaves it to rebroadcast().
    for (const { hash, raw } of signed) {
      try {
        await client.sendRawTransaction({ serializedTransaction: raw });
        this.options.logger?.info({ chain: this.chain.key, tx: hash }, 'payout sent by the payout key');
      } catch (error) {
        this.options.logger?.warn(
          { err: error, chain: this.chain.key, tx: hash },
          'payout broadcast failed; it is broadcast again at the next run',
        );
      }
    }
    return signed.map((s) => s.hash);
  }

  /**
   * Deploys NativePayouts from the key where it is absent (through the deterministic-deployment
   * proxy, at its fixed address), waits for it, and books its gas as a fee of the key.
   */
  private async deployNativePayouts(approved: readonly PayoutRecord[]): Promise<void> {
    const { client, wallet, ledger, payouts } = this.options;
    if (await nativePayoutsDeployed(client)) return;
    const hash = await wallet.sendTransaction({ chain: wallet.chain ?? null, ...nativePayoutsDeployment });
    const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 250 });
    if (ledger) {
      const livemode = approved.find((p) => !p.token_address)!.livemode;
      await payouts.transaction((tx) =>
        ledger.recordFee(tx, {
          livemode,
          chain_id: this.chain.id,
          address: this.source,
          tx_hash: hash,
          amount_atomic: receipt.gasUsed * receipt.effectiveGasPrice,
          at: this.clock(),
        }),
      );
    }
    if (receipt.status !== 'success') throw new Error(`NativePayouts deployment ${hash} reverted`);
    this.options.logger?.info(
      { chain: this.chain.key, tx: hash },
      'NativePayouts deployed by the payout key',
    );
  }

  /** The ledger's available coin of this chain per mode (reservations of coin payouts taken off). */
  private async nativeAvailable(
    tx: Parameters<Payouts['sentSince']>[0],
    approved: readonly PayoutRecord[],
  ): Promise<Map<boolean, bigint> | null> {
    const { ledger } = this.options;
    const coin = approved.find((p) => !p.token_address);
    if (!ledger || !coin) return null;
    const out = new Map<boolean, bigint>();
    for (const livemode of new Set(approved.filter((p) => !p.token_address).map((p) => p.livemode))) {
      const [b] = await ledger.balances(tx, livemode, coin.asset);
      out.set(livemode, b?.available ?? 0n);
    }
    return out;
  }

  /**
   * Why coin payout `p` cannot join this run's batch — the key's balance does not cover it with the
   * gas of everything sent in this run, or the ledger's available coin does not cover the gas — or
   * `null` when it can.
   */
  private coinShortfall(
    p: PayoutRecord,
    run: {
      held: bigint;
      spent: bigint;
      coinTotal: bigint;
      gas: bigint;
      available: Map<boolean, bigint> | null;
    },
  ): string | null {
    const need = run.spent + run.coinTotal + p.amount_atomic + run.gas;
    const fmt = (v: bigint) => formatAtomic(v, p.decimals);
    if (need > run.held)
      return `the payout key ${this.source} holds ${fmt(run.held)}; this payout with the batch and its gas (at most ${fmt(run.gas)}) needs ${fmt(need)}: it is sent when the key holds enough`;
    const available = run.available?.get(p.livemode);
    if (available !== undefined && run.gas > available)
      return `the gas of the batch (at most ${fmt(run.gas)}) is more than the available ${fmt(available)} of ${p.asset} beside the reserved payouts: it is sent when enough is available`;
    return null;
  }

  /** Why `p` may not be sent now, or `null` when it may. */
  private async reasonToWait(
    tx: Parameters<Payouts['sentSince']>[0],
    p: PayoutRecord,
    limits: ReadonlyMap<string, bigint>,
    now: Date,
    alsoThisRun = 0n,
  ): Promise<string | null> {
    const limit = limits.get(p.asset);
    if (limit === undefined)
      return `no payouts.daily_limit for ${p.asset}: the payout key does not send it; export it for signing`;
    const sent = await this.options.payouts.sentSince(
      tx,
      p.asset,
      this.source,
      new Date(now.getTime() - DAY_MS),
    );
    if (sent + alsoThisRun + p.amount_atomic <= limit) return null;
    return (
      `daily limit: ${formatAtomic(sent + alsoThisRun, p.decimals)} of ${formatAtomic(limit, p.decimals)} sent in the last 24 h, ` +
      `${formatAtomic(p.amount_atomic, p.decimals)} more would exceed it; it is sent when it fits`
    );
  }
}

/**
 * Runs a chain's {@link HotPayoutSender} every `tickMs` (default 5 s) while `leads()` says this
 * instance leads the chain. Errors are logged and retried at the next tick; `stop()` waits for a run
 * in flight.
 * @example const running = startHotPayouts(sender, { leads: () => watcher.status().role === 'leader' });
 */
export function startHotPayouts(
  sender: HotPayoutSender,
  options: { tickMs?: number; leads?: () => boolean; logger?: { warn(obj: object, msg: string): void } } = {},
): { stop(): Promise<void> } {
  return runPeriodically(() => sender.runOnce(), {
    tickMs: options.tickMs ?? 5_000,
    chain: sender.chain.key,
    failure: 'payout key run failed',
    leads: options.leads,
    logger: options.logger,
  });
}
