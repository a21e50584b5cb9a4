import type { Database } from './database.js';

/**
 * The one migration set, in order. Append only: never edit a migration that has shipped.
 * Plain PostgreSQL that PGlite and PostgreSQL both run.
 */
export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'sessions, deposits, transfers, events, cursors',
    sql: `
      CREATE TABLE sessions (
        id                text PRIMARY KEY,
        client_secret     text NOT NULL UNIQUE,
        status            text NOT NULL,
        amount            text NOT NULL,
        currency          text NOT NULL,
        order_id          text,
        metadata          jsonb NOT NULL DEFAULT '{}'::jsonb,
        methods           jsonb NOT NULL,
        success_url       text,
        cancel_url        text,
        created_at        timestamptz NOT NULL,
        expires_at        timestamptz NOT NULL,
        paid_at           timestamptz,
        fingerprint       text NOT NULL DEFAULT ''
      );
      CREATE INDEX sessions_status_expires ON sessions (status, expires_at);
      CREATE INDEX sessions_order_id ON sessions (order_id);

      CREATE SEQUENCE deposit_index_seq MINVALUE 0 START 0 MAXVALUE 2147483647 NO CYCLE;

      CREATE TABLE deposits (
        session_id        text PRIMARY KEY REFERENCES sessions (id),
        method            text NOT NULL,
        chain_id          integer NOT NULL,
        token_symbol      text NOT NULL,
        token_address     text,
        decimals          integer NOT NULL,
        address           text NOT NULL,
        derivation_index  bigint NOT NULL UNIQUE,
        amount_due_atomic numeric(78, 0) NOT NULL,
        rate              text NOT NULL,
        confirmations_required integer NOT NULL,
        created_at        timestamptz NOT NULL,
        watch_until       timestamptz NOT NULL
      );
      CREATE UNIQUE INDEX deposits_chain_address ON deposits (chain_id, address);
      CREATE INDEX deposits_watch ON deposits (chain_id, watch_until);

      CREATE TABLE transfers (
        chain_id          integer NOT NULL,
        tx_hash           text NOT NULL,
        log_index         integer NOT NULL,
        session_id        text NOT NULL REFERENCES sessions (id),
        address           text NOT NULL,
        token_address     text,
        from_address      text NOT NULL,
        amount_atomic     numeric(78, 0) NOT NULL,
        block_number      bigint NOT NULL,
        block_hash        text NOT NULL,
        seen_at           timestamptz NOT NULL,
        PRIMARY KEY (chain_id, tx_hash, log_index)
      );
      CREATE INDEX transfers_session ON transfers (session_id);

      CREATE TABLE chain_cursors (
        chain_id          integer PRIMARY KEY,
        block_number      bigint NOT NULL,
        updated_at        timestamptz NOT NULL
      );

      CREATE TABLE session_events (
        session_id        text NOT NULL REFERENCES sessions (id),
        seq               integer NOT NULL,
        type              text NOT NULL,
        payload           jsonb NOT NULL,
        created_at        timestamptz NOT NULL,
        PRIMARY KEY (session_id, seq)
      );
    `,
  },
  {
    version: 2,
    name: 'lifecycle: cancel, tolerance, review, transfer details, block hashes for reorgs',
    sql: `
      ALTER TABLE sessions ADD COLUMN canceled_at timestamptz;
      ALTER TABLE sessions ADD COLUMN livemode boolean NOT NULL DEFAULT false;
      ALTER TABLE sessions ADD COLUMN review_reasons jsonb NOT NULL DEFAULT '[]'::jsonb;

      ALTER TABLE deposits ADD COLUMN amount_min_atomic numeric(78, 0);
      UPDATE deposits SET amount_min_atomic = amount_due_atomic;
      ALTER TABLE deposits ALTER COLUMN amount_min_atomic SET NOT NULL;
      DROP INDEX deposits_watch;
      CREATE INDEX deposits_watch ON deposits (watch_until);

      ALTER TABLE transfers ADD COLUMN token_symbol text;
      ALTER TABLE transfers ADD COLUMN decimals integer;
      ALTER TABLE transfers ADD COLUMN block_time timestamptz;
      UPDATE transfers t SET token_symbol = d.token_symbol, decimals = d.decimals, block_time = t.seen_at
        FROM deposits d WHERE d.session_id = t.session_id;
      ALTER TABLE transfers ALTER COLUMN token_symbol SET NOT NULL;
      ALTER TABLE transfers ALTER COLUMN decimals SET NOT NULL;
      ALTER TABLE transfers ALTER COLUMN block_time SET NOT NULL;
      CREATE INDEX transfers_chain_block ON transfers (chain_id, block_number);

      -- Hashes of the most recent blocks each watcher processed, to notice reorganisations.
      CREATE TABLE chain_blocks (
        chain_id          integer NOT NULL,
        block_number      bigint NOT NULL,
        block_hash        text NOT NULL,
        parent_hash       text NOT NULL,
        PRIMARY KEY (chain_id, block_number)
      );
    `,
  },
];

/**
 * Brings the schema up to date. Safe to run from several instances at once: an advisory lock makes
 * them take turns, and each migration commits together with its version row.
 */
export async function migrate(db: Database): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(727274)');
    await tx.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)',
    );
    const { rows } = await tx.query<{ version: number }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((row) => row.version));
    const applied: number[] = [];
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, now())', [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    }
    return applied;
  });
}
