/**
 * {@link ConnectionLock}: a PostgreSQL advisory lock held for as long as a dedicated connection
 * lives, not for one transaction — leadership (the instance that watches a chain holds its lock).
 * Kept in `store/` with the lock numbers, the only folder ESLint lets take advisory locks.
 * @module
 */
import { ADVISORY_LOCKS } from './advisory-locks.js';
import type { Database, DedicatedConnection } from './database.js';

/** The advisory locks taken per subject (a chain id) and held by a connection: {@link ConnectionLock}. */
export type ConnectionLockName = 'chain_watcher';

/**
 * A session-level advisory lock on PostgreSQL, `(ADVISORY_LOCKS[name], subject)` in the two-key
 * form, held on a connection of its own (outside the pool) for as long as this instance keeps it.
 * It is released by {@link ConnectionLock.release} or when the connection drops: a process killed with
 * SIGKILL loses its socket, PostgreSQL ends its session and the lock is free for the next
 * {@link ConnectionLock.tryTake} of another instance. Followers keep their connection open between tries.
 * @example const lock = new ConnectionLock(db, 'chain_watcher', 1, 'crypto-checkout host:123'); if (await lock.tryTake()) …
 */
export class ConnectionLock {
  private connection: DedicatedConnection | null = null;
  private held = false;
  private readonly key2: number;

  constructor(
    private readonly db: Database & Required<Pick<Database, 'connect'>>,
    private readonly name: ConnectionLockName,
    /** What the lock is for, e.g. a chain id (wrapped to 32 bits, the second key's width). */
    subject: number,
    /** Names the connection in `pg_stat_activity`: who holds the lock, for {@link ConnectionLock.holder}. */
    private readonly label: string,
  ) {
    this.key2 = subject | 0;
  }

  /** Takes the lock if it is free; `true` when this instance holds it (now or already). */
  async tryTake(): Promise<boolean> {
    if (this.held) return this.stillHeld();
    try {
      if (!this.connection) {
        const connection = await this.db.connect(this.label);
        this.connection = connection;
        void connection.lost.then(() => {
          if (this.connection !== connection) return;
          this.connection = null;
          this.held = false;
        });
      }
      const { rows } = await this.connection.query<{ held: boolean }>(
        'SELECT pg_try_advisory_lock($1::int, $2::int) AS held',
        [ADVISORY_LOCKS[this.name], this.key2],
      );
      this.held = rows[0]?.held === true;
    } catch {
      await this.drop();
    }
    return this.held;
  }

  /**
   * Whether the lock is still this instance's: its connection still answers. A lost connection
   * (the database restarted, the network broke) means the lock may be someone else's now.
   */
  async stillHeld(): Promise<boolean> {
    if (!this.held || !this.connection) return false;
    try {
      await this.connection.query('SELECT 1');
      return this.held;
    } catch {
      await this.drop();
      return false;
    }
  }

  /** Resolves when the held lock's connection is lost (immediately when none is held). */
  lost(): Promise<void> {
    return this.held && this.connection ? this.connection.lost : Promise.resolve();
  }

  /** The label of the connection holding the lock (see the constructor), or `null` when nobody does. */
  async holder(): Promise<string | null> {
    const { rows } = await this.db.query<{ label: string }>(
      `SELECT a.application_name AS label
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid`,
      [ADVISORY_LOCKS[this.name], this.key2 >>> 0],
    );
    return rows[0]?.label ?? null;
  }

  /** Releases the lock (if held) by closing the connection. */
  release(): Promise<void> {
    return this.drop();
  }

  private async drop(): Promise<void> {
    const connection = this.connection;
    this.connection = null;
    this.held = false;
    await connection?.close();
  }
}
