import type { KeyScope } from '../keys/key-scopes.js';
import type { KeyMode } from '../keys/secret-key.js';
import { Store } from './database.js';

/** A secret API key as stored: its hash and what listings show, never the key. */
export interface ApiKeyRecord {
  /** `key_…`, safe to show and log. */
  id: string;
  mode: KeyMode;
  /** SHA-256 of the key, hex. */
  secret_hash: string;
  /** The key's first characters, for people: `sk_live_3f9a…`. */
  prefix: string;
  description: string;
  created_at: Date;
  /** Updated at most once a minute per key. */
  last_used_at: Date | null;
  revoked_at: Date | null;
  /** What the key may do, or `null` for every right (see `keys/key-scopes.ts`). */
  scopes: KeyScope[] | null;
}

const COLUMNS = 'id, mode, secret_hash, prefix, description, created_at, last_used_at, revoked_at, scopes';

/** The queries on `api_keys`. */
export class ApiKeyStore extends Store {
  async insert(record: ApiKeyRecord): Promise<void> {
    await this.db.query(`INSERT INTO api_keys (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
      record.id,
      record.mode,
      record.secret_hash,
      record.prefix,
      record.description,
      record.created_at,
      record.last_used_at,
      record.revoked_at,
      record.scopes === null ? null : JSON.stringify(record.scopes),
    ]);
  }

  /** The key with this hash (revoked or not), or `null`. */
  async findByHash(secretHash: string): Promise<ApiKeyRecord | null> {
    const { rows } = await this.db.query<ApiKeyRecord>(
      `SELECT ${COLUMNS} FROM api_keys WHERE secret_hash = $1`,
      [secretHash],
    );
    return rows[0] ?? null;
  }

  /** Every key, oldest first. */
  async list(): Promise<ApiKeyRecord[]> {
    const { rows } = await this.db.query<ApiKeyRecord>(
      `SELECT ${COLUMNS} FROM api_keys ORDER BY created_at, id`,
    );
    return rows;
  }

  /** How many keys are not revoked. */
  async countActive(): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM api_keys WHERE revoked_at IS NULL',
    );
    return rows[0]!.n;
  }

  /** Revokes a key (a revoked key keeps its first revocation time); `null` when there is no such key. */
  async revoke(id: string, at: Date): Promise<ApiKeyRecord | null> {
    const { rows } = await this.db.query<ApiKeyRecord>(
      `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, at],
    );
    return rows[0] ?? null;
  }

  /** Records that a key was used at `at`. */
  async touch(id: string, at: Date): Promise<void> {
    await this.db.query(
      'UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)',
      [id, at],
    );
  }
}
