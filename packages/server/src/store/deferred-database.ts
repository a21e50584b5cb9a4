/**
 * A {@link Database} that is not ready yet: its calls wait until `ready` resolves, then go to the
 * database it resolved to. `server.ts` builds the app and its services on one while PGlite is still
 * opening (its WebAssembly compiling on V8's threads, its folder unpacking in a child process) and
 * the migrations and the secrets' key are being checked, instead of after: building the app is the
 * largest part of the start after opening the database, and it queries nothing. No query can reach
 * the database before the checks are done, since nothing reaches it except through `ready`.
 * @module
 */
import type { Database, Queryable, QueryResult } from './database.js';

/**
 * `ready`'s database, reachable at once. `kind` is known before it opens (the configuration says
 * which); `connect` exists for PostgreSQL only, as on the database itself.
 * @example const db = deferredDatabase(config.database_url ? 'postgres' : 'pglite', opening.then(migrated));
 */
export function deferredDatabase(kind: Database['kind'], ready: Promise<Database>): Database {
  let db: Database | undefined;
  void ready.then(
    (opened) => (db = opened),
    () => undefined, // the caller awaits `ready` itself and handles its failure
  );
  /** Runs `call` on the database, at once once it is ready. */
  const on = <T>(call: (database: Database) => Promise<T>): Promise<T> => (db ? call(db) : ready.then(call));
  const deferred: Database = {
    kind,
    query: <Row>(sql: string, params?: unknown[]): Promise<QueryResult<Row>> =>
      on((database) => database.query<Row>(sql, params)),
    exec: (sql: string) => on((database) => database.exec(sql)),
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) => on((database) => database.transaction(fn)),
    listen: (channel, onNotification, onReconnect) =>
      on((database) => database.listen(channel, onNotification, onReconnect)),
    close: () => on((database) => database.close()),
    poolStats: () => db?.poolStats?.() ?? { total: 0, idle: 0, waiting: 0 },
  };
  if (kind === 'postgres') deferred.connect = (label) => on((database) => database.connect!(label));
  return deferred;
}
