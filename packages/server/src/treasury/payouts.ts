/**
 * Payouts: asked for (one or a batch of up to 1,000, all or nothing), valued in the review currency,
 * approved at once below the review threshold or by a second key with the `approve` scope at or above
 * it, canceled, then submitted and confirmed or failed (`payout-execution.ts`). Every status change
 * writes its `payout.<status>` webhook in its own transaction (the outbox), and every change of the
 * money a payout holds writes a ledger entry in that same transaction: a reservation on request, a
 * release on cancel or failure, a settlement on confirmation.
 *
 * Overspending is impossible by construction: a request takes the `payouts` advisory lock, reads
 * the available balance from the ledger and writes its reservations before it commits, so concurrent
 * requests (on any instance of one PostgreSQL database) take turns, each seeing the others' holds.
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { Payout, PayoutRequest, PayoutStatus } from '@crypto-checkout/protocol';
import type { MerchantCaller } from '../auth.js';
import type { MethodInfo } from '../chain/registry.js';
import {
  ForbiddenError,
  InsufficientBalanceError,
  InvalidRequestError,
  NotFoundError,
  PayoutNotPendingError,
} from '../errors.js';
import type { Issue } from '../errors.js';
import { requireScope } from '../keys/key-scopes.js';
import { compareDecimals, formatAtomic, multiplyDecimals, toAtomic } from '../money.js';
import type { Pricer } from '../rates/pricer.js';
import { lockPayoutReservations } from '../store/payout-lock.js';
import { Store, type Database, type Queryable } from '../store/database.js';
import type { WebhookOutbox } from '../webhooks/webhook-outbox.js';
import type { WebhookStore } from '../webhooks/webhook-store.js';
import type { Ledger, NewLedgerEntry } from './ledger.js';
import { validateDestination } from './payout-destination.js';

/** `approved_by` of a payout below the review threshold: the policy approved it, not a person. */
export const AUTO_APPROVED = 'auto:below_review_threshold';

/** A payout as stored. */
export interface PayoutRecord {
  id: string;
  livemode: boolean;
  status: PayoutStatus;
  asset: string;
  chain_id: number;
  token_address: string | null;
  decimals: number;
  destination: string;
  amount_atomic: bigint;
  fiat_value: string | null;
  fiat_currency: string;
  reference: string | null;
  requested_by: string;
  approved_by: string | null;
  canceled_by: string | null;
  source_address: string | null;
  submitted_at_block: bigint | null;
  nonce: bigint | null;
  tx_hash: string | null;
  log_index: number | null;
  failure_reason: string | null;
  /** The signed transaction when the payout key sent it (migration 16). */
  raw_tx: string | null;
  /** When the payout key's transaction was recorded: counts toward its rolling 24 h limit. */
  sent_at: Date | null;
  /** Why an approved payout is not sent yet, shown in the API. */
  waiting_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `id, livemode, status, asset, chain_id::float8 AS chain_id, token_address, decimals, destination,
  amount_atomic::text AS amount_atomic, fiat_value, fiat_currency, reference, requested_by, approved_by,
  canceled_by, source_address, submitted_at_block::text AS submitted_at_block, nonce::text AS nonce, tx_hash,
  log_index, failure_reason, raw_tx, sent_at, waiting_reason, created_at, updated_at`;

type RawPayout = Omit<PayoutRecord, 'amount_atomic' | 'submitted_at_block' | 'nonce'> & {
  amount_atomic: string;
  submitted_at_block: string | null;
  nonce: string | null;
};

const toRecord = (row: RawPayout): PayoutRecord => ({
  ...row,
  // bigint in its table (migration 14): PostgreSQL's driver answers a string, PGlite a number.
  chain_id: Number(row.chain_id),
  amount_atomic: BigInt(row.amount_atomic),
  submitted_at_block: row.submitted_at_block === null ? null : BigInt(row.submitted_at_block),
  nonce: row.nonce === null ? null : BigInt(row.nonce),
});

/** A new payout id: `po_` and 24 random letters and digits. */
function newPayoutId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(24);
  let id = 'po_';
  // 62 does not divide 256: the slight bias of `% 62` costs a fraction of a bit of 142; harmless for an id.
  for (const byte of bytes) id += alphabet[byte % 62];
  return id;
}

/** A payout as the API answers it. */
export function payoutView(p: PayoutRecord): Payout {
  return {
    id: p.id,
    object: 'payout',
    livemode: p.livemode,
    status: p.status,
    asset: p.asset,
    chain_id: p.chain_id,
    destination: p.destination,
    amount: formatAtomic(p.amount_atomic, p.decimals),
    fiat_value: p.fiat_value,
    fiat_currency: p.fiat_currency,
    reference: p.reference,
    requested_by: p.requested_by,
    approved_by: p.approved_by,
    tx_hash: p.tx_hash,
    failure_reason: p.failure_reason,
    waiting_reason: p.waiting_reason,
    created_at: p.created_at.toISOString(),
    updated_at: p.updated_at.toISOString(),
  };
}

/** What {@link Payouts} needs. */
export interface PayoutsOptions {
  db: Database;
  ledger: Ledger;
  methods: ReadonlyMap<string, MethodInfo>;
  pricer: Pick<Pricer, 'rate'>;
  outbox: WebhookOutbox;
  webhookStore: WebhookStore;
  /** At or above this value in `currency`, a payout waits for a second key's approval. */
  reviewThreshold: string;
  currency: string;
  clock?: (() => Date) | undefined;
}

/** The payout lifecycle. */
export class Payouts extends Store {
  private readonly options: PayoutsOptions;
  private readonly clock: () => Date;

  constructor(options: PayoutsOptions) {
    super(options.db);
    this.options = options;
    this.clock = options.clock ?? (() => new Date());
  }

  /**
   * Asks for payouts, all or none: each is validated (asset, destination, amount), valued in the
   * review currency, and, under the `payouts` lock, checked against the available balance of its
   * asset and reserved. `commit` stores the idempotent answer in the same transaction.
   * Throws `invalid_request` naming each bad field, `insufficient_balance` when an asset's payouts
   * exceed what is available.
   */
  async create(
    caller: MerchantCaller,
    items: readonly PayoutRequest[],
    commit?: ((tx: Queryable, payouts: Payout[]) => Promise<void>) | null,
  ): Promise<PayoutRecord[]> {
    const livemode = caller.mode === 'live';
    const issues: Issue[] = [];
    const parsed = items.map((item, i) => {
      const method = this.options.methods.get(item.asset);
      if (!method) {
        issues.push({
          path: `payouts.${i}.asset`,
          message: `no asset ${item.asset} on this server; use one of: ${[...this.options.methods.keys()].join(', ')}`,
        });
        return null;
      }
      const problem = validateDestination(item.destination, method);
      if (problem) issues.push({ path: `payouts.${i}.destination`, message: problem });
      let amount = 0n;
      try {
        amount = toAtomic(item.amount, method.decimals);
        if (amount === 0n) issues.push({ path: `payouts.${i}.amount`, message: 'must be more than 0' });
      } catch {
        issues.push({
          path: `payouts.${i}.amount`,
          message: `${method.token} has at most ${method.decimals} decimal places`,
        });
      }
      return { item, method, amount };
    });
    if (issues.length) throw InvalidRequestError.fields(issues.slice(0, 50));
    const valid = parsed as { item: PayoutRequest; method: MethodInfo; amount: bigint }[];

    // Valued before the transaction: a slow rate source never holds the lock.
    const { currency, reviewThreshold } = this.options;
    const rates = new Map<string, string | null>();
    for (const { method } of valid) {
      if (rates.has(method.id)) continue;
      const rate = await this.options.pricer.rate(method, currency).then(
        (r) => r.rate,
        () => null,
      );
      rates.set(method.id, rate);
    }
    const now = this.clock();
    const records: PayoutRecord[] = valid.map(({ item, method, amount }) => {
      const rate = rates.get(method.id) ?? null;
      const fiat =
        rate === null ? null : roundFiat(multiplyDecimals(formatAtomic(amount, method.decimals), rate));
      // Unpriced payouts wait for a person: no rate is no proof that it is small.
      const review = fiat === null || compareDecimals(fiat, reviewThreshold) >= 0;
      return {
        id: newPayoutId(),
        livemode,
        status: review ? 'needs_approval' : 'approved',
        asset: method.id,
        chain_id: method.chain.id,
        token_address: method.token_address,
        decimals: method.decimals,
        destination: item.destination,
        amount_atomic: amount,
        fiat_value: fiat,
        fiat_currency: currency,
        reference: item.reference ?? null,
        requested_by: caller.keyId,
        approved_by: review ? null : AUTO_APPROVED,
        canceled_by: null,
        source_address: null,
        submitted_at_block: null,
        nonce: null,
        tx_hash: null,
        log_index: null,
        failure_reason: null,
        raw_tx: null,
        sent_at: null,
        waiting_reason: null,
        created_at: now,
        updated_at: now,
      };
    });

    return this.transaction(async (tx) => {
      await lockPayoutReservations(tx);
      const wanted = new Map<string, bigint>();
      for (const r of records) wanted.set(r.asset, (wanted.get(r.asset) ?? 0n) + r.amount_atomic);
      const balances = await this.options.ledger.balances(tx, livemode);
      const short: string[] = [];
      for (const [asset, amount] of wanted) {
        const available = balances.find((b) => b.asset === asset)?.available ?? 0n;
        if (amount > available) {
          const decimals = this.options.methods.get(asset)!.decimals;
          short.push(
            `${asset}: asked for ${formatAtomic(amount, decimals)}, available ${formatAtomic(available, decimals)}`,
          );
        }
      }
      if (short.length) {
        throw new InsufficientBalanceError(
          `not enough available for these payouts (${short.join('; ')}); nothing was reserved — sweep more into the treasury or ask for less`,
        );
      }
      await this.insert(tx, records);
      await this.options.ledger.append(
        tx,
        records.map((r) => reserveEntry(r, 'payout_reserve', r.amount_atomic, now)),
      );
      const endpoints = new Map<string, Promise<string[]>>();
      for (const r of records) {
        await this.notify(tx, { ...r, status: 'requested', approved_by: null }, now, endpoints);
        await this.notify(tx, r, now, endpoints);
      }
      if (commit) await commit(tx, records.map(payoutView));
      return records;
    });
  }

  /**
   * Approves a payout waiting for review. The key needs the `approve` scope and must not be the
   * key that asked for it: four eyes, whatever its other rights.
   */
  async approve(caller: MerchantCaller, id: string): Promise<PayoutRecord> {
    requireScope(caller, 'approve');
    const changed = await this.transaction(async (tx) => {
      const payout = await this.lockPayout(tx, caller, id);
      if (payout.status !== 'needs_approval') {
        throw new PayoutNotPendingError(
          `payout ${id} is ${payout.status}; only a payout in needs_approval can be approved`,
        );
      }
      if (payout.requested_by === caller.keyId) {
        throw new ForbiddenError(
          `payout ${id} was asked for with this key (${caller.keyId}); another key with the approve scope must approve it`,
        );
      }
      return this.transition(tx, payout, 'approved', { approved_by: caller.keyId });
    });
    this.options.outbox.signal();
    return changed;
  }

  /** Cancels a payout not submitted yet, releasing its reservation. Canceling a canceled one answers it again. */
  async cancel(caller: MerchantCaller, id: string): Promise<PayoutRecord> {
    const changed = await this.transaction(async (tx) => {
      const payout = await this.lockPayout(tx, caller, id);
      if (payout.status === 'canceled') return payout;
      if (!['requested', 'needs_approval', 'approved'].includes(payout.status)) {
        throw new PayoutNotPendingError(
          `payout ${id} is ${payout.status}; only a payout not submitted yet can be canceled`,
        );
      }
      const now = this.clock();
      await this.options.ledger.append(tx, [
        reserveEntry(payout, 'payout_release', -payout.amount_atomic, now),
      ]);
      return this.transition(tx, payout, 'canceled', { canceled_by: caller.keyId });
    });
    this.options.outbox.signal();
    return changed;
  }

  /** A payout of the caller's mode, or 404. */
  async get(caller: MerchantCaller, id: string): Promise<PayoutRecord> {
    const { rows } = await this.db.query<RawPayout>(`SELECT ${COLUMNS} FROM payouts WHERE id = $1`, [id]);
    return inCallersMode(rows[0] ? toRecord(rows[0]) : null, caller, id);
  }

  /** A page of a mode's payouts, newest first, optionally of one status, before the cursor's payout. */
  async list(
    livemode: boolean,
    options: {
      status?: PayoutStatus | undefined;
      before?: { created_at: Date; id: string } | null;
      limit: number;
    },
  ): Promise<PayoutRecord[]> {
    const { rows } = await this.db.query<RawPayout>(
      `SELECT ${COLUMNS} FROM payouts WHERE livemode = $1 AND ($2::text IS NULL OR status = $2)
         AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::text))
       ORDER BY created_at DESC, id DESC LIMIT $5`,
      [
        livemode,
        options.status ?? null,
        options.before?.created_at ?? null,
        options.before?.id ?? '',
        options.limit,
      ],
    );
    return rows.map(toRecord);
  }

  /** Payouts of a chain in one status (the executor's work lists), oldest first. */
  async inStatus(
    q: Queryable,
    chainId: number,
    status: PayoutStatus,
    livemode?: boolean,
  ): Promise<PayoutRecord[]> {
    const { rows } = await q.query<RawPayout>(
      `SELECT ${COLUMNS} FROM payouts WHERE chain_id = $1 AND status = $2 AND ($3::boolean IS NULL OR livemode = $3)
       ORDER BY created_at, id`,
      [chainId, status, livemode ?? null],
    );
    return rows.map(toRecord);
  }

  /** Notes why an approved payout is still waiting (shown as `waiting_reason`), in `q`; no webhook. */
  async setWaitingReason(q: Queryable, id: string, reason: string | null): Promise<void> {
    await q.query(
      `UPDATE payouts SET waiting_reason = $2 WHERE id = $1 AND status = 'approved' AND waiting_reason IS DISTINCT FROM $2`,
      [id, reason],
    );
  }

  /**
   * What the payout key at `source` sent of `asset` since `since` (payouts submitted or confirmed
   * from it, by when their transaction was recorded): the used part of its rolling daily limit.
   */
  async sentSince(q: Queryable, asset: string, source: string, since: Date): Promise<bigint> {
    const { rows } = await q.query<{ total: string | null }>(
      `SELECT sum(amount_atomic)::text AS total FROM payouts
        WHERE asset = $1 AND lower(source_address) = lower($2) AND sent_at > $3 AND status IN ('submitted', 'confirmed')`,
      [asset, source, since],
    );
    return BigInt(rows[0]?.total ?? '0');
  }

  /** Locks a payout row for a status change; `null` when there is none. */
  async lockById(tx: Queryable, id: string): Promise<PayoutRecord | null> {
    const { rows } = await tx.query<RawPayout>(`SELECT ${COLUMNS} FROM payouts WHERE id = $1 FOR UPDATE`, [
      id,
    ]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /**
   * Moves a locked payout to `status` with `fields`, and writes its webhook, in `tx`. The caller
   * writes the ledger entry that goes with it in the same transaction.
   */
  async transition(
    tx: Queryable,
    payout: PayoutRecord,
    status: PayoutStatus,
    fields: Partial<
      Pick<
        PayoutRecord,
        | 'approved_by'
        | 'canceled_by'
        | 'source_address'
        | 'submitted_at_block'
        | 'nonce'
        | 'tx_hash'
        | 'log_index'
        | 'failure_reason'
        | 'raw_tx'
        | 'sent_at'
        | 'waiting_reason'
      >
    > = {},
  ): Promise<PayoutRecord> {
    const now = this.clock();
    const next: PayoutRecord = { ...payout, ...fields, status, updated_at: now };
    await tx.query(
      `UPDATE payouts SET status = $2, approved_by = $3, canceled_by = $4, source_address = $5,
         submitted_at_block = $6, nonce = $7, tx_hash = $8, log_index = $9, failure_reason = $10, updated_at = $11,
         raw_tx = $12, sent_at = $13, waiting_reason = $14
       WHERE id = $1`,
      [
        next.id,
        next.status,
        next.approved_by,
        next.canceled_by,
        next.source_address,
        next.submitted_at_block?.toString() ?? null,
        next.nonce?.toString() ?? null,
        next.tx_hash,
        next.log_index,
        next.failure_reason,
        now,
        next.raw_tx,
        next.sent_at,
        // Waiting is over once it moves on.
        status === 'approved' ? next.waiting_reason : null,
      ],
    );
    await this.notify(tx, next, now);
    return next;
  }

  private async lockPayout(tx: Queryable, caller: MerchantCaller, id: string): Promise<PayoutRecord> {
    return inCallersMode(await this.lockById(tx, id), caller, id);
  }

  private async insert(tx: Queryable, records: readonly PayoutRecord[]): Promise<void> {
    for (let start = 0; start < records.length; start += 250) {
      const params: unknown[] = [];
      const rows = records.slice(start, start + 250).map((r) => {
        const values = [
          r.id,
          r.livemode,
          r.status,
          r.asset,
          r.chain_id,
          r.token_address,
          r.decimals,
          r.destination,
          r.amount_atomic.toString(),
          r.fiat_value,
          r.fiat_currency,
          r.reference,
          r.requested_by,
          r.approved_by,
          r.created_at,
          r.updated_at,
        ];
        return `(${values.map((v) => `$${params.push(v)}`).join(', ')})`;
      });
      await tx.query(
        `INSERT INTO payouts (id, livemode, status, asset, chain_id, token_address, decimals, destination,
           amount_atomic, fiat_value, fiat_currency, reference, requested_by, approved_by, created_at, updated_at)
         VALUES ${rows.join(', ')}`,
        params,
      );
    }
  }

  /**
   * Writes the `payout.<status>` webhook of a payout in `tx` (the outbox). `endpoints` caches the
   * endpoints of each type within one transaction (a batch of 1,000 asks once per type).
   */
  private async notify(
    tx: Queryable,
    payout: PayoutRecord,
    at: Date,
    endpoints = new Map<string, Promise<string[]>>(),
  ): Promise<void> {
    const type = `payout.${payout.status}`;
    const body = JSON.stringify({ type, timestamp: at.toISOString(), data: payoutView(payout) });
    let ids = endpoints.get(type);
    if (!ids) {
      ids = this.options.webhookStore.endpointsFor(tx, payout.livemode, type);
      endpoints.set(type, ids);
    }
    await this.options.outbox.enqueue(tx, {
      type,
      livemode: payout.livemode,
      session_id: null,
      session_seq: null,
      body,
      at,
      endpointIds: await ids,
    });
  }
}

/**
 * The payout if it is of the caller's mode: 404 when there is none, 403 when it is of the other mode
 * (as for sessions: the merchant holds both keys, so its existence is no secret to them).
 */
function inCallersMode(payout: PayoutRecord | null, caller: MerchantCaller, id: string): PayoutRecord {
  if (!payout) throw new NotFoundError(`no payout ${id}`);
  if (payout.livemode !== (caller.mode === 'live')) {
    const mode = payout.livemode ? 'live' : 'test';
    throw new ForbiddenError(`payout ${id} is a ${mode}-mode payout; use a ${mode} secret key`);
  }
  return payout;
}

/** A ledger entry of a payout's reservation (reserve, release). */
export function reserveEntry(
  payout: PayoutRecord,
  kind: 'payout_reserve' | 'payout_release' | 'payout_settle',
  amount: bigint,
  at: Date,
): NewLedgerEntry {
  return {
    livemode: payout.livemode,
    kind,
    asset: payout.asset,
    chain_id: payout.chain_id,
    token_address: payout.token_address,
    amount_atomic: amount,
    payout_id: payout.id,
    counterparty: payout.destination,
    at,
  };
}

/** A fiat value rounded half up to 2 decimal places, for showing and comparing with the threshold. */
function roundFiat(value: string): string {
  const [whole, fraction = ''] = value.split('.');
  const cents = BigInt(whole! + fraction.padEnd(2, '0').slice(0, 2));
  const up = fraction.length > 2 && Number(fraction[2]) >= 5 ? 1n : 0n;
  return formatAtomic(cents + up, 2);
}
