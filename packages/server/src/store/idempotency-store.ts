import type { KeyMode } from '../keys/secret-key.js';
import { Store, type Database, type Queryable } from './database.js';
import type { SecretBox } from './secret-box.js';
import { secretContext } from './secrets-at-rest.js';

/** One `Idempotency-Key` of one mode, as stored. */
export interface IdempotencyRecord {
  request_hash: string;
  /** Set while a request is executing the key; `null` once it finished. */
  lock_id: string | null;
  /** The answer to replay, once finished. */
  response_status: number | null;
  /** The body exactly as it was sent (text, not jsonb, which would reorder the keys). */
  response_body: string | null;
  created_at: Date;
}

/** Identifies one key: keys are per mode, so test and live never collide. */
export interface IdempotencyScope {
  mode: KeyMode;
  key: string;
}

/** What a stored answer is sealed for: its row (mode and key). */
const bodyContext = (scope: IdempotencyScope) =>
  secretContext('idempotency_keys', 'response_body', `${scope.mode}:${scope.key}`);

/** The queries on `idempotency_keys`. */
export class IdempotencyStore extends Store {
  constructor(
    db: Database,
    /**
     * Seals the stored answers: they are the answers of `POST`s that hand out secrets (a session's
     * client secret, an endpoint's signing secret), so the table must not hold them in clear.
     */
    private readonly secrets: SecretBox,
  ) {
    super(db);
  }

  /**
   * Takes the key for the request `lockId`: inserts it, or takes over a row that is expired (older
   * than `expiredBefore`: a new use of the key) or abandoned (still in flight since before
   * `abandonedBefore`, for the same request: its request died). One statement, so of concurrent
   * claims exactly one wins. Returns whether this one did.
   */
  async claim(
    scope: IdempotencyScope,
    claim: {
      requestHash: string;
      apiKeyId: string;
      lockId: string;
      now: Date;
      expiredBefore: Date;
      abandonedBefore: Date;
    },
  ): Promise<boolean> {
    const { rows } = await this.db.query<{ lock_id: string }>(
      `INSERT INTO idempotency_keys (mode, key, request_hash, api_key_id, lock_id, locked_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $6)
       ON CONFLICT (mode, key) DO UPDATE SET
         request_hash = EXCLUDED.request_hash, api_key_id = EXCLUDED.api_key_id,
         lock_id = EXCLUDED.lock_id, locked_at = EXCLUDED.locked_at, created_at = EXCLUDED.created_at,
         response_status = NULL, response_body = NULL
       WHERE idempotency_keys.created_at < $7
          OR (idempotency_keys.response_status IS NULL AND idempotency_keys.locked_at < $8
              AND idempotency_keys.request_hash = EXCLUDED.request_hash)
       RETURNING lock_id`,
      [
        scope.mode,
        scope.key,
        claim.requestHash,
        claim.apiKeyId,
        claim.lockId,
        claim.now,
        claim.expiredBefore,
        claim.abandonedBefore,
      ],
    );
    return rows[0]?.lock_id === claim.lockId;
  }

  async get(scope: IdempotencyScope): Promise<IdempotencyRecord | null> {
    const { rows } = await this.db.query<IdempotencyRecord>(
      `SELECT request_hash, lock_id, response_status, response_body, created_at
       FROM idempotency_keys WHERE mode = $1 AND key = $2`,
      [scope.mode, scope.key],
    );
    const row = rows[0];
    if (!row?.response_body) return row ?? null;
    return { ...row, response_body: this.secrets.open(row.response_body, bodyContext(scope)) };
  }

  /**
   * Stores the answer of the request `lockId`, in `q`'s transaction when given one (so the answer
   * commits together with what the request did). `false` when the key is no longer this request's.
   */
  async finish(
    q: Queryable,
    scope: IdempotencyScope,
    lockId: string,
    response: { status: number; body: string },
  ): Promise<boolean> {
    const { rows } = await q.query(
      `UPDATE idempotency_keys SET response_status = $4, response_body = $5, lock_id = NULL, locked_at = NULL
       WHERE mode = $1 AND key = $2 AND lock_id = $3 RETURNING 1`,
      [scope.mode, scope.key, lockId, response.status, this.secrets.seal(response.body, bodyContext(scope))],
    );
    return rows.length === 1;
  }

  /** Gives the key up (the request failed and changed nothing): a retry runs afresh. */
  async release(scope: IdempotencyScope, lockId: string): Promise<void> {
    await this.db.query('DELETE FROM idempotency_keys WHERE mode = $1 AND key = $2 AND lock_id = $3', [
      scope.mode,
      scope.key,
      lockId,
    ]);
  }

  /** Deletes the keys created before `cutoff`; returns how many. */
  async purgeBefore(cutoff: Date): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(
      `WITH gone AS (DELETE FROM idempotency_keys WHERE created_at < $1 RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [cutoff],
    );
    return rows[0]!.n;
  }
}
