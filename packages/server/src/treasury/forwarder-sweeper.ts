/**
 * The forwarder-mode sweeper of one chain: finds deposit addresses whose confirmed balance is above
 * the asset's threshold, batches them into `ForwarderFactory.sweep` transactions paid by the
 * relayer's gas key, and records each in `sweeps` before broadcasting it, so that a restart finds a
 * sweep in flight, checks it on chain and records it once. The relayer has no authority over funds:
 * whatever it sends, the contracts move money only to the treasury fixed in each deposit address.
 * A confirmed sweep enters the ledger in the transaction that confirms its rows: a `sweep` entry per
 * transfer into the treasury and the relayer's gas as a `fee`.
 */
import {
  decodeEventLog,
  keccak256,
  parseGwei,
  parseUnits,
  type Address,
  type Hash,
  type Hex,
  type Log,
  type PublicClient,
} from 'viem';
import type { ChainConfig } from '../config.js';
import type { Queryable } from '../store/database.js';
import type { SweepCandidate, SweepOutcome, SweepRecord, SweepStore } from '../store/sweep-store.js';
import { DEFAULT_FORWARDER_FACTORY, forwarderAddress } from './forwarder-address.js';
import { depositForwarderAbi, forwarderFactoryBytecode } from './forwarder-contracts.js';
import { encodeSweep, ensureForwarderFactory, type RelayerClient } from './forwarder-factory.js';
import type { Ledger } from './ledger.js';
import { REORG_RECHECK_MS } from './payout-execution.js';
import { runPeriodically } from './periodic-run.js';

/** Thrown when a chain is not set up for forwarder sweeps. */
export class SweepConfigError extends Error {
  override name = 'SweepConfigError';
}

/** One asset's policy, resolved: threshold in atomic units, interval, gas price cap in wei. */
export interface ResolvedSweepPolicy {
  threshold: bigint;
  intervalMs: number;
  maxFeePerGas: bigint | null;
}

/** One planned sweep transaction. */
export interface PlannedSweep {
  /** The asset the batch is for (a token's symbol, or the native coin's). */
  token_symbol: string;
  /** The token contract flushed, `null` for a native-only batch. */
  token_address: Address | null;
  deposits: (SweepCandidate & { balance: bigint })[];
  /** `eth_estimateGas` of the transaction (with the factory's code supplied if not yet deployed). */
  gas: bigint | null;
}

/** One transfer into the treasury that a sweep's receipt shows, as the ledger records it. */
export interface SweptTransfer {
  /** The lower-case forwarder (deposit address) the money left. */
  address: Address;
  token_symbol: string;
  /** The lower-case token contract, `null` for the native coin. */
  token_address: Address | null;
  amount_atomic: bigint;
  log_index: number;
}

/** What {@link ForwarderSweeper.plan} found. */
export interface SweepPlan {
  chain: string;
  factory: Address;
  factoryDeployed: boolean;
  treasury: Address;
  maxFeePerGas: bigint;
  batches: PlannedSweep[];
  /** Assets left out of this run and why (gas price above the cap). */
  skipped: { token_symbol: string; reason: string }[];
}

/** What {@link ForwarderSweeper} needs. */
export interface ForwarderSweeperOptions {
  chain: ChainConfig;
  store: SweepStore;
  /** The ledger a confirmed sweep is written to (its transfers and the relayer's gas). */
  ledger: Ledger;
  client: PublicClient;
  /** The relayer's wallet; only {@link ForwarderSweeper.plan} works without one. */
  relayer?: RelayerClient | undefined;
  logger?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void } | undefined;
  clock?: () => Date;
}

const TRANSFER_EVENT = {
  type: 'event',
  name: 'Transfer',
  inputs: [
    { indexed: true, name: 'from', type: 'address' },
    { indexed: true, name: 'to', type: 'address' },
    { indexed: false, name: 'value', type: 'uint256' },
  ],
} as const;

/** The sweeper of one chain in forwarder mode. */
export class ForwarderSweeper {
  readonly chain: ChainConfig;
  readonly factory: Address;
  readonly treasury: Address;
  private readonly store: SweepStore;
  private readonly ledger: Ledger;
  private readonly client: PublicClient;
  private readonly relayer: RelayerClient | undefined;
  private readonly logger: ForwarderSweeperOptions['logger'];
  private readonly clock: () => Date;
  private readonly lastRun = new Map<string, number>();

  constructor(options: ForwarderSweeperOptions) {
    const { chain } = options;
    if (chain.deposit_mode !== 'forwarder' || !chain.treasury_address)
      throw new SweepConfigError(`chain ${chain.key} is not in forwarder mode with a treasury_address`);
    this.chain = chain;
    this.factory = chain.forwarder_factory ?? DEFAULT_FORWARDER_FACTORY;
    // Forwarder mode exists on EVM chains only, where config.ts takes a 0x… treasury_address.
    this.treasury = chain.treasury_address as Address;
    this.store = options.store;
    this.ledger = options.ledger;
    this.client = options.client;
    this.relayer = options.relayer;
    this.logger = options.logger;
    this.clock = options.clock ?? (() => new Date());
  }

  /** Whether this sweeper has the relayer's key, so that {@link runOnce} can send sweeps. */
  get canSend(): boolean {
    return this.relayer !== undefined;
  }

  /** The policy of asset `symbol` on this chain (config `sweep`, or sweep hourly at any balance). */
  policy(symbol: string, decimals: number): ResolvedSweepPolicy {
    const given = this.chain.sweep[symbol] ?? this.chain.sweep[symbol.toUpperCase()];
    return {
      threshold: parseUnits(given?.threshold ?? '0', decimals),
      intervalMs: (given?.interval_s ?? 3_600) * 1_000,
      maxFeePerGas: given?.max_gas_price_gwei === undefined ? null : parseGwei(given.max_gas_price_gwei),
    };
  }

  /** The assets whose interval has passed since this instance last swept them. */
  dueAssets(now = this.clock().getTime()): Set<string> {
    const symbols = [
      ...this.chain.tokens.map((t) => t.symbol),
      ...(this.chain.native ? [this.chain.native.symbol] : []),
    ];
    return new Set(
      symbols.filter((symbol) => {
        const decimals =
          this.chain.tokens.find((t) => t.symbol === symbol)?.decimals ?? this.chain.native?.decimals ?? 18;
        const last = this.lastRun.get(symbol);
        // A second of slack: a tick of the same interval may come a moment early.
        return last === undefined || now - last >= this.policy(symbol, decimals).intervalMs - 1_000;
      }),
    );
  }

  /**
   * What a sweep run would send now: confirmed balances above their thresholds, in batches of at
   * most `sweep_batch_size`, with a gas estimate each. Reads only; `assets` limits it to some symbols.
   */
  async plan(assets?: Set<string>): Promise<SweepPlan> {
    const head = Number(await this.client.getBlockNumber());
    const confirmedBlock = head - this.chain.confirmations + 1;
    const candidates = (await this.store.candidates(this.chain.id, confirmedBlock)).filter(
      (c) =>
        (!assets || assets.has(c.token_symbol)) &&
        // Only addresses of this factory and treasury: an xpub-mode deposit (made before the chain
        // switched modes, or under another treasury) is no forwarder; `sweep --export` moves those.
        forwarderAddress(this.factory, this.treasury, c.derivation_index).toLowerCase() === c.address,
    );
    const fees = await this.client.estimateFeesPerGas();
    const skipped: SweepPlan['skipped'] = [];
    const withBalance: PlannedSweep['deposits'] = [];
    for (const c of candidates) {
      const policy = this.policy(c.token_symbol, c.decimals);
      if (policy.maxFeePerGas !== null && fees.maxFeePerGas > policy.maxFeePerGas) {
        if (!skipped.some((s) => s.token_symbol === c.token_symbol))
          skipped.push({
            token_symbol: c.token_symbol,
            reason: `gas price ${fees.maxFeePerGas} wei above the cap ${policy.maxFeePerGas} wei`,
          });
        continue;
      }
      const balance = c.token_address
        ? await this.client.readContract({
            address: c.token_address,
            abi: [
              {
                type: 'function',
                name: 'balanceOf',
                stateMutability: 'view',
                inputs: [{ name: 'owner', type: 'address' }],
                outputs: [{ name: '', type: 'uint256' }],
              },
            ] as const,
            functionName: 'balanceOf',
            args: [c.address],
          })
        : await this.client.getBalance({ address: c.address });
      if (balance > policy.threshold) withBalance.push({ ...c, balance });
    }
    // Token batches first; every forwarder also sends its coin, so a native-only batch takes only
    // addresses that no token batch sweeps.
    const bySymbol = new Map<string, PlannedSweep['deposits']>();
    for (const d of withBalance) bySymbol.set(d.token_symbol, [...(bySymbol.get(d.token_symbol) ?? []), d]);
    const inTokenBatch = new Set(withBalance.filter((d) => d.token_address).map((d) => d.address));
    const batches: PlannedSweep[] = [];
    const size = this.chain.sweep_batch_size;
    for (const [symbol, deposits] of bySymbol) {
      const token = deposits[0]!.token_address;
      const list = token ? deposits : deposits.filter((d) => !inTokenBatch.has(d.address));
      for (let k = 0; k < list.length; k += size) {
        batches.push({
          token_symbol: symbol,
          token_address: token,
          deposits: list.slice(k, k + size),
          gas: null,
        });
      }
    }
    const factoryCode = await this.client.getCode({ address: this.factory });
    const factoryDeployed = !!factoryCode && factoryCode !== '0x';
    // Without the factory on chain yet, estimate against its runtime code supplied as a state
    // override (the creation code run by eth_call returns it).
    const runtime = factoryDeployed
      ? undefined
      : ((await this.client.call({ data: forwarderFactoryBytecode })).data as Hex | undefined);
    for (const batch of batches) {
      try {
        batch.gas = await this.client.estimateGas({
          account: this.relayer?.account.address ?? this.treasury,
          to: this.factory,
          data: this.calldata(batch),
          ...(runtime ? { stateOverride: [{ address: this.factory, code: runtime }] } : {}),
        });
      } catch (error) {
        this.logger?.warn({ err: error, chain: this.chain.key }, 'sweep gas estimate failed');
      }
    }
    return {
      chain: this.chain.key,
      factory: this.factory,
      factoryDeployed,
      treasury: this.treasury,
      maxFeePerGas: fees.maxFeePerGas,
      batches,
      skipped,
    };
  }

  private calldata(batch: PlannedSweep): Hex {
    return encodeSweep({
      factory: this.factory,
      treasury: this.treasury,
      indexes: batch.deposits.map((d) => d.derivation_index),
      tokens: batch.token_address ? [batch.token_address] : [],
    });
  }

  /**
   * Checks the sweep in flight, if any (after a restart, or a run that did not wait): records it
   * from its receipt once it has the chain's confirmations, marks it dropped when its nonce went to
   * another transaction, broadcasts it again when the node has forgotten it. Returns whether none is
   * in flight any more.
   */
  async resolvePending(): Promise<boolean> {
    await this.recheckConfirmed();
    const rows = await this.store.pending(this.chain.id);
    if (!rows.length) return true;
    const byTx = new Map<Hash, SweepRecord[]>();
    for (const r of rows) byTx.set(r.tx_hash, [...(byTx.get(r.tx_hash) ?? []), r]);
    let settled = true;
    for (const [hash, records] of byTx) {
      const receipt = await this.client.getTransactionReceipt({ hash }).catch(() => null);
      if (receipt) {
        const head = Number(await this.client.getBlockNumber());
        if (head - Number(receipt.blockNumber) + 1 < this.chain.confirmations) {
          settled = false;
          continue;
        }
        const mined = {
          gasUsed: receipt.gasUsed,
          effectiveGasPrice: receipt.effectiveGasPrice,
          blockNumber: Number(receipt.blockNumber),
        };
        const relayerGas = (tx: Queryable, livemode: boolean) =>
          this.ledger.recordFee(tx, {
            livemode,
            chain_id: this.chain.id,
            address: records[0]!.relayer_address,
            tx_hash: hash,
            amount_atomic: receipt.gasUsed * receipt.effectiveGasPrice,
            at: this.clock(),
          });
        if (receipt.status !== 'success') {
          await this.store.close(this.chain.id, hash, 'failed', this.clock(), mined, async (tx) => {
            const modes = await this.store.livemodes(tx, this.chain.id, [
              ...new Set(records.map((r) => r.address)),
            ]);
            await relayerGas(tx, [...modes.values()].some(Boolean));
          });
          this.logger?.warn(
            { chain: this.chain.key, tx: hash },
            'sweep reverted; its deposits will be planned again',
          );
          continue;
        }
        const { outcomes, transfers } = this.outcomes(records, receipt.logs);
        await this.store.confirm(this.chain.id, hash, mined, outcomes, this.clock(), async (tx) => {
          const modes = await this.store.livemodes(tx, this.chain.id, [
            ...new Set(records.map((r) => r.address)),
          ]);
          await this.recordInLedger(tx, hash, transfers, modes);
          await relayerGas(tx, [...modes.values()].some(Boolean));
        });
        this.logger?.info(
          {
            chain: this.chain.key,
            tx: hash,
            deposits: new Set(records.map((r) => r.address)).size,
            gas: receipt.gasUsed,
          },
          'sweep confirmed',
        );
        continue;
      }
      const relayer = records[0]!.relayer_address;
      const mined = await this.client.getTransactionCount({ address: relayer, blockTag: 'latest' });
      if (mined > records[0]!.nonce) {
        // Its nonce is used and it has no receipt: another transaction took the nonce.
        await this.store.close(this.chain.id, hash, 'dropped', this.clock());
        this.logger?.warn(
          { chain: this.chain.key, tx: hash },
          'sweep dropped; its deposits will be planned again',
        );
        continue;
      }
      settled = false;
      await this.client
        .sendRawTransaction({ serializedTransaction: records[0]!.raw_tx })
        .catch(() => undefined);
    }
    return settled;
  }

  /**
   * Records the sweeps this server did not send: the treasury's Safe executing a `sweep --export`
   * file, or anyone calling the factory (it is public; the money can only reach the treasury). Looks
   * for them only where money is unswept — the forwarders of this treasury with confirmed transfers
   * newer than their last sweep — from those transfers' first block to the last confirmed one: the
   * tokens' `Transfer` logs from those addresses to the treasury and the forwarders' own
   * `NativeForwarded` logs. Each transaction found is recorded as the relayer's own are once
   * confirmed (`sweeps` rows, `confirmed`, its sender in `relayer_address`, no raw transaction; the
   * ledger's `sweep` entries in the same database transaction), and once only. Its gas is the
   * sender's, not an address the ledger follows: no fee entry. Returns how many it recorded.
   */
  async adoptExternal(): Promise<number> {
    const head = Number(await this.client.getBlockNumber());
    const confirmedBlock = head - this.chain.confirmations + 1;
    const candidates = (await this.store.candidates(this.chain.id, confirmedBlock)).filter(
      (c) => forwarderAddress(this.factory, this.treasury, c.derivation_index).toLowerCase() === c.address,
    );
    if (!candidates.length) return 0;
    const fromBlock = BigInt(Math.min(...candidates.map((c) => c.since_block)));
    const toBlock = BigInt(confirmedBlock);
    const found = new Set<Hash>();
    const chunks = <T>(list: T[]) =>
      Array.from({ length: Math.ceil(list.length / 100) }, (_, k) => list.slice(k * 100, k * 100 + 100));
    const tokens = new Set(candidates.flatMap((c) => (c.token_address ? [c.token_address] : [])));
    for (const token of tokens) {
      const from = [...new Set(candidates.filter((c) => c.token_address === token).map((c) => c.address))];
      for (const part of chunks(from)) {
        const logs = await this.client.getLogs({
          address: token,
          event: TRANSFER_EVENT,
          args: { from: part, to: this.treasury },
          fromBlock,
          toBlock,
        });
        for (const log of logs) if (log.transactionHash) found.add(log.transactionHash);
      }
    }
    const natives = [...new Set(candidates.filter((c) => !c.token_address).map((c) => c.address))];
    const nativeEvent = depositForwarderAbi.find((e) => e.type === 'event' && e.name === 'NativeForwarded')!;
    for (const part of chunks(natives)) {
      const logs = await this.client.getLogs({
        address: part,
        event: nativeEvent,
        args: { treasury: this.treasury },
        fromBlock,
        toBlock,
      });
      for (const log of logs) if (log.transactionHash) found.add(log.transactionHash);
    }
    const known = [...new Map(candidates.map((c) => [c.address, c])).values()];
    let recorded = 0;
    for (const hash of found) {
      const receipt = await this.client.getTransactionReceipt({ hash });
      if (receipt.status !== 'success') continue;
      const { outcomes, transfers } = this.outcomes(known, receipt.logs);
      if (!outcomes.length) continue;
      const { nonce } = await this.client.getTransaction({ hash });
      const now = this.clock();
      const addresses = [...new Set(outcomes.map((o) => o.address))];
      const share = receipt.gasUsed / BigInt(addresses.length);
      const firstRow = new Set<string>();
      const adopted = await this.store.transaction(async (tx) => {
        if (await this.store.hasTransaction(tx, this.chain.id, hash)) return false;
        await this.store.insertPending(
          tx,
          outcomes.map((o) => ({
            chain_id: this.chain.id,
            tx_hash: hash,
            address: o.address,
            derivation_index: o.derivation_index,
            token_symbol: o.token_symbol,
            token_address: o.token_address,
            treasury_address: this.treasury.toLowerCase() as Address,
            planned_atomic: 0n,
            amount_atomic: o.amount_atomic,
            status: 'confirmed',
            batch_deposits: addresses.length,
            tx_gas_used: receipt.gasUsed,
            // The gas split as for the relayer's sweeps: evenly, the remainder on the first address.
            gas_share: firstRow.has(o.address)
              ? 0n
              : (firstRow.add(o.address),
                o.address === addresses[0] ? receipt.gasUsed - share * BigInt(addresses.length - 1) : share),
            effective_gas_price: receipt.effectiveGasPrice,
            block_number: Number(receipt.blockNumber),
            relayer_address: receipt.from.toLowerCase() as Address,
            nonce,
            raw_tx: '0x',
            created_at: now,
            updated_at: now,
          })),
        );
        await this.recordInLedger(
          tx,
          hash,
          transfers,
          await this.store.livemodes(tx, this.chain.id, addresses),
        );
        await this.store.notify(tx, { chain_id: this.chain.id, tx_hash: hash, type: 'sweep.confirmed' });
        return true;
      });
      if (!adopted) continue;
      recorded++;
      this.logger?.info(
        { chain: this.chain.key, tx: hash, sender: receipt.from, deposits: addresses.length },
        'sweep sent by another account recorded',
      );
    }
    return recorded;
  }

  /**
   * Checks that the sweeps confirmed in the last {@link REORG_RECHECK_MS} are still on chain. One
   * whose transaction a reorganisation took away (or that is now reverted) goes back to `pending`
   * with compensating ledger entries in the same database transaction — a `sweep` of the opposite
   * sign per transfer and its fee likewise ({@link Ledger.reverseSweeps}) — and the rest of
   * {@link resolvePending} takes it from there: broadcast again and recorded again when mined, or
   * `dropped` when its nonce went to another transaction (its deposits are then planned again).
   * Returns how many went back.
   */
  async recheckConfirmed(): Promise<number> {
    const since = new Date(this.clock().getTime() - REORG_RECHECK_MS);
    let reopened = 0;
    for (const hash of await this.store.confirmedSince(this.chain.id, since)) {
      const receipt = await this.client.getTransactionReceipt({ hash }).catch((error: unknown) => {
        // Only "no such receipt" means gone; a node that does not answer is asked again next run.
        if ((error as Error).name === 'TransactionReceiptNotFoundError') return null;
        throw error;
      });
      if (receipt?.status === 'success') continue;
      await this.store.reopen(this.chain.id, hash, this.clock(), async (tx) => {
        await this.ledger.reverseSweeps(tx, { chain_id: this.chain.id, tx_hash: hash, at: this.clock() });
      });
      reopened += 1;
      this.logger?.warn(
        { chain: this.chain.key, tx: hash },
        'a confirmed sweep left the chain in a reorganisation: reversed in the ledger, pending again',
      );
    }
    return reopened;
  }

  /**
   * Writes one `sweep` entry per transfer into the treasury (idempotent on chain, transaction and
   * log), in the mode of the deposit address's session. A transfer of an asset no method names (a
   * token dropped from the configuration) cannot be an entry: it is logged, `reconcile` shows it.
   */
  private async recordInLedger(
    tx: Queryable,
    hash: Hash,
    transfers: SweptTransfer[],
    modes: Map<string, boolean>,
  ): Promise<void> {
    const at = this.clock();
    for (const t of transfers) {
      if (t.amount_atomic === 0n) continue; // a forwarder with no coin reports sending none
      const method = this.ledger.methodOf(this.chain.id, t.token_address);
      const livemode = modes.get(t.address);
      if (!method || livemode === undefined) {
        this.logger?.warn(
          { chain: this.chain.key, tx: hash, address: t.address, asset: t.token_symbol },
          'swept transfer of an unconfigured asset or an unknown address: not in the ledger',
        );
        continue;
      }
      await this.ledger.recordSweep(tx, {
        livemode,
        asset: method.id,
        from: t.address,
        to: this.treasury.toLowerCase(),
        amount_atomic: t.amount_atomic,
        tx_hash: hash,
        log_index: t.log_index,
        at,
      });
    }
  }

  /**
   * What the receipt's logs show each forwarder sent to the treasury: totals per address and asset
   * (the `sweeps` rows) and each transfer with its log index (the ledger's entries).
   */
  private outcomes(
    records: readonly Pick<SweepRecord, 'address' | 'derivation_index'>[],
    logs: Log[],
  ): { outcomes: SweepOutcome[]; transfers: SweptTransfer[] } {
    const indexOf = new Map(records.map((r) => [r.address, r.derivation_index]));
    const tokens = new Map(this.chain.tokens.map((t) => [t.address.toLowerCase(), t.symbol]));
    const treasury = this.treasury.toLowerCase();
    const totals = new Map<string, SweepOutcome>();
    const transfers: SweptTransfer[] = [];
    const add = (log: Log, address: Address, symbol: string, token: Address | null, amount: bigint) => {
      const key = `${address}|${symbol}`;
      const index = indexOf.get(address);
      if (index === undefined || log.logIndex === null) return;
      transfers.push({
        address,
        token_symbol: symbol,
        token_address: token,
        amount_atomic: amount,
        log_index: log.logIndex,
      });
      const previous = totals.get(key);
      totals.set(key, {
        address,
        token_symbol: symbol,
        token_address: token,
        derivation_index: index,
        amount_atomic: (previous?.amount_atomic ?? 0n) + amount,
      });
    };
    for (const log of logs) {
      try {
        const emitter = log.address.toLowerCase() as Address;
        if (indexOf.has(emitter)) {
          const event = decodeEventLog({ abi: depositForwarderAbi, data: log.data, topics: log.topics });
          if (event.eventName === 'NativeForwarded' && event.args.treasury.toLowerCase() === treasury)
            add(log, emitter, this.chain.native?.symbol ?? 'ETH', null, event.args.amount);
          continue;
        }
        const symbol = tokens.get(emitter);
        if (!symbol) continue;
        const event = decodeEventLog({ abi: [TRANSFER_EVENT], data: log.data, topics: log.topics });
        if (event.args.to.toLowerCase() !== treasury) continue;
        add(log, event.args.from.toLowerCase() as Address, symbol, emitter, event.args.value);
      } catch {
        // Not an event of interest.
      }
    }
    return { outcomes: [...totals.values()], transfers };
  }

  /**
   * One sweep run: settles the sweep in flight first, then plans (only `assets`, default those due)
   * and sends each batch in turn: recorded as pending, broadcast, awaited, recorded from its receipt.
   * Does nothing while another instance holds the chain's sweep lock or a sweep is still in flight.
   * Returns the hashes of the transactions sent.
   */
  async runOnce(assets: Set<string> = this.dueAssets()): Promise<Hash[]> {
    if (!this.relayer)
      throw new SweepConfigError('no relayer key: set treasury.relayer_key (CC_RELAYER_KEY)');
    if (!(await this.resolvePending())) return [];
    await this.adoptExternal();
    const plan = await this.plan(assets);
    for (const s of plan.skipped) this.logger?.info({ chain: this.chain.key, ...s }, 'sweep skipped');
    const now = this.clock().getTime();
    for (const symbol of assets)
      if (!plan.skipped.some((s) => s.token_symbol === symbol)) this.lastRun.set(symbol, now);
    if (!plan.batches.length) return [];
    await ensureForwarderFactory(this.client, this.relayer, this.factory);
    const sent: Hash[] = [];
    for (const batch of plan.batches) {
      const hash = await this.send(batch, plan.maxFeePerGas);
      if (!hash) break;
      sent.push(hash);
      await this.client.waitForTransactionReceipt({
        hash,
        confirmations: this.chain.confirmations,
        pollingInterval: Math.min(this.chain.polling_interval_ms, 1_000),
      });
      await this.resolvePending();
    }
    return sent;
  }

  /** Signs one batch, records it as pending (under the chain's sweep lock), then broadcasts it. */
  private async send(batch: PlannedSweep, estimatedFee: bigint): Promise<Hash | null> {
    const relayer = this.relayer!;
    const cap = this.policy(batch.token_symbol, batch.deposits[0]!.decimals).maxFeePerGas;
    const data = this.calldata(batch);
    const request = await relayer.prepareTransactionRequest({
      chain: relayer.chain ?? null,
      account: relayer.account,
      to: this.factory,
      data,
      type: 'eip1559',
      ...(cap !== null ? { maxFeePerGas: cap < estimatedFee ? cap : estimatedFee } : {}),
    });
    const raw = await relayer.account.signTransaction!(
      request as Parameters<NonNullable<typeof relayer.account.signTransaction>>[0],
    );
    const hash = keccak256(raw);
    const now = this.clock();
    const addresses = new Set(batch.deposits.map((d) => d.address)).size;
    const claimed = await this.store.transaction(async (tx) => {
      if (!(await this.store.claimChain(tx, this.chain.id))) return false;
      await this.store.insertPending(
        tx,
        batch.deposits.map((d) => ({
          chain_id: this.chain.id,
          tx_hash: hash,
          address: d.address,
          derivation_index: d.derivation_index,
          token_symbol: d.token_symbol,
          token_address: d.token_address,
          treasury_address: this.treasury.toLowerCase() as Address,
          planned_atomic: d.balance,
          amount_atomic: null,
          status: 'pending',
          batch_deposits: addresses,
          tx_gas_used: null,
          gas_share: null,
          effective_gas_price: null,
          block_number: null,
          relayer_address: relayer.account.address.toLowerCase() as Address,
          nonce: request.nonce,
          raw_tx: raw,
          created_at: now,
          updated_at: now,
        })),
      );
      await this.store.notify(tx, { chain_id: this.chain.id, tx_hash: hash, type: 'sweep.submitted' });
      return true;
    });
    if (!claimed) return null;
    try {
      await this.client.sendRawTransaction({ serializedTransaction: raw });
    } catch (error) {
      // Refused (no gas money, fee too low…) unless the node has it after all (a lost answer).
      const known = await this.client.getTransaction({ hash }).catch(() => null);
      if (!known) {
        await this.store.close(this.chain.id, hash, 'dropped', this.clock());
        throw error;
      }
    }
    this.logger?.info(
      { chain: this.chain.key, tx: hash, asset: batch.token_symbol, deposits: addresses },
      'sweep sent',
    );
    return hash;
  }
}

/**
 * Runs a chain's sweeper every `tickMs` (default: the shortest asset interval, at least 10 s and at
 * most an hour): each tick sweeps the assets whose interval has passed — or, without the relayer's
 * key, every 30 s records the sweeps others sent ({@link ForwarderSweeper.adoptExternal}) — if `leads()` says this
 * instance leads the chain (the one running its watcher; the sweep lock and the pending-row check
 * keep a second instance from sending even if two believe they lead). Errors are logged and retried
 * at the next tick. `stop()` waits for a run in flight.
 * @example const running = startForwarderSweeper(sweeper, { leads: () => watcher.status().role === 'leader' }); … await running.stop();
 */
export function startForwarderSweeper(
  sweeper: ForwarderSweeper,
  options: { tickMs?: number; leads?: () => boolean; logger?: { warn(obj: object, msg: string): void } } = {},
): { stop(): Promise<void> } {
  const intervals = Object.values(sweeper.chain.sweep).map((p) => p.interval_s * 1_000);
  // The first run comes at once: it settles a sweep left in flight by the previous process.
  return runPeriodically(() => (sweeper.canSend ? sweeper.runOnce() : sweeper.adoptExternal()), {
    tickMs:
      options.tickMs ?? (sweeper.canSend ? Math.max(10_000, Math.min(3_600_000, ...intervals)) : 30_000),
    chain: sweeper.chain.key,
    failure: 'sweep run failed',
    leads: options.leads,
    logger: options.logger,
  });
}
