/**
 * Books what leaves a TRON chain's deposit addresses and treasury, from what the chain shows — the
 * way the UTXO rail (`utxo-sweep-watch.ts`) and the forwarder sweeper's `adoptExternal` do: the
 * server signs nothing, so whatever the merchant signed from `sweep --export` or `payouts
 * export-tron` (or anything else the keys did) is found on chain and booked, once.
 *
 * Blocks are read in order up to the **settled** block — the solidified head (never reverted on
 * TRON) and at least `confirmations` deep, as the TRON chain watcher counts a payment — and the last
 * block read is kept per chain (`tron_treasury_cursors`, migration 24), so nothing is read or booked
 * twice across restarts. With `"finality": "confirmations"` a reorganisation deeper than
 * `confirmations` would not be taken back: the solidified default rules it out.
 *
 * What it reads:
 * - TRC-20 `Transfer` logs of the configured tokens sent by a deposit address or the treasury
 *   (`eth_getLogs`, which java-tron answers for TRC-20 events);
 * - every transaction sent by those addresses, from the blocks (`eth_getBlockByNumber` with
 *   transactions, as the TRON watcher reads TRX payments): a TRX transfer is a `TransferContract`,
 *   which java-tron's JSON-RPC lists with its `value` in sun but which has no log; and each
 *   transaction's receipt for its status and its fee.
 *
 * What it books (one `sweeps` row per transfer, `ON CONFLICT DO NOTHING`, so a transfer is booked once):
 * - deposit address → treasury: `confirmed`, a `sweep` ledger entry (USDT or TRX);
 * - treasury → deposit address, TRX: `top_up` (the energy money of a USDT sweep), a negative `sweep`
 *   entry (TRX back from the treasury into the deposit address);
 * - treasury → a submitted payout's destination: the payout `confirmed` with a `payout_settle` — by
 *   its exported `txID` (a TRON transaction id does not depend on the signature, so it is known at
 *   export), else by destination and exact amount; a payout whose exported transaction expired
 *   unbroadcast (the settled block is past its `expiration`) fails and its reservation is released;
 * - the transactions `sweep --export` recorded (`tron-sweep-reservations.ts`): `confirmed` when seen,
 *   `expired` when the settled block is past their expiration, which frees their deposit addresses
 *   for the next export; their transfers are booked as above, superseded or not;
 * - anything else leaving a deposit address or the treasury: `needs_review`, nothing booked, a
 *   warning logged; `reconcile` shows the difference until a person looks. Never silently booked.
 * - money reaching the treasury from an address it does not follow (not a deposit address: the
 *   merchant funding it with TRX for top-ups, or USDT): a `treasury_funding` entry (into
 *   `in_treasury` and `available`), once per transfer (migration 27). Its fee is the sender's. TRX only
 *   when the HTTP API says the transaction is a `TransferContract`: the JSON-RPC shows a TRC-10 token
 *   transfer's amount as `value` too; without `http_api_url` no TRX funding is booked.
 *   Likewise what leaves: a TRC-10 transfer sent by a deposit address or the treasury moves no TRX
 *   (no sweep, top-up, payout or review; its fee is booked).
 * - fees: the TRX each transaction sent by a deposit address or the treasury burned (sweeps, top-ups,
 *   payouts, transfers left for review), a `fee` entry of the address that sent it, read from the
 *   HTTP API (`http_api_url`): `/walletsolidity/gettransactioninfobyid`'s `fee`, the total burned —
 *   energy, bandwidth when the address has no free bandwidth left (~0.35 TRX a USDT transfer, ~0.27
 *   a TRX transfer), a new account's 1 TRX activation, a memo's fee (`chain/tron/transaction-fee.ts`).
 *   The JSON-RPC receipt's `gasUsed × effectiveGasPrice` is the energy alone. One request per
 *   transaction, with a timeout. When the HTTP API cannot answer (an error, a timeout, `{}` for a
 *   transaction not solidified yet) nothing is guessed: the pass stops before booking those blocks,
 *   the cursor stays, a warning is logged, and the next pass reads them again. Without
 *   `http_api_url` the receipt's energy is booked, and `reconcile` shows the rest as a difference.
 * @module
 */
import type { WebhookSweepEventType } from '@crypto-checkout/protocol';
import type { SweepHook } from '../webhooks/sweep-webhooks.js';
import { parseAbiItem, type Address, type PublicClient } from 'viem';
import type { ChainConfig } from '../config.js';
import type { Database, Queryable } from '../store/database.js';
import { lockTronTreasury } from '../store/tron-treasury-lock.js';
import { tronAddressFromHex, tronAddressToHex } from '../chain/tron/address.js';
import { KNOWN_CHAINS } from '../chain/known-chains.js';
import { transactionContractTypeReader, transactionFeeReader } from '../chain/tron/transaction-fee.js';
import type { Ledger } from './ledger.js';
import { reserveEntry, type PayoutRecord, type Payouts } from './payouts.js';
import { runPeriodically } from './periodic-run.js';
import { settleTronExports } from './tron-sweep-reservations.js';

const TRANSFER_EVENT = parseAbiItem(
  'event Transfer(address indexed from, address indexed to, uint256 value)',
);

/** What one pass did, for logs and tests. */
export interface TronTreasuryWatchReport {
  /** The blocks read, or `null` when there was nothing new. */
  scanned: { from: number; to: number } | null;
  /** Transfers booked as sweeps (and top-ups). */
  swept: number;
  /** Transfers left for review. */
  reviews: number;
  payoutsConfirmed: number;
  payoutsFailed: number;
  /** Transfers into the treasury from outside, booked as `treasury_funding`. */
  funded: number;
  /** Transactions of `sweep --export` files seen on chain, and expired unbroadcast (tron-sweep-reservations.ts). */
  exportsConfirmed: number;
  exportsExpired: number;
}

/** The watch of one TRON chain; {@link startTronTreasuryWatch} runs it on a timer. */
export interface TronTreasuryWatch {
  readonly chain: ChainConfig;
  /** One pass: the blocks since the last one, up to the settled block. */
  syncOnce(): Promise<TronTreasuryWatchReport>;
}

/** A deposit address the watch follows. */
interface Deposit {
  address: string;
  derivation_index: number;
  livemode: boolean;
}

/** One transfer out of a followed address. */
interface Movement {
  from: Address;
  to: Address;
  amount: bigint;
  /** Token contract as configured (`T…`), `null` for TRX. */
  token: string | null;
  symbol: string;
  tx_hash: string;
  log_index: number;
  block: number;
}

/** The expiry of a payout's exported transaction, from the JSON kept in `raw_tx` at export. */
function expirationOf(payout: PayoutRecord): number | null {
  try {
    const tx = JSON.parse(payout.raw_tx ?? '') as { raw_data?: { expiration?: unknown } };
    return typeof tx.raw_data?.expiration === 'number' ? tx.raw_data.expiration : null;
  } catch {
    return null;
  }
}

/**
 * The treasury watch of `chain` (a TRON chain). `solidHead` reads the solidified block (the TRON
 * watcher's reader, `chain/tron/chain-watcher.ts` `tronSolidHead`); without it only
 * `confirmations` count.
 * @example const watch = createTronTreasuryWatch({ chain, db, ledger, payouts, client, solidHead, logger }); await watch.syncOnce();
 */
export function createTronTreasuryWatch(options: {
  chain: ChainConfig;
  db: Database;
  ledger: Ledger;
  payouts?: Payouts;
  client: PublicClient;
  solidHead?: () => Promise<number>;
  logger: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  clock?: () => Date;
  /** Writes the sweep webhooks (webhooks/sweep-webhooks.ts) of each sweep booked or flagged; without, none. */
  onSweepChange?: SweepHook | undefined;
  /**
   * What a transaction burned, in sun; throws when it cannot say. Default: the HTTP API's
   * `/walletsolidity/gettransactioninfobyid` when the chain has `http_api_url`, else the JSON-RPC
   * receipt's energy alone.
   */
  transactionFee?: ((txid: string) => Promise<bigint>) | undefined;
  /**
   * The contract type of a transaction (`TransferContract` for TRX); throws when it cannot say.
   * Default: the HTTP API's `/walletsolidity/gettransactionbyid` when the chain has `http_api_url`.
   */
  transactionType?: ((txid: string) => Promise<string>) | undefined;
}): TronTreasuryWatch {
  const { chain, db, ledger, payouts, client, logger } = options;
  const clock = options.clock ?? (() => new Date());
  const treasury = chain.treasury_address ?? null;
  const treasuryHex = treasury ? tronAddressToHex(treasury).toLowerCase() : null;
  const nativeSymbol = chain.native?.symbol ?? 'TRX';
  const transactionFee =
    options.transactionFee ??
    (chain.http_api_url ? transactionFeeReader({ httpApiUrl: chain.http_api_url }) : null);
  const transactionType =
    options.transactionType ??
    (chain.http_api_url ? transactionContractTypeReader({ httpApiUrl: chain.http_api_url }) : null);
  if (!transactionFee)
    logger.warn(
      { chain: chain.key },
      'this TRON chain has no http_api_url: fees are booked from the JSON-RPC receipts (energy only), without the bandwidth and activation burns; reconcile will show them',
    );

  /**
   * What transaction `hash` burned, in sun: the HTTP API's `fee` (energy, bandwidth, activation, memo),
   * or without an HTTP API the receipt's energy. Throws when the HTTP API cannot answer, so the pass
   * stops before booking this block range and the next pass reads it again.
   */
  async function burned(hash: `0x${string}`, receipt: { gasUsed: bigint; effectiveGasPrice: bigint }) {
    if (!transactionFee) return receipt.gasUsed * receipt.effectiveGasPrice;
    try {
      return await transactionFee(hash.replace(/^0x/, ''));
    } catch (error) {
      logger.warn(
        { chain: chain.key, tx_hash: hash.replace(/^0x/, ''), err: error },
        'the TRON HTTP API cannot say what this transaction burned: its blocks are read again next pass',
      );
      throw error;
    }
  }

  async function settledBlock(): Promise<number> {
    const head = Number(await client.getBlockNumber());
    let settled = head - chain.confirmations + 1;
    if (chain.finality !== 'confirmations' && options.solidHead)
      settled = Math.min(settled, await options.solidHead());
    return settled;
  }

  async function deposits(): Promise<Map<string, Deposit>> {
    const { rows } = await db.query<{
      address: string;
      derivation_index: string | number;
      livemode: boolean;
    }>(
      `SELECT d.address, d.derivation_index, s.livemode FROM deposits d JOIN sessions s ON s.id = d.session_id
        WHERE d.chain_id = $1
       UNION ALL
       SELECT a.address, a.derivation_index, s.livemode FROM abandoned_deposits a JOIN sessions s ON s.id = a.session_id
        WHERE a.chain_id = $1`,
      [chain.id],
    );
    const book = new Map<string, Deposit>();
    for (const r of rows)
      book.set(tronAddressToHex(r.address).toLowerCase(), {
        address: r.address,
        derivation_index: Number(r.derivation_index),
        livemode: r.livemode,
      });
    return book;
  }

  /** Where the previous pass stopped; on the first, just before the chain's first transfer. */
  async function startBlock(): Promise<number | null> {
    const { rows } = await db.query<{ scanned_to: string | number }>(
      'SELECT scanned_to FROM tron_treasury_cursors WHERE chain_id = $1',
      [chain.id],
    );
    if (rows[0]) return Number(rows[0].scanned_to) + 1;
    const first = await db.query<{ first: string | number | null }>(
      'SELECT min(block_number) AS first FROM transfers WHERE chain_id = $1',
      [chain.id],
    );
    const block = first.rows[0]?.first;
    return block === null || block === undefined ? null : Number(block);
  }

  /** The `Transfer` logs of `token` in blocks `from..to` that match `args`, as movements. */
  async function tokenTransfers(
    token: ChainConfig['tokens'][number],
    args: { from: Address[] } | { to: Address },
    from: number,
    to: number,
  ): Promise<Movement[]> {
    const logs = await client.getLogs({
      address: tronAddressToHex(token.address),
      event: TRANSFER_EVENT,
      args,
      fromBlock: BigInt(from),
      toBlock: BigInt(to),
    });
    return logs
      .filter((log) => !log.removed && log.args.value)
      .map((log) => ({
        from: log.args.from!.toLowerCase() as Address,
        to: log.args.to!.toLowerCase() as Address,
        amount: log.args.value!,
        token: token.address,
        symbol: token.symbol,
        tx_hash: log.transactionHash!.replace(/^0x/, ''),
        log_index: log.logIndex!,
        block: Number(log.blockNumber),
      }));
  }

  /** Transfers and transactions sent by `senders` in blocks `from..to`. */
  async function read(from: number, to: number, senders: Address[]) {
    const movements: Movement[] = [];
    const chunks = Array.from({ length: Math.ceil(senders.length / 100) }, (_, k) =>
      senders.slice(k * 100, k * 100 + 100),
    );
    for (const token of chain.tokens) {
      for (const part of chunks) {
        movements.push(...(await tokenTransfers(token, { from: part }, from, to)));
      }
    }
    const wanted = new Set(senders);
    const sent: { hash: `0x${string}`; from: Address; to: Address | null; value: bigint; block: number }[] =
      [];
    /** TRX sent to the treasury by an address the watch does not follow: the merchant funding it. */
    const incoming: typeof sent = [];
    for (let n = from; n <= to; n += 1) {
      const block = await client.getBlock({ blockNumber: BigInt(n), includeTransactions: true });
      for (const tx of block.transactions) {
        const sender = tx.from.toLowerCase() as Address;
        if (wanted.has(sender))
          sent.push({
            hash: tx.hash,
            from: sender,
            to: (tx.to?.toLowerCase() as Address | undefined) ?? null,
            value: tx.value,
            block: n,
          });
        else if (treasuryHex && tx.to?.toLowerCase() === treasuryHex && tx.value > 0n)
          incoming.push({
            hash: tx.hash,
            from: sender,
            to: treasuryHex as Address,
            value: tx.value,
            block: n,
          });
      }
    }
    const fees: { from: Address; tx_hash: string; amount: bigint }[] = [];
    for (const tx of sent) {
      const receipt = await client.getTransactionReceipt({ hash: tx.hash });
      const fee = await burned(tx.hash, receipt);
      if (fee > 0n) fees.push({ from: tx.from, tx_hash: tx.hash.replace(/^0x/, ''), amount: fee });
      if (receipt.status === 'success' && tx.value > 0n && tx.to && (await isTrx(tx.hash)))
        movements.push(trxMovement(tx, tx.to));
    }
    movements.sort((a, b) => a.block - b.block || a.log_index - b.log_index);
    return { movements, fees, fundings: await readFunding(from, to, wanted, incoming) };
  }

  /** A TRX transfer (a transaction's `value`) as a movement to `to`. */
  const trxMovement = (
    tx: { hash: `0x${string}`; from: Address; value: bigint; block: number },
    to: Address,
  ): Movement => ({
    from: tx.from,
    to,
    amount: tx.value,
    token: null,
    symbol: nativeSymbol,
    tx_hash: tx.hash.replace(/^0x/, ''),
    log_index: -1,
    block: tx.block,
  });

  /**
   * Whether a transaction with a `value` moved TRX: java-tron's JSON-RPC shows a TRC-10 transfer's
   * token amount as `value` too, so a TRC-10 token leaving a deposit address or the treasury would
   * pass for a TRX sweep, or settle a TRX payout of the same amount. Only a `TransferContract` is
   * TRX; without the HTTP API (a chain that takes no TRX) the JSON-RPC's word is all there is. The
   * HTTP API failing throws: the pass reads these blocks again.
   */
  async function isTrx(hash: `0x${string}`): Promise<boolean> {
    if (!transactionType) return true;
    const type = await transactionType(hash.replace(/^0x/, ''));
    if (type === 'TransferContract') return true;
    logger.warn(
      { chain: chain.key, tx_hash: hash.replace(/^0x/, ''), type },
      'a transaction from a TRON deposit address or the treasury that moves no TRX (a TRC-10 token?): its fee booked, no TRX movement',
    );
    return false;
  }

  /**
   * Money that reached the treasury in blocks `from..to` from an address the watch does not follow
   * (not a deposit address, not the treasury itself): the TRX transfers among `incoming` that
   * succeeded, and the configured tokens' `Transfer` logs to the treasury.
   */
  async function readFunding(
    from: number,
    to: number,
    followed: ReadonlySet<string>,
    incoming: { hash: `0x${string}`; from: Address; value: bigint; block: number }[],
  ): Promise<Movement[]> {
    if (!treasuryHex) return [];
    const fundings: Movement[] = [];
    for (const token of chain.tokens)
      for (const m of await tokenTransfers(token, { to: treasuryHex as Address }, from, to))
        if (!followed.has(m.from)) fundings.push(m);
    for (const tx of incoming) {
      const receipt = await client.getTransactionReceipt({ hash: tx.hash });
      if (receipt.status !== 'success') continue;
      // java-tron's JSON-RPC gives a TRC-10 transfer (TransferAssetContract: tokens anyone can send
      // anyone, spam included) its token amount as `value`, like TRX: only a TransferContract is TRX.
      // Unknown (no HTTP API): not booked, as the rest of the treasury's unexplained money, reconcile
      // shows it. The HTTP API failing throws: the pass reads these blocks again.
      const type = transactionType ? await transactionType(tx.hash.replace(/^0x/, '')) : null;
      if (type !== 'TransferContract') {
        logger.warn(
          { chain: chain.key, tx_hash: tx.hash.replace(/^0x/, ''), type },
          type
            ? 'a transaction to the TRON treasury that is no TRX transfer (a TRC-10 token?): not booked as treasury funding'
            : 'TRX to the TRON treasury from outside: without http_api_url its contract type (TRX or a TRC-10 token) is unknown; not booked, reconcile shows it',
        );
        continue;
      }
      fundings.push(trxMovement(tx, treasuryHex as Address));
    }
    return fundings.sort((a, b) => a.block - b.block || a.log_index - b.log_index);
  }

  /**
   * Books money into the treasury from outside as a `treasury_funding` entry (into `in_treasury`),
   * once per transfer; a token no method names is left to `reconcile`. True when it booked.
   */
  async function bookFunding(q: Queryable, m: Movement, now: Date): Promise<boolean> {
    const asset = ledger.methodOf(chain.id, m.token);
    if (!asset || !treasury) return false;
    const fresh = await ledger.recordTreasuryFunding(q, {
      livemode: fundingLivemode(chain.id),
      asset: asset.id,
      from: tronAddressFromHex(m.from),
      to: treasury,
      amount_atomic: m.amount,
      tx_hash: m.tx_hash,
      log_index: m.log_index,
      at: now,
    });
    if (fresh)
      logger.info(
        { chain: chain.key, tx_hash: m.tx_hash, from: tronAddressFromHex(m.from), asset: asset.id },
        'money from outside reached the TRON treasury: booked as treasury funding',
      );
    return fresh;
  }

  /** One `sweeps` row; true when it is new (the transfer was not booked before). */
  async function sweepRow(
    q: Queryable,
    m: Movement,
    row: { address: string; index: number; status: string; reason: string | null; now: Date },
  ): Promise<boolean> {
    const { rows } = await q.query(
      `INSERT INTO sweeps (chain_id, tx_hash, address, derivation_index, token_symbol, token_address,
         treasury_address, planned_atomic, amount_atomic, status, batch_deposits, gas_share, block_number,
         relayer_address, nonce, raw_tx, created_at, updated_at, review_reason)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, 1, NULL, $10, $11, 0, '', $12, $12, $13)
       ON CONFLICT (chain_id, tx_hash, address, token_symbol) DO NOTHING RETURNING 1`,
      [
        chain.id,
        m.tx_hash,
        row.address,
        row.index,
        m.symbol,
        m.token,
        treasury ?? tronAddressFromHex(m.to),
        m.amount.toString(),
        row.status,
        m.block,
        tronAddressFromHex(m.from),
        row.now,
        row.reason,
      ],
    );
    return rows.length === 1;
  }

  async function settle(q: Queryable, payout: PayoutRecord, m: Movement, now: Date): Promise<boolean> {
    const current = await payouts!.lockById(q, payout.id);
    if (current?.status !== 'submitted') return false;
    await ledger.append(q, [
      {
        ...reserveEntry(current, 'payout_settle', current.amount_atomic, now),
        address: current.source_address,
        tx_hash: m.tx_hash,
        log_index: m.log_index,
      },
    ]);
    await payouts!.transition(q, current, 'confirmed', { tx_hash: m.tx_hash, log_index: m.log_index });
    return true;
  }

  return {
    chain,
    async syncOnce() {
      const report: TronTreasuryWatchReport = {
        scanned: null,
        swept: 0,
        reviews: 0,
        payoutsConfirmed: 0,
        payoutsFailed: 0,
        funded: 0,
        exportsConfirmed: 0,
        exportsExpired: 0,
      };
      const settled = await settledBlock();
      if (settled < 0) return report;
      const start = await startBlock();
      if (start === null || start > settled) return report;
      const book = await deposits();
      const senders = [...book.keys(), ...(treasuryHex ? [treasuryHex] : [])] as Address[];
      for (let from = start; from <= settled; from += chain.max_block_range) {
        const to = Math.min(settled, from + chain.max_block_range - 1);
        const { movements, fees, fundings } = await read(from, to, senders);
        const blockTime = Number((await client.getBlock({ blockNumber: BigInt(to) })).timestamp) * 1_000;
        await db.transaction(async (q) => {
          await lockTronTreasury(q);
          const { rows: cursor } = await q.query<{ scanned_to: string | number }>(
            'SELECT scanned_to FROM tron_treasury_cursors WHERE chain_id = $1',
            [chain.id],
          );
          // Another instance read these blocks meanwhile: nothing to do twice.
          if (cursor[0] && Number(cursor[0].scanned_to) >= to) return;
          const now = clock();
          const submitted = payouts ? await payouts.inStatus(q, chain.id, 'submitted') : [];
          const claimed = new Set<string>();
          /** Sweep transactions recorded in this pass → their webhook (top-ups send none: not sweeps). */
          const sweepEvents = new Map<string, WebhookSweepEventType>();
          /** The mode of each fee-paying transaction: its deposit's, its payout's, or its top-up's. */
          const modeOf = new Map<string, boolean>();
          for (const m of movements) {
            const deposit = book.get(m.from);
            const asset = ledger.methodOf(chain.id, m.token);
            if (deposit) {
              modeOf.set(m.tx_hash, deposit.livemode);
              const toTreasury = m.to === treasuryHex;
              const fresh = await sweepRow(q, m, {
                address: deposit.address,
                index: deposit.derivation_index,
                status: toTreasury && asset ? 'confirmed' : 'needs_review',
                reason: toTreasury
                  ? asset
                    ? null
                    : `${m.symbol} has no configured asset`
                  : `${m.amount} ${m.symbol} (atomic) sent from deposit address ${deposit.address} to ${tronAddressFromHex(m.to)}, not the treasury${treasury ? ` ${treasury}` : ' (no treasury_address is configured)'}`,
                now,
              });
              if (!fresh) continue;
              sweepEvents.set(m.tx_hash, toTreasury && asset ? 'sweep.confirmed' : 'sweep.needs_review');
              if (toTreasury && asset) {
                await ledger.recordSweep(q, {
                  livemode: deposit.livemode,
                  asset: asset.id,
                  from: deposit.address,
                  to: treasury!,
                  amount_atomic: m.amount,
                  tx_hash: m.tx_hash,
                  log_index: m.log_index,
                  at: now,
                });
                report.swept += 1;
              } else {
                report.reviews += 1;
                logger.warn(
                  { chain: chain.key, tx_hash: m.tx_hash, address: deposit.address },
                  'money left a TRON deposit address for somewhere other than the treasury: it waits for review',
                );
              }
              continue;
            }
            // From the treasury.
            const to = tronAddressFromHex(m.to);
            const payout =
              submitted.find((p) => p.tx_hash === m.tx_hash && !claimed.has(p.id)) ??
              submitted.find(
                (p) =>
                  !claimed.has(p.id) &&
                  p.source_address === treasury &&
                  p.destination === to &&
                  p.amount_atomic === m.amount &&
                  (p.token_address?.toLowerCase() ?? null) === (m.token?.toLowerCase() ?? null),
              );
            if (payout) {
              claimed.add(payout.id);
              modeOf.set(m.tx_hash, payout.livemode);
              if (await settle(q, payout, m, now)) report.payoutsConfirmed += 1;
              continue;
            }
            const target = book.get(m.to);
            if (target && m.token === null && asset) {
              // TRX to a deposit address: the top-up that pays its USDT sweep's energy.
              modeOf.set(m.tx_hash, target.livemode);
              if (
                await sweepRow(q, m, {
                  address: target.address,
                  index: target.derivation_index,
                  status: 'top_up',
                  reason: null,
                  now,
                })
              ) {
                await ledger.append(q, [
                  {
                    livemode: target.livemode,
                    kind: 'sweep',
                    asset: asset.id,
                    chain_id: chain.id,
                    token_address: null,
                    amount_atomic: -m.amount,
                    address: target.address,
                    counterparty: treasury,
                    tx_hash: m.tx_hash,
                    log_index: -1,
                    at: now,
                  },
                ]);
                report.swept += 1;
              }
              continue;
            }
            if (
              await sweepRow(q, m, {
                address: treasury!,
                index: -1,
                status: 'needs_review',
                reason: `${m.amount} ${m.symbol} (atomic) left the treasury ${treasury} to ${to} and pays no submitted payout`,
                now,
              })
            ) {
              sweepEvents.set(m.tx_hash, 'sweep.needs_review');
              report.reviews += 1;
              logger.warn(
                { chain: chain.key, tx_hash: m.tx_hash, to },
                'money left the TRON treasury for no submitted payout: it waits for review',
              );
            }
          }
          for (const m of fundings) if (await bookFunding(q, m, now)) report.funded += 1;
          for (const fee of fees) {
            const deposit = book.get(fee.from);
            const livemode =
              deposit?.livemode ?? modeOf.get(fee.tx_hash) ?? (await treasuryMode(q, chain.id, treasury));
            await ledger.recordFee(q, {
              livemode,
              chain_id: chain.id,
              address: tronAddressFromHex(fee.from),
              tx_hash: fee.tx_hash,
              amount_atomic: fee.amount,
              at: now,
            });
          }
          // Exported sweep transactions seen or expired: the addresses they held are free again.
          const exports = await settleTronExports(q, chain.id, movements, blockTime, now);
          report.exportsConfirmed += exports.confirmed;
          report.exportsExpired += exports.expired;
          // Exported payouts whose transaction expired unbroadcast (its expiry is behind the settled block).
          for (const p of submitted) {
            const expiration = expirationOf(p);
            if (claimed.has(p.id) || expiration === null || expiration >= blockTime) continue;
            const current = await payouts!.lockById(q, p.id);
            if (current?.status !== 'submitted') continue;
            await ledger.append(q, [reserveEntry(current, 'payout_release', -current.amount_atomic, now)]);
            await payouts!.transition(q, current, 'failed', {
              failure_reason: `its exported TRON transaction ${p.tx_hash ?? ''} expired at ${new Date(expiration).toISOString()} without reaching the chain; ask for the payout again`,
            });
            report.payoutsFailed += 1;
          }
          // In this transaction, with the rows: a sweep and its webhook exist together or not at all.
          if (options.onSweepChange)
            for (const [tx_hash, type] of sweepEvents)
              await options.onSweepChange(q, { chain_id: chain.id, tx_hash, type });
          await q.query(
            `INSERT INTO tron_treasury_cursors (chain_id, scanned_to, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (chain_id) DO UPDATE SET scanned_to = EXCLUDED.scanned_to, updated_at = EXCLUDED.updated_at`,
            [chain.id, to, now],
          );
        });
        report.scanned = { from: report.scanned?.from ?? from, to };
      }
      if (
        report.swept ||
        report.reviews ||
        report.payoutsConfirmed ||
        report.payoutsFailed ||
        report.exportsConfirmed ||
        report.exportsExpired ||
        report.funded
      )
        logger.info({ chain: chain.key, ...report }, 'TRON treasury movements booked');
      return report;
    },
  };
}

/**
 * The mode a treasury funding is booked in: live on a known mainnet (TRON's, chain id 728126428), test
 * on any other chain (Nile, Shasta, a local stand-in), whose coins are worth nothing. No session or
 * payout names the mode of money sent into the treasury, and the merchant usually funds it before
 * the first sweep, so the mode cannot come from the ledger.
 * @example fundingLivemode(728126428) // true
 */
export function fundingLivemode(chainId: number): boolean {
  return KNOWN_CHAINS.some((known) => known.id === chainId && !known.testnet);
}

/** The mode of the treasury's latest ledger entry (test when it has none): for a fee no deposit or payout names. */
async function treasuryMode(q: Queryable, chainId: number, treasury: string | null): Promise<boolean> {
  if (!treasury) return false;
  const { rows } = await q.query<{ livemode: boolean }>(
    `SELECT livemode FROM ledger_entries WHERE chain_id = $1 AND (counterparty = $2 OR address = $2)
      ORDER BY id DESC LIMIT 1`,
    [chainId, treasury],
  );
  return rows[0]?.livemode ?? false;
}

/**
 * Runs a TRON treasury watch every `tickMs` while `leads()` says this instance leads the chain's watch.
 * @example const running = startTronTreasuryWatch(watch, { tickMs: 3_000, leads: () => true, logger }); await running.stop();
 */
export function startTronTreasuryWatch(
  watch: TronTreasuryWatch,
  options: { tickMs: number; leads?: () => boolean; logger?: { warn(obj: object, msg: string): void } },
): { stop(): Promise<void> } {
  return runPeriodically(() => watch.syncOnce(), {
    tickMs: options.tickMs,
    chain: watch.chain.key,
    failure: 'TRON treasury watch failed',
    leads: options.leads,
    logger: options.logger,
  });
}
