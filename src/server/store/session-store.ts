import type { SessionEventType, SessionStatus } from '../../protocol/index.js';
import type { Database, Queryable } from './database.js';

/** A session as stored. */
export interface SessionRecord {
  id: string;
  client_secret: string;
  status: SessionStatus;
  amount: string;
  currency: 'USD';
  order_id: string | null;
  metadata: Record<string, unknown>;
  methods: string[];
  success_url: string | null;
  cancel_url: string | null;
  created_at: Date;
  expires_at: Date;
  paid_at: Date | null;
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
  rate: string;
  confirmations_required: number;
  created_at: Date;
  watch_until: Date;
}

/** One transfer seen on chain to a deposit address. `log_index` is -1 for native transfers. */
export interface TransferRecord {
  chain_id: number;
  tx_hash: string;
  log_index: number;
  session_id: string;
  address: string;
  token_address: string | null;
  from_address: string;
  amount_atomic: bigint;
  block_number: number;
  block_hash: string;
  seen_at: Date;
}

/** A session with everything needed to compute its state and views. */
export interface SessionBundle {
  session: SessionRecord;
  deposit: DepositRecord | null;
  transfers: TransferRecord[];
  /** Last block the watcher processed on the deposit's chain, or `null`. */
  cursor: number | null;
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
  token_address: string | null;
}

const SESSION_COLUMNS = `id, client_secret, status, amount, currency, order_id, metadata, methods, success_url,
  cancel_url, created_at, expires_at, paid_at, fingerprint`;
const DEPOSIT_COLUMNS = `session_id, method, chain_id, token_symbol, token_address, decimals, address,
  derivation_index::text AS derivation_index, amount_due_atomic::text AS amount_due_atomic, rate,
  confirmations_required, created_at, watch_until`;
const TRANSFER_COLUMNS = `chain_id, tx_hash, log_index, session_id, address, token_address, from_address,
  amount_atomic::text AS amount_atomic, block_number::text AS block_number, block_hash, seen_at`;

type Raw<T, K extends keyof T> = Omit<T, K> & { [P in K]: string };

const toDeposit = (row: Raw<DepositRecord, 'derivation_index' | 'amount_due_atomic'>): DepositRecord => ({
  ...row,
  derivation_index: Number(row.derivation_index),
  amount_due_atomic: BigInt(row.amount_due_atomic),
});
const toTransfer = (row: Raw<TransferRecord, 'amount_atomic' | 'block_number'>): TransferRecord => ({
  ...row,
  amount_atomic: BigInt(row.amount_atomic),
  block_number: Number(row.block_number),
});

/**
 * Every query the app makes, in one place. Methods that take a `Queryable` run inside the caller's
 * transaction; the others use the database directly.
 */
export class SessionStore {
  constructor(readonly db: Database) {}

  /** Inserts a new session. */
  async insertSession(tx: Queryable, s: SessionRecord): Promise<void> {
    await tx.query(
      `INSERT INTO sessions (${SESSION_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)`,
      [
        s.id,
        s.client_secret,
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
        s.fingerprint,
      ],
    );
  }

  /** Loads a session with its deposit, transfers and chain cursor; `forUpdate` locks the session row. */
  async loadBundle(q: Queryable, id: string, forUpdate = false): Promise<SessionBundle | null> {
    const { rows } = await q.query<SessionRecord>(
      `SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
      [id],
    );
    const session = rows[0];
    if (!session) return null;
    const deposits = await q.query<Raw<DepositRecord, 'derivation_index' | 'amount_due_atomic'>>(
      `SELECT ${DEPOSIT_COLUMNS} FROM deposits WHERE session_id = $1`,
      [id],
    );
    const deposit = deposits.rows[0] ? toDeposit(deposits.rows[0]) : null;
    // Qualified: a bare `block_number` would sort by the `::text` output column ('100' < '99').
    const transfers = await q.query<Raw<TransferRecord, 'amount_atomic' | 'block_number'>>(
      `SELECT ${TRANSFER_COLUMNS} FROM transfers WHERE session_id = $1
       ORDER BY transfers.block_number, transfers.log_index`,
      [id],
    );
    const cursor = deposit ? await this.getCursor(q, deposit.chain_id) : null;
    return { session, deposit, transfers: transfers.rows.map(toTransfer), cursor };
  }

  /** Allocates the next unused BIP32 child index; never hands out the same index twice. */
  async nextDerivationIndex(tx: Queryable): Promise<number> {
    const { rows } = await tx.query<{ index: string }>(`SELECT nextval('deposit_index_seq')::text AS index`);
    return Number(rows[0]!.index);
  }

  /** Stores the buyer's chosen method and its deposit address. */
  async insertDeposit(tx: Queryable, d: DepositRecord): Promise<void> {
    await tx.query(
      `INSERT INTO deposits (session_id, method, chain_id, token_symbol, token_address, decimals, address,
         derivation_index, amount_due_atomic, rate, confirmations_required, created_at, watch_until)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)`,
      [
        d.session_id,
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
      ],
    );
  }

  /** Writes a session's new status, paid time and fingerprint. */
  async updateState(
    tx: Queryable,
    id: string,
    state: { status: SessionStatus; paid_at: Date | null; fingerprint: string },
  ): Promise<void> {
    await tx.query('UPDATE sessions SET status = $2, paid_at = $3, fingerprint = $4 WHERE id = $1', [
      id,
      state.status,
      state.paid_at,
      state.fingerprint,
    ]);
  }

  /** Appends an event with the next `seq` of its session. Call with the session row locked. */
  async appendEvent(
    tx: Queryable,
    sessionId: string,
    type: SessionEventType,
    payload: Record<string, unknown>,
    now: Date,
  ): Promise<StoredEvent> {
    const { rows } = await tx.query<{ seq: number }>(
      `INSERT INTO session_events (session_id, seq, type, payload, created_at)
       SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4 FROM session_events WHERE session_id = $1
       RETURNING seq`,
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

  /** The newest event of a session. */
  async latestEvent(sessionId: string): Promise<StoredEvent | null> {
    const { rows } = await this.db.query<StoredEvent>(
      'SELECT * FROM session_events WHERE session_id = $1 ORDER BY seq DESC LIMIT 1',
      [sessionId],
    );
    return rows[0] ?? null;
  }

  /** Deposit addresses on a chain that are still watched at `now`. */
  async watchedDeposits(chainId: number, now: Date): Promise<WatchedDeposit[]> {
    const { rows } = await this.db.query<WatchedDeposit>(
      'SELECT session_id, address, token_address FROM deposits WHERE chain_id = $1 AND watch_until > $2',
      [chainId, now],
    );
    return rows;
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
   * Records the transfers found in a block range and moves the chain's cursor to `toBlock`, in one
   * transaction: after a crash either both are stored or neither, so nothing is missed or counted
   * twice. Returns the ids of sessions that received a transfer not seen before.
   */
  async recordBlocks(
    chainId: number,
    transfers: TransferRecord[],
    toBlock: number,
    now: Date,
  ): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      const touched = new Set<string>();
      for (const t of transfers) {
        const { rows } = await tx.query<{ session_id: string }>(
          `INSERT INTO transfers (chain_id, tx_hash, log_index, session_id, address, token_address, from_address,
             amount_atomic, block_number, block_hash, seen_at)
           VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)
           ON CONFLICT (chain_id, tx_hash, log_index) DO NOTHING
           RETURNING session_id`,
          [
            t.chain_id,
            t.tx_hash,
            t.log_index,
            t.session_id,
            t.address,
            t.token_address,
            t.from_address,
            t.amount_atomic.toString(),
            t.block_number,
            t.block_hash,
            t.seen_at,
          ],
        );
        if (rows[0]) touched.add(rows[0].session_id);
      }
      await tx.query(
        `INSERT INTO chain_cursors (chain_id, block_number, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (chain_id) DO UPDATE
         SET block_number = GREATEST(chain_cursors.block_number, EXCLUDED.block_number), updated_at = EXCLUDED.updated_at`,
        [chainId, toBlock, now],
      );
      return [...touched];
    });
  }

  /** Sessions on a chain whose state may still change as blocks arrive (they have transfers). */
  async activeSessionsOnChain(chainId: number): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT s.id FROM sessions s JOIN deposits d ON d.session_id = s.id
       WHERE d.chain_id = $1 AND s.status IN ('processing', 'underpaid')`,
      [chainId],
    );
    return rows.map((row) => row.id);
  }

  /** Open sessions whose expiry time has passed. */
  async sessionsPastExpiry(now: Date, limit = 500): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT id FROM sessions WHERE status IN ('open', 'processing', 'underpaid') AND expires_at <= $1
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
