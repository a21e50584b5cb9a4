/**
 * The opt-in payout key (`payouts.key`): on the instance that leads a chain, approved ERC-20 payouts
 * are sent from this key, never beyond `payouts.daily_limit` of their asset in any rolling 24 hours
 * (a payout that would go over stays approved with a `waiting_reason` until it fits). Each payout's
 * transaction is signed with the next nonce and recorded (`submitted`, with the signed bytes) in one
 * database transaction before it is broadcast; after a restart a recorded transaction whose nonce is
 * not used yet is broadcast again, the same bytes, so a payout can never be paid twice. Confirmation
 * is the executor's, as for exported payouts ({@link PayoutExecutor.confirmSubmitted}).
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
import { ERC20_TRANSFER_GAS, type PayoutExecutor } from './payout-execution.js';
import type { PayoutRecord, Payouts } from './payouts.js';

/** A rolling day, in ms. */
const DAY_MS = 24 * 60 * 60 * 1_000;

/** What {@link HotPayoutSender} needs. */
export interface HotPayoutSenderOptions {
  chain: ChainConfig;
  payouts: Payouts;
  executor: PayoutExecutor;
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
    for (const p of submitted) {
      if (p.nonce === null || BigInt(used) > p.nonce) continue; // mined (or its nonce taken): the executor decides
      await client.sendRawTransaction({ serializedTransaction: p.raw_tx as Hex }).catch(() => undefined);
      sent += 1;
    }
    return sent;
  }

  private async sendApproved(): Promise<Hash[]> {
    const { payouts, client, wallet, limits } = this.options;
    const approved = await payouts.inStatus(payouts.db, this.chain.id, 'approved');
    if (!approved.length) return [];
    const [pending, fees, head] = await Promise.all([
      client.getTransactionCount({ address: this.source, blockTag: 'pending' }),
      client.estimateFeesPerGas(),
      client.getBlockNumber(),
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
      for (const candidate of approved) {
        const p = await payouts.lockById(tx, candidate.id);
        if (p?.status !== 'approved') continue;
        // The payouts this run recorded count already: the query reads this transaction's writes.
        const reason = await this.reasonToWait(tx, p, limits, now);
        if (reason) {
          await payouts.setWaitingReason(tx, p.id, reason);
          continue;
        }
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

  /** Why `p` may not be sent now, or `null` when it may. */
  private async reasonToWait(
    tx: Parameters<Payouts['sentSince']>[0],
    p: PayoutRecord,
    limits: ReadonlyMap<string, bigint>,
    now: Date,
  ): Promise<string | null> {
    if (!p.token_address)
      return 'native-coin payouts are not sent by the payout key: export them for signing';
    const limit = limits.get(p.asset);
    if (limit === undefined)
      return `no payouts.daily_limit for ${p.asset}: the payout key does not send it; export it for signing`;
    const sent = await this.options.payouts.sentSince(
      tx,
      p.asset,
      this.source,
      new Date(now.getTime() - DAY_MS),
    );
    if (sent + p.amount_atomic <= limit) return null;
    return (
      `daily limit: ${formatAtomic(sent, p.decimals)} of ${formatAtomic(limit, p.decimals)} sent in the last 24 h, ` +
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
  let running: Promise<unknown> | null = null;
  const tick = () => {
    if (options.leads && !options.leads()) return;
    running ??= sender
      .runOnce()
      .catch((error: unknown) =>
        options.logger?.warn({ err: error, chain: sender.chain.key }, 'payout key run failed'),
      )
      .finally(() => (running = null));
  };
  const first = setTimeout(tick, 0);
  const timer = setInterval(tick, options.tickMs ?? 5_000);
  timer.unref();
  return {
    async stop() {
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
