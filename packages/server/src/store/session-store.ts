import type { ReviewReason, SessionEventType, SessionStatus } from '@crypto-checkout/protocol';
import { Store, type Database, type Queryable } from './database.js';
import type { SecretBox } from './secret-box.js';
import { secretContext } from './secrets-at-rest.js';

/**
 * The `NOTIFY` channel of new session events; each payload is `<session id>:<seq>` (see
 * `SessionStore.appendEvent` and `sessions/session-feed.ts`).
 */
export const SESSION_EVENTS_CHANNEL = 'crypto_checkout_session_events';

/** A session as stored. */
export interface SessionRecord {
  id: string;
  client_secret: string;
  status: SessionStatus;
  amount: string;
  /** ISO 4217 code or accepted crypto asset (`rates/currencies.ts`). */
  currency: string;
  order_id: string | null;
  metadata: Record<string, unknown>;
  methods: string[];
  success_url: string | null;
  cancel_url: string | null;
  created_at: Date;
  expires_at: Date;
  paid_at: Date | null;
  canceled_at: Date | null;
  /**
   * The highest block of the deposit's chain known at the cancel (the watcher's cursor, or the
   * node's head if higher): a transfer in a block above it was sent after the cancel. `null` when
   * not canceled, canceled without a chosen method, or canceled before this was recorded.
   */
  canceled_at_block: number | null;
  review_reasons: ReviewReason[];
  /** Created with a live-mode key (`sk_live_…`); test-mode keys never see it, and the reverse. */
  livemode: boolean;
  fingerprint: string;
}

/** The payment method a buyer chose, with the address and amount locked for it. */
export interface DepositRecord {
  session_id: string;
  method: string;
  chain_id: number;
  token_symbol: string;
  /** Lower-case contract address, or `null` for the native coin. */
  token_address: string | null;
  decimals: number;
  /** Checksummed deposit address. */
  address: string;
  derivation_index: number;
  amount_due_atomic: bigint;
  /** Least amount that counts as paid: the amount due less the underpayment tolerance. */
  amount_min_atomic: bigint;
  /** Session currency per whole token, locked with the choice. */
  rate: string;
  /** The source quotes `rate` was aggregated from, with their times (the conversion's record). */
  rate_sources: RateSourceRecord[];
  /** When the locked rate ends (a requote follows if nothing was received), or `null` if it never does. */
  rate_locked_until: Date | null;
  confirmations_required: number;
  created_at: Date;
  watch_until: Date;
}

/**
 * A method the buyer chose and then went back from (`DELETE /v1/sessions/:id/payment`). Its address
 * stays watched until `watch_until`; a transfer to it is recorded on the session and flagged.
 */
export interface AbandonedDepositRecord {
  session_id: string;
  method: string;
  chain_id: number;
  token_symbol: string;
  token_address: string | null;
  decimals: number;
  /** Checksummed deposit address. */
  address: string;
  derivation_index: number;
  amount_due_atomic: bigint;
  rate: string;
  rate_sources: RateSourceRecord[];
  created_at: Date;
  watch_until: Date;
  /** When the buyer went back. */
  abandoned_at: Date;
}

/** One source's quote behind a locked rate. */
export interface RateSourceRecord {
  /** Source and pair, e.g. `coinbase ETH/USD`. */
  source: string;
  /** Its rate, quote currency per whole base unit. */
  rate: string;
  /** When the source took it, ISO 8601. */
  at: string;
}

/**
 * The block number a transfer still in the mempool is stored with (a UTXO payment seen at 0
 * confirmations): above every real block, so that it has 0 confirmations at any cursor, and is
 * removed by any rewind. Views show it as no block (`null`).
 */
export const UNCONFIRMED_BLOCK = Number.MAX_SAFE_INTEGER;

/** One transfer seen on chain to a deposit address. `log_index` is -1 for native transfers. */
export interface TransferRecord {
  chain_id: number;
  tx_hash: string;
  log_index: number;
  session_id: string;
  address: string;
  token_address: string | null;
  token_symbol: string;
  decimals: number;
  /** The sender, or `null` where the chain names none (a Bitcoin transaction has inputs, not a sender). */
  from_address: string | null;
  amount_atomic: bigint;
  block_number: number;
  block_hash: string;
  block_time: Date;
  seen_at: Date;
}

/** A processed block's hash, kept for the most recent blocks to notice reorganisations. */
export interface BlockRecord {
  number: number;
  hash: string;
  parent_hash: string;
}

/** A session with everything needed to compute its state and views. */
export interface SessionBundle {
  session: SessionRecord;
  deposit: DepositRecord | null;
  transfers: TransferRecord[];
  /** Last block the watcher processed, by chain id (chains not started yet are missing). */
  cursors: Map<number, number>;
}

/** One stored session event; `payload` is the buyer view at the time of the event. */
export interface StoredEvent {
  session_id: string;
  seq: number;
  type: SessionEventType;
  payload: Record<string, unknown>;
  created_at: Date;
}

/** A watched deposit address, as the watcher needs it. */
export interface WatchedDeposit {
  session_id: string;
  address: string;
  derivation_index: number;
  /** When it was stored, as a number that only grows (the address books' cursor; migration 22). */
  watch_seq: number;
  watch_until: Date;
}

/** The newest stored deposit numbers (`watch_seq`), see {@link SessionStore.recentWatchSeqs}. */
export interface RecentWatchSeqs {
  /** The highest `watch_seq` stored, or -1 before any deposit. */
  highest: number;
  /** Every `watch_seq` stored in `(highest - window, highest]`, watched or not. */
  stored: number[];
}

/**
 * Which sessions {@link SessionStore.listSessions} returns: always one mode's, narrowed by every
 * other filter that is set (they combine with AND).
 */
export interface SessionQuery {
  livemode: boolean;
  order_id?: string | undefined;
  statuses?: readonly SessionStatus[] | undefined;
  /** `true`: only sessions with review reasons; `false`: only sessions without. */
  review?: boolean | undefined;
  created_gte?: Date | undefined;
  created_lt?: Date | undefined;
  /** Symbol of the chosen token, compared case-insensitively. */
  token?: string | undefined;
  /** The chosen method id, e.g. `usdc@base`. */
  method?: string | undefined;
}

/**
 * A place in the newest-first order of sessions: its creation time in microseconds since the epoch
 * (the database's full precision, as an integer string) and its id, which breaks ties.
 */
export interface SessionPosition {
  created_us: string;
  id: string;
}

const SESSION_COLUMNS = `id, client_secret, status, amount, currency, order_id, metadata, methods, success_url,
  cancel_url, created_at, expires_at, paid_at, canceled_at, review_reasons, livemode, fingerprint`;
/** {@link SESSION_COLUMNS} as a list. */
const SESSION_COLUMN_NAMES = SESSION_COLUMNS.split(',').map((column) => column.trim());
/** The session columns of type jsonb. */
const JSONB_COLUMNS = new Set(['metadata', 'methods', 'review_reasons']);
/** The most reads one grouped statement carries (see `loadBundleGrouped`). */
const READ_GROUP_MAX = 64;
/** The most creates one grouped statement carries (see `insertSessionGrouped`). */
const CREATE_GROUP_MAX = 64;
/** What a session read selects: its columns, and `canceled_at_block` as text (a bigint). */
const SESSION_SELECT = `${SESSION_COLUMNS}, canceled_at_block::text AS canceled_at_block`;
type RawSession = Raw<SessionRecord, 'canceled_at_block'> & { canceled_at_block: string | null };
const toSession = (row: RawSession): SessionRecord => ({
  ...row,
  canceled_at_block: row.canceled_at_block === null ? null : Number(row.canceled_at_block),
});
const DEPOSIT_COLUMNS = `session_id, method, chain_id::float8 AS chain_id, token_symbol, token_address, decimals, address,
  derivation_index::text AS derivation_index, amount_due_atomic::text AS amount_due_atomic,
  amount_min_atomic::text AS amount_min_atomic, rate,
  confirmations_required, created_at, watch_until, rate_sources, rate_locked_until`;
const TRANSFER_COLUMNS = `chain_id::float8 AS chain_id, tx_hash, log_index, session_id, address, token_address, token_symbol,
  decimals, from_address, amount_atomic::text AS amount_atomic, block_number::text AS block_number, block_hash,
  block_time, seen_at`;

type Raw<T, K extends keyof T> = Omit<T, K> & { [P in K]: string };

/** The start of every transfer insert; its values are {@link transferParams}, `ON CONFLICT …` follows. */
const INSERT_TRANSFER = `INSERT INTO transfers (chain_id, tx_hash, log_index, session_id, address, token_address, token_symbol,
           decimals, from_address, amount_atomic, block_number, block_hash, block_time, seen_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)`;

/** A transfer's values in {@link INSERT_TRANSFER}'s order. */
const transferParams = (t: TransferRecord): unknown[] => [
  t.chain_id,
  t.tx_hash,
  t.log_index,
  t.session_id,
  t.address,
  t.token_address,
  t.token_symbol,
  t.decimals,
  t.from_address,
  t.amount_atomic.toString(),
  t.block_number,
  t.block_hash,
  t.block_time,
  t.seen_at,
];

/**
 * A transfer as a JSON object, for reading a session's transfers in the statement that reads the
 * session (alias `t`): numbers that may exceed 2^53 as text, times as whole epoch milliseconds
 * (what node-postgres makes of a timestamptz: the microseconds cut off).
 */
const TRANSFER_JSON = `json_build_object('chain_id', t.chain_id, 'tx_hash', t.tx_hash, 'log_index', t.log_index,
  'session_id', t.session_id, 'address', t.address, 'token_address', t.token_address,
  'token_symbol', t.token_symbol, 'decimals', t.decimals, 'from_address', t.from_address,
  'amount_atomic', t.amount_atomic::text, 'block_number', t.block_number::text, 'block_hash', t.block_hash,
  'block_time', floor(extract(epoch FROM t.block_time) * 1000)::float8,
  'seen_at', floor(extract(epoch FROM t.seen_at) * 1000)::float8)`;
/** A transfer as {@link TRANSFER_JSON} spells it. */
type JsonTransfer = Omit<TransferRecord, 'amount_atomic' | 'block_number' | 'block_time' | 'seen_at'> & {
  amount_atomic: string;
  block_number: string;
  block_time: number;
  seen_at: number;
};
const fromJsonTransfer = (row: JsonTransfer): TransferRecord => ({
  ...row,
  amount_atomic: BigInt(row.amount_atomic),
  block_number: Number(row.block_number),
  block_time: new Date(row.block_time),
  seen_at: new Date(row.seen_at),
});

/** {@link SESSION_SELECT} with every column qualified by the alias `s` (for joins). */
const SESSION_SELECT_QUALIFIED = `${SESSION_COLUMNS.split(',')
  .map((column) => `s.${column.trim()}`)
  .join(', ')}, s.canceled_at_block::text AS canceled_at_block`;
/** The deposit's columns as a join selects them from the alias `d`, each prefixed `d_`. */
const DEPOSIT_JOINED = DEPOSIT_COLUMNS.split(',')
  .map((column) => {
    const [name, alias] = column.trim().split(/\s+AS\s+/i) as [string, string | undefined];
    return `d.${name} AS d_${alias ?? name}`;
  })
  .join(', ');
/** The fields of `row` whose names start with `prefix`, without it. */
const unprefixed = (row: Record<string, unknown>, prefix: string) =>
  Object.fromEntries(
    Object.entries(row)
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, value]) => [key.slice(prefix.length), value]),
  );
/** The fields of `row` whose names start with none of `prefixes`. */
const withoutPrefixed = (row: Record<string, unknown>, prefixes: string[]) =>
  Object.fromEntries(Object.entries(row).filter(([key]) => !prefixes.some((p) => key.startsWith(p))));
/** A session with its deposit, its transfers and the chains' cursors, one row each (alias `s`); add the WHERE. */
const BUNDLE_SELECT = `SELECT ${SESSION_SELECT_QUALIFIED}, ${DEPOSIT_JOINED},
    (SELECT json_agg(json_build_array(c.chain_id, c.block_number::text)) FROM chain_cursors c) AS x_cursors,
    (SELECT json_agg(${TRANSFER_JSON} ORDER BY t.block_number, t.log_index)
       FROM transfers t WHERE t.session_id = s.id) AS x_transfers
  FROM sessions s LEFT JOIN deposits d ON d.session_id = s.id`;

type RawDeposit = Raw<DepositRecord, 'derivation_index' | 'amount_due_atomic' | 'amount_min_atomic'>;
const toDeposit = (row: RawDeposit): DepositRecord => ({
  ...row,
  derivation_index: Number(row.derivation_index),
  amount_due_atomic: BigInt(row.amount_due_atomic),
  amount_min_atomic: BigInt(row.amount_min_atomic),
});
const toTransfer = (row: Raw<TransferRecord, 'amount_atomic' | 'block_number'>): TransferRecord => ({
  ...row,
  amount_atomic: BigInt(row.amount_atomic),
  block_number: Number(row.block_number),
});

/** A deposit's values after its session id, in the column order both deposit inserts use. */
function depositParams(d: DepositRecord): unknown[] {
  return [
    d.method,
    d.chain_id,
    d.token_symbol,
    d.token_address,
    d.decimals,
    d.address,
    d.derivation_index,
    d.amount_due_atomic.toString(),
    d.rate,
    d.confirmations_required,
    d.created_at,
    d.watch_until,
    d.amount_min_atomic.toString(),
    JSON.stringify(d.rate_sources),
    d.rate_locked_until,
  ];
}

/**
 * Thrown when a chain's cursor is no longer where a watcher's tick began: another instance leads
 * the chain now and moved it. Nothing of the tick was written; the watcher starts over from the
 * stored cursor (if it still leads).
 */
export class ChainCursorMovedError extends Error {
  override name = 'ChainCursorMovedError';
}

/**
 * Every query the app makes, in one place. Methods that take a `Queryable` run inside the caller's
 * transaction; the others use the database directly.
 */
export class SessionStore extends Store {
  constructor(
    db: Database,
    /** Seals client secrets on write and opens them on read: the table never holds them in clear. */
    private readonly secrets: SecretBox,
  ) {
    super(db);
  }

  /** The session as the app uses it: its client secret opened. */
  private opened<S extends SessionRecord>(session: S): S {
    // A row without the column (a test's EXPLAIN of the query) passes unchanged.
    if (typeof session.client_secret !== 'string') return session;
    const context = secretContext('sessions', 'client_secret', session.id);
    return { ...session, client_secret: this.secrets.open(session.client_secret, context) };
  }

  /** Inserts a new session. */
  async insertSession(tx: Queryable, s: SessionRecord): Promise<void> {
    await tx.query(
      `INSERT INTO sessions (${SESSION_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17)`,
      this.sessionParams(s),
    );
  }

  /** The parameters of a session insert, in {@link SESSION_COLUMNS} order; the client secret sealed. */
  private sessionParams(s: SessionRecord): unknown[] {
    return [
      s.id,
      this.secrets.seal(s.client_secret, secretContext('sessions', 'client_secret', s.id)),
      s.status,
      s.amount,
      s.currency,
      s.order_id,
      JSON.stringify(s.metadata),
      JSON.stringify(s.methods),
      s.success_url,
      s.cancel_url,
      s.created_at,
      s.expires_at,
      s.paid_at,
      s.canceled_at,
      JSON.stringify(s.review_reasons),
      s.livemode,
      s.fingerprint,
    ];
  }

  /**
   * Inserts a new session and its first event (seq 1) in one statement: atomic on its own, so a
   * create without other writes needs no transaction (one round trip instead of four on PostgreSQL).
   */
  async insertSessionWithEvent(
    q: Queryable,
    s: SessionRecord,
    event: { type: SessionEventType; payload: Record<string, unknown>; at: Date },
  ): Promise<void> {
    await q.query(
      `WITH s AS (
         INSERT INTO sessions (${SESSION_COLUMNS})
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17) RETURNING id)
       INSERT INTO session_events (session_id, seq, type, payload, created_at)
       SELECT s.id, 1, $18::text, $19::jsonb, $20::timestamptz FROM s`,
      [...this.sessionParams(s), event.type, JSON.stringify(event.payload), event.at],
    );
  }

  /**
   * Inserts a new session and its first event, grouped with the other creates waiting at the same
   * time into one statement (a group commit): while one group's statement runs, the creates that
   * arrive queue up and go together in the next, up to {@link CREATE_GROUP_MAX}. An idle server
   * sends a lone create at once (at the end of the event loop's I/O phase, no timer), so grouping
   * adds no wait; under load
   * one statement, one commit and one round trip serve many creates. If a group's statement fails,
   * its creates are retried one by one, so that one bad row fails only its own create.
   */
  insertSessionGrouped(
    s: SessionRecord,
    event: { type: SessionEventType; payload: Record<string, unknown>; at: Date },
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      this.createQueue.push({ session: s, event, resolve, reject });
      if (!this.flushingCreates) void this.flushCreates();
    });
  }

  private readonly createQueue: {
    session: SessionRecord;
    event: { type: SessionEventType; payload: Record<string, unknown>; at: Date };
    resolve: () => void;
    reject: (error: unknown) => void;
  }[] = [];
  private flushingCreates = false;

  private async flushCreates(): Promise<void> {
    this.flushingCreates = true;
    // The first group waits for the end of the event loop's I/O phase (setImmediate), not just this
    // microtask: Node drains microtasks after each socket's callback, so a microtask would see only
    // the create that started the flush. On PGlite, whose statements run on this thread, every group
    // was then a single create (measured: 6,000 of 6,000 groups at 16 clients); waiting for the
    // phase's end lets every request read in the same pass join (mean 10 at 16 clients). An idle
    // server still sends a lone create without a timer: the phase ends as soon as its sockets are read.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.createQueue.length) {
      const group = this.createQueue.splice(0, CREATE_GROUP_MAX);
      try {
        await this.insertGroup(group);
        for (const item of group) item.resolve();
      } catch {
        for (const item of group) {
          await this.insertSessionWithEvent(this.db, item.session, item.event).then(
            item.resolve,
            item.reject,
          );
        }
      }
    }
    this.flushingCreates = false;
  }

  /** Inserts sessions and their first events in one statement (rows passed as JSON). */
  private async insertGroup(
    group: {
      session: SessionRecord;
      event: { type: SessionEventType; payload: Record<string, unknown>; at: Date };
    }[],
  ): Promise<void> {
    const sessions = group.map(({ session }) => {
      const values = this.sessionParams(session);
      const row: Record<string, unknown> = {};
      SESSION_COLUMN_NAMES.forEach((column, i) => {
        const value = values[i];
        // jsonb columns arrive as JSON text from sessionParams; inside a JSON document they are values.
        row[column] = JSONB_COLUMNS.has(column) ? JSON.parse(value as string) : value;
      });
      return row;
    });
    const events = group.map(({ session, event }) => ({
      session_id: session.id,
      type: event.type,
      payload: event.payload,
      created_at: event.at,
    }));
    await this.db.query(
      `WITH s AS (
         INSERT INTO sessions (${SESSION_COLUMNS})
         SELECT ${SESSION_COLUMNS} FROM json_populate_recordset(null::sessions, $1::json) RETURNING id),
       e AS (
         SELECT * FROM json_to_recordset($2::json)
           AS e(session_id text, type text, payload jsonb, created_at timestamptz))
       INSERT INTO session_events (session_id, seq, type, payload, created_at)
       SELECT e.session_id, 1, e.type, e.payload, e.created_at FROM e JOIN s ON s.id = e.session_id`,
      [JSON.stringify(sessions), JSON.stringify(events)],
    );
  }

  /** The client secret stored for a session, or `null` when there is no such session (authentication). */
  async clientSecretOf(id: string): Promise<string | null> {
    const { rows } = await this.db.query<{ client_secret: string }>(
      'SELECT client_secret FROM sessions WHERE id = $1',
      [id],
    );
    const stored = rows[0]?.client_secret;
    return stored === undefined
      ? null
      : this.secrets.open(stored, secretContext('sessions', 'client_secret', id));
  }

  /**
   * Loads a session with its deposit, transfers and chain cursors; `forUpdate` locks the session row.
   * One statement: the session joined with its deposit, its transfers and the cursors as JSON.
   */
  async loadBundle(q: Queryable, id: string, forUpdate = false): Promise<SessionBundle | null> {
    const { rows } = await q.query<RawSession & Record<string, unknown>>(
      `${BUNDLE_SELECT} WHERE s.id = $1${forUpdate ? ' FOR UPDATE OF s' : ''}`,
      [id],
    );
    return rows[0] ? this.toBundle(rows[0]) : null;
  }

  /**
   * {@link loadBundle} outside a transaction, read together with the reads that arrive meanwhile on
   * PGlite: while one statement runs, reads queue up and go together in the next, `WHERE id =
   * ANY(…)` (up to {@link READ_GROUP_MAX}). On PGlite every statement costs a fixed round of
   * protocol messages through its WebAssembly on the server's one thread, whatever it reads; a
   * buyer's every request starts with this read (the access check). Each read is answered by a
   * statement that started after it was asked, so it sees everything committed before, as a read of
   * its own would. An idle server sends a lone read at once. On PostgreSQL reads run on the pool's
   * connections side by side, as before.
   */
  loadBundleGrouped(id: string): Promise<SessionBundle | null> {
    if (this.db.kind !== 'pglite') return this.loadBundle(this.db, id);
    return new Promise((resolve, reject) => {
      this.readQueue.push({ id, resolve, reject });
      if (!this.flushingReads) void this.flushReads();
    });
  }

  private readonly readQueue: {
    id: string;
    resolve: (bundle: SessionBundle | null) => void;
    reject: (error: unknown) => void;
  }[] = [];
  private flushingReads = false;

  private async flushReads(): Promise<void> {
    this.flushingReads = true;
    // As for creates (see flushCreates): the end of the I/O phase, so that every request read in
    // the same pass joins the first group.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.readQueue.length) {
      const group = this.readQueue.splice(0, READ_GROUP_MAX);
      try {
        // Prepared: every buyer request reads through here, always with this text.
        const { rows } = await this.db.query<RawSession & Record<string, unknown>>(
          `${BUNDLE_SELECT} WHERE s.id = ANY($1::text[])`,
          [[...new Set(group.map((item) => item.id))]],
          { prepared: true },
        );
        const byId = new Map(rows.map((row) => [row.id, row]));
        for (const item of group) {
          const row = byId.get(item.id);
          item.resolve(row ? this.toBundle(row) : null);
        }
      } catch {
        // One by one, so that whatever failed fails only its own read.
        for (const item of group) await this.loadBundle(this.db, item.id).then(item.resolve, item.reject);
      }
    }
    this.flushingReads = false;
  }

  /** A {@link BUNDLE_SELECT} row as a bundle. */
  private toBundle(row: RawSession & Record<string, unknown>): SessionBundle {
    const deposit = row.d_session_id === null ? null : toDeposit(unprefixed(row, 'd_') as RawDeposit);
    const cursors = (row.x_cursors ?? []) as [number, string][];
    const session = this.opened(toSession(withoutPrefixed(row, ['d_', 'x_']) as RawSession));
    return {
      session,
      deposit,
      transfers: ((row.x_transfers ?? []) as JsonTransfer[]).map(fromJsonTransfer),
      cursors: new Map(cursors.map(([chainId, block]) => [chainId, Number(block)])),
    };
  }

  /**
   * Sessions matching `query`, newest first (by `created_at`, then `id`), at most `limit`, starting
   * after `after`. Keyset pagination: a page never repeats or skips a session because others were
   * created in between. Each session comes with its position, to continue after it.
   */
  async listSessions(
    query: SessionQuery,
    page: { limit: number; after?: SessionPosition | null },
  ): Promise<{ session: SessionRecord; position: SessionPosition }[]> {
    const params: unknown[] = [query.livemode];
    const param = (value: unknown) => `$${params.push(value)}`;
    const where = ['s.livemode = $1'];
    if (query.order_id !== undefined) where.push(`s.order_id = ${param(query.order_id)}`);
    // One status as an equality, so that the (livemode, status, created_at) index gives the order.
    if (query.statuses?.length === 1) where.push(`s.status = ${param(query.statuses[0])}`);
    else if (query.statuses?.length) where.push(`s.status = ANY(${param(query.statuses)}::text[])`);
    if (query.review !== undefined) where.push(`s.review_reasons ${query.review ? '<>' : '='} '[]'::jsonb`);
    if (query.created_gte) where.push(`s.created_at >= ${param(query.created_gte)}`);
    if (query.created_lt) where.push(`s.created_at < ${param(query.created_lt)}`);
    if (query.token !== undefined) {
      where.push(
        `EXISTS (SELECT 1 FROM deposits d WHERE d.session_id = s.id AND lower(d.token_symbol) = lower(${param(query.token)}))`,
      );
    }
    if (query.method !== undefined) {
      where.push(
        `EXISTS (SELECT 1 FROM deposits d WHERE d.session_id = s.id AND d.method = ${param(query.method)})`,
      );
    }
    if (page.after) {
      // Exact to the microsecond: a JavaScript Date (milliseconds) could skip sessions.
      where.push(
        `(s.created_at, s.id) < ('epoch'::timestamptz + ${param(page.after.created_us)}::bigint * interval '1 microsecond', ${param(page.after.id)})`,
      );
    }
    const { rows } = await this.db.query<RawSession & { created_us: string }>(
      `SELECT ${SESSION_SELECT}, (extract(epoch FROM s.created_at) * 1000000)::bigint::text AS created_us
       FROM sessions s WHERE ${where.join(' AND ')}
       ORDER BY s.created_at DESC, s.id DESC LIMIT ${param(page.limit)}`,
      params,
    );
    return rows.map(({ created_us, ...session }) => ({
      session: this.opened(toSession(session)),
      position: { created_us, id: session.id },
    }));
  }

  /**
   * Completes loaded sessions into bundles (deposit, transfers, chain cursors) with three queries
   * for all of them, in the order given.
   */
  async loadBundles(q: Queryable, sessions: SessionRecord[]): Promise<SessionBundle[]> {
    if (!sessions.length) return [];
    const ids = sessions.map((s) => s.id);
    // Sent together: on PostgreSQL's pool they run on three connections at once, one round trip of
    // waiting instead of three (a transaction's one connection, or PGlite, runs them in turn).
    const [deposits, transfers, cursors] = await Promise.all([
      q.query<RawDeposit>(`SELECT ${DEPOSIT_COLUMNS} FROM deposits WHERE session_id = ANY($1::text[])`, [
        ids,
      ]),
      q.query<Raw<TransferRecord, 'amount_atomic' | 'block_number'>>(
        `SELECT ${TRANSFER_COLUMNS} FROM transfers WHERE session_id = ANY($1::text[])
         ORDER BY transfers.block_number, transfers.log_index`,
        [ids],
      ),
      q.query<{ chain_id: number; block_number: string }>(
        'SELECT chain_id::float8 AS chain_id, block_number::text AS block_number FROM chain_cursors',
      ),
    ]);
    const cursorMap = new Map(cursors.rows.map((row) => [row.chain_id, Number(row.block_number)]));
    const depositOf = new Map(deposits.rows.map((row) => [row.session_id, toDeposit(row)]));
    const transfersOf = new Map<string, TransferRecord[]>();
    for (const row of transfers.rows) {
      const list = transfersOf.get(row.session_id) ?? [];
      list.push(toTransfer(row));
      transfersOf.set(row.session_id, list);
    }
    return sessions.map((session) => ({
      session,
      deposit: depositOf.get(session.id) ?? null,
      transfers: transfersOf.get(session.id) ?? [],
      cursors: new Map(cursorMap),
    }));
  }

  /** Allocates the next unused BIP32 child index; never hands out the same index twice. */
  async nextDerivationIndex(tx: Queryable): Promise<number> {
    const { rows } = await tx.query<{ index: string }>(`SELECT nextval('deposit_index_seq')::text AS index`);
    return Number(rows[0]!.index);
  }

  /**
   * Reserves `count` BIP32 child indexes in one statement, ascending, outside any transaction (the
   * derivation pool's refill, `chain/derivation-pool.ts`), so that addresses are derived before a
   * session row is locked. A sequence never hands out a value twice, to this or any instance, even to
   * a transaction that rolls back: an index reserved and then not used stays unused forever (a gap),
   * never reused.
   */
  async reserveDerivationIndexes(count: number): Promise<number[]> {
    const { rows } = await this.db.query<{ index: string }>(
      `SELECT nextval('deposit_index_seq')::text AS index FROM generate_series(1, $1::integer)`,
      [count],
    );
    return rows.map((row) => Number(row.index)).sort((a, b) => a - b);
  }

  /**
   * The highest derivation index the sequence has handed out (reserved, perhaps not yet stored), or
   * -1 before the first: how far a UTXO node's wallet must have imported addresses already.
   */
  async derivationHighWater(): Promise<number> {
    const { rows } = await this.db.query<{ last_value: string; is_called: boolean }>(
      'SELECT last_value::text AS last_value, is_called FROM deposit_index_seq',
    );
    const row = rows[0];
    return row?.is_called ? Number(row.last_value) : -1;
  }

  /**
   * The buyer's choice in one statement, if the session is still as the caller read it: stores the
   * deposit, the new state and its event when the session's fingerprint is still `expected`, it is
   * open, not canceled and not past `expires_at` at `event.at`. Returns the event's seq, or `null`
   * when nothing was written (the session changed meanwhile: the caller retries under the row lock).
   * The UPDATE takes the row lock; a concurrent writer that committed first changed the fingerprint
   * (every state write does), so the condition, re-checked on the latest row, fails.
   */
  async chooseIfUnchanged(
    q: Queryable,
    d: DepositRecord,
    expected: string,
    state: {
      status: SessionStatus;
      paid_at: Date | null;
      review_reasons: ReviewReason[];
      fingerprint: string;
    },
    event: { type: SessionEventType; payload: Record<string, unknown>; at: Date },
  ): Promise<number | null> {
    const { rows } = await q.query<{ seq: number }>(
      `WITH s AS (
         UPDATE sessions SET status = $2::text, paid_at = $3::timestamptz, review_reasons = $4::jsonb,
           fingerprint = $5::text
         WHERE id = $1 AND fingerprint = $6::text AND status = 'open' AND canceled_at IS NULL
           AND expires_at > $23::timestamptz
         RETURNING id),
       d AS (
         INSERT INTO deposits (session_id, method, chain_id, token_symbol, token_address, decimals, address,
           derivation_index, amount_due_atomic, rate, confirmations_required, created_at, watch_until,
           amount_min_atomic, rate_sources, rate_locked_until)
         SELECT s.id, $7::text, $8::bigint, $9::text, $10::text, $11::integer, $12::text, $13::bigint,
           $14::numeric, $15::text, $16::integer, $17::timestamptz, $18::timestamptz, $19::numeric,
           $20::jsonb, $21::timestamptz
         FROM s RETURNING session_id),
       e AS (
         INSERT INTO session_events (session_id, seq, type, payload, created_at)
         SELECT d.session_id, COALESCE((SELECT MAX(seq) FROM session_events WHERE session_id = $1), 0) + 1,
           $22::text, $24::jsonb, $23::timestamptz
         FROM d RETURNING seq)
       SELECT seq, pg_notify('${SESSION_EVENTS_CHANNEL}', $1::text || ':' || seq) FROM e`,
      [
        d.session_id,
        state.status,
        state.paid_at,
        JSON.stringify(state.review_reasons),
        state.fingerprint,
        expected,
        ...depositParams(d),
        event.type,
        event.at,
        JSON.stringify(event.payload),
      ],
      // Prepared: every choice sends this text; parsing and planning it was a large part of its cost.
      { prepared: true },
    );
    return rows[0] ? Number(rows[0].seq) : null;
  }

  /** Stores the buyer's chosen method and its deposit address. */
  async insertDeposit(tx: Queryable, d: DepositRecord): Promise<void> {
    await tx.query(
      `INSERT INTO deposits (session_id, method, chain_id, token_symbol, token_address, decimals, address,
         derivation_index, amount_due_atomic, rate, confirmations_required, created_at, watch_until, amount_min_atomic,
         rate_sources, rate_locked_until)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)`,
      [d.session_id, ...depositParams(d)],
    );
  }

  /**
   * The buyer goes back: moves a session's chosen method to `abandoned_deposits` (stamped `now`) if
   * nothing was ever recorded on its address; returns whether it moved. Its address stays watched
   * until its `watch_until` (see {@link depositsToWatch}), so money sent to it later is still
   * recorded on the session. The caller holds the session's row lock.
   */
  async abandonDepositIfUnpaid(tx: Queryable, sessionId: string, now: Date): Promise<boolean> {
    const { rows } = await tx.query<{ session_id: string }>(
      `WITH moved AS (
         DELETE FROM deposits d WHERE d.session_id = $1
           AND NOT EXISTS (SELECT 1 FROM transfers t WHERE t.session_id = $1 AND t.address = d.address)
         RETURNING d.*
       )
       INSERT INTO abandoned_deposits (session_id, method, chain_id, token_symbol, token_address, decimals,
         address, derivation_index, amount_due_atomic, rate, rate_sources, created_at, watch_until, abandoned_at,
         watch_seq)
       SELECT session_id, method, chain_id, token_symbol, token_address, decimals, address, derivation_index,
         amount_due_atomic, rate, rate_sources, created_at, watch_until, $2, watch_seq FROM moved
       RETURNING session_id`,
      [sessionId, now],
    );
    return rows.length > 0;
  }

  /** The deposits a session's buyer went back from, oldest first. */
  async abandonedDeposits(q: Queryable, sessionId: string): Promise<AbandonedDepositRecord[]> {
    const { rows } = await q.query<Raw<AbandonedDepositRecord, 'derivation_index' | 'amount_due_atomic'>>(
      `SELECT session_id, method, chain_id::float8 AS chain_id, token_symbol, token_address, decimals, address,
         derivation_index::text AS derivation_index, amount_due_atomic::text AS amount_due_atomic, rate,
         rate_sources, created_at, watch_until, abandoned_at
       FROM abandoned_deposits WHERE session_id = $1 ORDER BY abandoned_at, derivation_index`,
      [sessionId],
    );
    return rows.map((row) => ({
      ...row,
      derivation_index: Number(row.derivation_index),
      amount_due_atomic: BigInt(row.amount_due_atomic),
    }));
  }

  /** Replaces a deposit's amount and rate after a requote (nothing received, the lock ran out). */
  async requoteDeposit(tx: Queryable, d: DepositRecord): Promise<void> {
    await tx.query(
      `UPDATE deposits SET amount_due_atomic = $2::numeric, amount_min_atomic = $3::numeric, rate = $4::text,
         rate_sources = $5::jsonb, rate_locked_until = $6::timestamptz
       WHERE session_id = $1`,
      [
        d.session_id,
        d.amount_due_atomic.toString(),
        d.amount_min_atomic.toString(),
        d.rate,
        JSON.stringify(d.rate_sources),
        d.rate_locked_until,
      ],
    );
  }

  /** Writes a session's new status, paid time, review reasons and fingerprint. */
  async updateState(
    tx: Queryable,
    id: string,
    state: {
      status: SessionStatus;
      paid_at: Date | null;
      review_reasons: ReviewReason[];
      fingerprint: string;
    },
  ): Promise<void> {
    await tx.query(
      'UPDATE sessions SET status = $2, paid_at = $3, review_reasons = $4, fingerprint = $5 WHERE id = $1',
      [id, state.status, state.paid_at, JSON.stringify(state.review_reasons), state.fingerprint],
    );
  }

  /**
   * Marks a session canceled at `canceledAt`, when `atBlock` was the highest block of its chain known
   * (or `null` without a chosen method); its status follows on the next state update.
   */
  async setCanceledAt(tx: Queryable, id: string, canceledAt: Date, atBlock: number | null): Promise<void> {
    await tx.query('UPDATE sessions SET canceled_at = $2, canceled_at_block = $3 WHERE id = $1', [
      id,
      canceledAt,
      atBlock,
    ]);
  }

  /**
   * Appends an event with the next `seq` of its session, and notifies {@link SESSION_EVENTS_CHANNEL}
   * with `<session id>:<seq>` in the same transaction: PostgreSQL delivers it to every instance's
   * `LISTEN` (and PGlite to its own) only when the transaction commits, so no stream wakes for an
   * event that rolled back or is not yet visible. Call with the session row locked.
   */
  async appendEvent(
    tx: Queryable,
    sessionId: string,
    type: SessionEventType,
    payload: Record<string, unknown>,
    now: Date,
  ): Promise<StoredEvent> {
    // One round trip: the insert, and the notification of the seq it took.
    const { rows } = await tx.query<{ seq: number }>(
      `WITH inserted AS (
         INSERT INTO session_events (session_id, seq, type, payload, created_at)
         SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4 FROM session_events WHERE session_id = $1
         RETURNING seq
       )
       SELECT seq, pg_notify('${SESSION_EVENTS_CHANNEL}', $1 || ':' || seq) FROM inserted`,
      [sessionId, type, JSON.stringify(payload), now],
    );
    return { session_id: sessionId, seq: rows[0]!.seq, type, payload, created_at: now };
  }

  /** Events of a session with `seq > afterSeq`, oldest first. */
  async eventsAfter(sessionId: string, afterSeq: number, limit = 500): Promise<StoredEvent[]> {
    const { rows } = await this.db.query<StoredEvent>(
      'SELECT * FROM session_events WHERE session_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
      [sessionId, afterSeq, limit],
    );
    return rows;
  }

  /**
   * The newest `seq` of each of `sessionIds` that has events, in one query (the event streams'
   * safety poll asks it for every session it follows at once).
   */
  async latestSeqs(sessionIds: string[]): Promise<Map<string, number>> {
    if (!sessionIds.length) return new Map();
    const { rows } = await this.db.query<{ session_id: string; seq: number }>(
      `SELECT session_id, MAX(seq) AS seq FROM session_events
       WHERE session_id = ANY($1::text[]) GROUP BY session_id`,
      [sessionIds],
    );
    return new Map(rows.map((row) => [row.session_id, Number(row.seq)]));
  }

  /** The newest event of a session. */
  async latestEvent(sessionId: string): Promise<StoredEvent | null> {
    const { rows } = await this.db.query<StoredEvent>(
      'SELECT * FROM session_events WHERE session_id = $1 ORDER BY seq DESC LIMIT 1',
      [sessionId],
    );
    return rows[0] ?? null;
  }

  /**
   * Deposit addresses still watched at `now` (on every chain: a payment on the wrong network is
   * noticed too) stored after `afterSeq` or numbered in `alsoSeqs` (their `watch_seq`, the order
   * they were stored in; not their derivation index, which the derivation pool hands out late and
   * out of order). Numbers are taken at insert, so a deposit may commit after a higher one: callers
   * pass the holes they saw again.
   */
  async depositsToWatch(afterSeq: number, alsoSeqs: number[], now: Date): Promise<WatchedDeposit[]> {
    // Two index lookups rather than one `OR`, which would scan every deposit.
    const columns =
      'session_id, address, derivation_index::text AS derivation_index, watch_seq::text AS watch_seq, watch_until';
    // Abandoned deposits too (the buyer went back): money may still arrive there. They keep the
    // number of the deposit they were, so the address book's incremental reads see them like any.
    const from = (table: string) =>
      `SELECT ${columns} FROM ${table} WHERE watch_seq > $1 AND watch_until > $2
       ${alsoSeqs.length ? `UNION SELECT ${columns} FROM ${table} WHERE watch_seq = ANY($3::bigint[]) AND watch_until > $2` : ''}`;
    const { rows } = await this.db.query<Raw<WatchedDeposit, 'derivation_index' | 'watch_seq'>>(
      `${from('deposits')} UNION ${from('abandoned_deposits')}`,
      alsoSeqs.length ? [afterSeq, now, alsoSeqs] : [afterSeq, now],
    );
    return rows
      .map((row) => ({
        ...row,
        derivation_index: Number(row.derivation_index),
        watch_seq: Number(row.watch_seq),
      }))
      .sort((x, y) => x.watch_seq - y.watch_seq);
  }

  /**
   * The highest deposit number stored and every number stored in the `window` below it (watched or
   * expired, either table), in one statement: what an address book's first read needs to tell the
   * holes of inserts still committing from deposits that simply expired.
   */
  async recentWatchSeqs(window: number): Promise<RecentWatchSeqs> {
    const { rows } = await this.db.query<{ highest: string; stored: string[] | null }>(
      `WITH top AS (
         SELECT GREATEST((SELECT MAX(watch_seq) FROM deposits), (SELECT MAX(watch_seq) FROM abandoned_deposits)) AS m)
       SELECT COALESCE((SELECT m FROM top), -1)::text AS highest,
         (SELECT array_agg(n::text) FROM (
            SELECT watch_seq AS n FROM deposits WHERE watch_seq > (SELECT m FROM top) - $1::bigint
            UNION ALL
            SELECT watch_seq FROM abandoned_deposits WHERE watch_seq > (SELECT m FROM top) - $1::bigint) recent) AS stored`,
      [window],
    );
    const row = rows[0]!;
    return { highest: Number(row.highest), stored: (row.stored ?? []).map(Number) };
  }

  /** Last processed block of a chain, or `null` before the first run. */
  async getCursor(q: Queryable, chainId: number): Promise<number | null> {
    const { rows } = await q.query<{ block_number: string }>(
      'SELECT block_number::text AS block_number FROM chain_cursors WHERE chain_id = $1',
      [chainId],
    );
    return rows[0] ? Number(rows[0].block_number) : null;
  }

  /**
   * Records the transfers found in a block range, the hashes of its recent blocks and moves the
   * chain's cursor to `toBlock`, inside the caller's transaction (with the sessions' new states): after a crash either all is stored or nothing,
   * so nothing is missed or counted twice. Block hashes below `keepFrom` are dropped. Returns the ids
   * of sessions that received a transfer not seen before. The cursor never moves back here (only
   * {@link rewind} moves it back).
   *
   * With `fromCursor` (where the cursor stood when the watcher's tick began; `null`: none stored)
   * the cursor moves by compare-and-set, as the transaction's first statement: if another writer
   * moved it since (a new leader, while this one lost its lock but not yet its tick), it throws
   * {@link ChainCursorMovedError} before writing anything, so the caller's transaction rolls back
   * and the tick's effects are abandoned. On PostgreSQL the statement also locks the cursor's row
   * until the commit: two overlapping ticks are serialised, and the second finds the cursor moved.
   */
  async recordBlocks(
    tx: Queryable,
    chainId: number,
    batch: {
      transfers: TransferRecord[];
      blocks: BlockRecord[];
      toBlock: number;
      keepFrom: number;
      fromCursor?: number | null;
    },
    now: Date,
  ): Promise<string[]> {
    const fenced = batch.fromCursor !== undefined;
    if (fenced) await this.moveCursor(tx, chainId, batch.fromCursor ?? null, batch.toBlock, now);
    const touched = new Set<string>();
    for (const t of batch.transfers) {
      const { rows } = await tx.query<{ session_id: string }>(
        `${INSERT_TRANSFER}
         ON CONFLICT (chain_id, tx_hash, log_index) DO NOTHING
         RETURNING session_id`,
        transferParams(t),
      );
      if (rows[0]) touched.add(rows[0].session_id);
    }
    if (batch.blocks.length) {
      await tx.query(
        `INSERT INTO chain_blocks (chain_id, block_number, block_hash, parent_hash)
         SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[])
         ON CONFLICT (chain_id, block_number) DO UPDATE
         SET block_hash = EXCLUDED.block_hash, parent_hash = EXCLUDED.parent_hash`,
        [
          chainId,
          batch.blocks.map((b) => b.number),
          batch.blocks.map((b) => b.hash),
          batch.blocks.map((b) => b.parent_hash),
        ],
      );
    }
    await tx.query('DELETE FROM chain_blocks WHERE chain_id = $1 AND block_number < $2', [
      chainId,
      batch.keepFrom,
    ]);
    if (!fenced) {
      await tx.query(
        `INSERT INTO chain_cursors (chain_id, block_number, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (chain_id) DO UPDATE
         SET block_number = GREATEST(chain_cursors.block_number, EXCLUDED.block_number), updated_at = EXCLUDED.updated_at`,
        [chainId, batch.toBlock, now],
      );
    }
    return [...touched];
  }

  /**
   * Records transfers that may already be stored with another block (a UTXO payment first seen in
   * the mempool, then mined; or mined again after a reorganisation): inserted, or moved to their new
   * block. Returns the ids of the sessions whose transfers changed.
   */
  async upsertTransfers(tx: Queryable, transfers: TransferRecord[]): Promise<string[]> {
    const touched = new Set<string>();
    for (const t of transfers) {
      const { rows } = await tx.query<{ session_id: string }>(
        `${INSERT_TRANSFER}
         ON CONFLICT (chain_id, tx_hash, log_index) DO UPDATE
         SET block_number = EXCLUDED.block_number, block_hash = EXCLUDED.block_hash, block_time = EXCLUDED.block_time
         WHERE transfers.block_hash IS DISTINCT FROM EXCLUDED.block_hash
         RETURNING session_id`,
        transferParams(t),
      );
      if (rows[0]) touched.add(rows[0].session_id);
    }
    return [...touched];
  }

  /**
   * Removes transfers that no longer stand (a mempool payment replaced or dropped, a conflicted
   * one). Returns the ids of the sessions that lost one.
   */
  async removeTransfers(
    tx: Queryable,
    chainId: number,
    keys: { tx_hash: string; log_index: number }[],
  ): Promise<string[]> {
    if (!keys.length) return [];
    const { rows } = await tx.query<{ session_id: string }>(
      `DELETE FROM transfers WHERE chain_id = $1
         AND (tx_hash, log_index) IN (SELECT * FROM unnest($2::text[], $3::int[]))
       RETURNING session_id`,
      [chainId, keys.map((k) => k.tx_hash), keys.map((k) => k.log_index)],
    );
    return [...new Set(rows.map((row) => row.session_id))];
  }

  /** The transfers of a chain still waiting in the mempool ({@link UNCONFIRMED_BLOCK}). */
  async unconfirmedTransfers(
    q: Queryable,
    chainId: number,
  ): Promise<{ tx_hash: string; log_index: number }[]> {
    const { rows } = await q.query<{ tx_hash: string; log_index: number }>(
      'SELECT tx_hash, log_index FROM transfers WHERE chain_id = $1 AND block_number = $2',
      [chainId, UNCONFIRMED_BLOCK],
    );
    return rows;
  }

  /**
   * Moves a chain's cursor from `from` (`null`: no cursor stored yet) to `to`, only if it is still at
   * `from`; throws {@link ChainCursorMovedError} otherwise. Inside the caller's transaction, whose
   * other writes must follow it (see {@link recordBlocks}).
   */
  async moveCursor(
    tx: Queryable,
    chainId: number,
    from: number | null,
    to: number,
    now: Date,
  ): Promise<void> {
    const { rows } =
      from === null
        ? await tx.query(
            `INSERT INTO chain_cursors (chain_id, block_number, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (chain_id) DO NOTHING RETURNING chain_id`,
            [chainId, to, now],
          )
        : await tx.query(
            `UPDATE chain_cursors SET block_number = $2, updated_at = $3
             WHERE chain_id = $1 AND block_number = $4 RETURNING chain_id`,
            [chainId, to, now, from],
          );
    if (!rows.length) {
      throw new ChainCursorMovedError(
        `the cursor of chain ${chainId} is no longer at ${from ?? 'its start'}: another watcher moved it; this tick is abandoned`,
      );
    }
  }

  /** The stored hash of a processed block, or `null` when it is not (or no longer) kept. */
  async blockHash(chainId: number, blockNumber: number): Promise<string | null> {
    const { rows } = await this.db.query<{ block_hash: string }>(
      'SELECT block_hash FROM chain_blocks WHERE chain_id = $1 AND block_number = $2',
      [chainId, blockNumber],
    );
    return rows[0]?.block_hash ?? null;
  }

  /**
   * Undoes everything recorded above `ancestor` after a reorganisation, inside the caller's
   * transaction: removes
   * the transfers of the dropped blocks and their hashes and moves the cursor back. Returns the ids
   * of the sessions that lost transfers.
   */
  async rewind(
    tx: Queryable,
    chainId: number,
    ancestor: number,
    now: Date,
    fromCursor?: number,
  ): Promise<{ sessions: string[]; transfers: number }> {
    // Fenced like recordBlocks: a watcher whose tick began at another cursor changes nothing.
    if (fromCursor !== undefined) await this.moveCursor(tx, chainId, fromCursor, ancestor, now);
    const { rows } = await tx.query<{ session_id: string }>(
      'DELETE FROM transfers WHERE chain_id = $1 AND block_number > $2 RETURNING session_id',
      [chainId, ancestor],
    );
    await tx.query('DELETE FROM chain_blocks WHERE chain_id = $1 AND block_number > $2', [chainId, ancestor]);
    if (fromCursor === undefined) {
      await tx.query('UPDATE chain_cursors SET block_number = $2, updated_at = $3 WHERE chain_id = $1', [
        chainId,
        ancestor,
        now,
      ]);
    }
    return { sessions: [...new Set(rows.map((row) => row.session_id))], transfers: rows.length };
  }

  /**
   * Sessions with a transfer on a chain that was still below its required confirmations at block
   * `cursor`: their state may change as the chain grows. `chainConfirmations` applies to transfers
   * that are not the session's chosen token there; `maxDepth` bounds the index scan.
   */
  async sessionsConfirmingAt(
    q: Queryable,
    chainId: number,
    cursor: number,
    chainConfirmations: number,
    maxDepth: number,
  ): Promise<string[]> {
    const { rows } = await q.query<{ session_id: string }>(
      `SELECT DISTINCT t.session_id FROM transfers t LEFT JOIN deposits d ON d.session_id = t.session_id
       WHERE t.chain_id = $1 AND t.block_number > $2::bigint - $4::int
         AND t.block_number > $2::bigint + 1 - CASE WHEN d.chain_id = t.chain_id THEN d.confirmations_required ELSE $3::int END`,
      [chainId, cursor, chainConfirmations, maxDepth],
    );
    return rows.map((row) => row.session_id);
  }

  /**
   * Sessions waiting for the buyer whose expiry time has passed. (`processing` ones wait for their
   * transfer's confirmations; the watcher refreshes them.)
   */
  async sessionsPastExpiry(now: Date, limit = 500): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT id FROM sessions WHERE status IN ('open', 'underpaid') AND expires_at <= $1
       ORDER BY expires_at LIMIT $2`,
      [now, limit],
    );
    return rows.map((row) => row.id);
  }

  /** Moves a session's expiry time (used by tests and the demo to expire a session now). */
  async setExpiresAt(id: string, expiresAt: Date): Promise<void> {
    await this.db.query('UPDATE sessions SET expires_at = $2 WHERE id = $1', [id, expiresAt]);
  }
}
