import { chmod, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite, parse, protocol, type PGliteInterface } from '@electric-sql/pglite';
import type PgDefault from 'pg';
import { NodeFS } from '@electric-sql/pglite/nodefs';
import { markStartup } from '../startup-marks.js';
import { templateArchive, unpackTemplate } from './pglite-template.js';
import { compilePgliteWasm } from './pglite-wasm.js';

/** The rows of a query. */
export interface QueryResult<Row> {
  rows: Row[];
}

/** How one query runs (see {@link Queryable.query}). */
export interface QueryOptions {
  /**
   * Keep the statement prepared and reuse it: on PGlite, outside a transaction, the first run parses
   * and describes it once as a named statement and every run sends bind, describe, execute and sync
   * in one call, so it is parsed once (and planned once, when PostgreSQL settles on a generic plan
   * after five runs) and crosses into PGlite's WebAssembly once instead of six times. For the hot statements
   * whose text never changes (a choice's write, the grouped session read): one prepared statement is
   * kept per distinct text for as long as the database is open. Elsewhere it changes nothing.
   */
  prepared?: boolean;
}

/** A connection that can run parameterised SQL (`$1`, `$2`, …). */
export interface Queryable {
  query<Row = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
    options?: QueryOptions,
  ): Promise<QueryResult<Row>>;
  /** Runs several `;`-separated statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/**
 * The database the app uses: PGlite or PostgreSQL behind one interface, so both run the same SQL.
 * `transaction` runs `fn` in one transaction and rolls back if it throws.
 */
export interface Database extends Queryable {
  /** `pglite` or `postgres`. */
  readonly kind: 'pglite' | 'postgres';
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Calls `onNotification` with the payload of every `NOTIFY` on `channel` (`pg_notify` in a
   * transaction: delivered only when it commits), from this process or any other on the database.
   * PostgreSQL holds one dedicated connection per call, reconnecting with backoff after a failure;
   * notifications sent while it was down are lost, so it calls `onReconnect` once listening again,
   * for the caller to re-read what it watches. PGlite is one process: its own listen/notify.
   * Resolves, once listening, to the function that stops.
   * @example const unlisten = await db.listen('session_events', (payload) => wake(payload));
   */
  listen(
    channel: string,
    onNotification: (payload: string) => void,
    onReconnect?: () => void,
  ): Promise<() => Promise<void>>;
  close(): Promise<void>;
  /**
   * PostgreSQL only: a connection of its own, outside the pool, for state that lives as long as a
   * connection (a session-level advisory lock held while this instance leads a chain). PGlite has
   * none: it is one process with one connection, so whatever such state guards needs no guarding.
   */
  connect?(label: string): Promise<DedicatedConnection>;
  /**
   * The connections now, for the metrics (`metrics.ts`): PostgreSQL's pool, or PGlite's one
   * connection and the queries queued behind it.
   */
  poolStats?(): PoolStats;
}

/** Connections of a {@link Database} at one moment. */
export interface PoolStats {
  /** Connections open. */
  total: number;
  /** Connections open and not running a query. */
  idle: number;
  /** Queries (or transactions) waiting for a connection. */
  waiting: number;
}

/** A connection outside the pool (see {@link Database.connect}). */
export interface DedicatedConnection extends Queryable {
  /** Resolves once the connection is lost or closed: whatever it held is gone with it. */
  readonly lost: Promise<void>;
  close(): Promise<void>;
}

/** The `pg` module (loaded only when PostgreSQL is used). */
type PgModule = typeof PgDefault;

/** The longest wait between two attempts to reconnect a PostgreSQL `LISTEN` connection, in ms. */
const LISTEN_BACKOFF_MAX_MS = 30_000;

/**
 * What every store (the classes holding a group of tables' SQL) shares: its database, and
 * `transaction`, the one way the code above the stores makes several writes commit together.
 * Services group the writes of one change in `store.transaction(async (tx) => …)` and pass `tx` to
 * the store methods that take one; they never open a transaction on the driver themselves (ESLint
 * refuses `….db.transaction(…)` outside `store/` and the webhook store).
 */
export abstract class Store {
  constructor(
    /** The database; methods that take no `Queryable` query it directly, outside any transaction. */
    readonly db: Database,
  ) {}

  /**
   * Runs `work` in one transaction: everything it writes through `tx` — in this store's tables or,
   * passing `tx` on, in another store's — commits together, or nothing does if it throws.
   */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }
}

/**
 * Fields of a database error that hold values rather than names: PGlite's `params` (the query's
 * parameters: signing secrets, key hashes, …) and `queryOptions`, and PostgreSQL's `detail`
 * (`Key (secret)=(whsec_…) already exists`), `where` and `internalQuery`.
 */
const VALUE_FIELDS = ['params', 'queryOptions', 'detail', 'where', 'internalQuery'];

/**
 * Rethrows a database error without the fields that hold values, so that no log line, error body or
 * test message that later shows it can print a secret the query carried. Its code, message, table
 * and constraint stay for diagnosis; the SQL text stays too: it is the code's, written with `$n`.
 */
function withoutValues(error: unknown): never {
  if (error && typeof error === 'object') {
    for (const field of VALUE_FIELDS) {
      if (field in error) delete (error as Record<string, unknown>)[field];
    }
  }
  throw error;
}

/** `queryable` with every failure passed through {@link withoutValues}. */
function stripping(queryable: Queryable): Queryable {
  return {
    query: <Row>(sql: string, params?: unknown[], options?: QueryOptions) =>
      queryable.query<Row>(sql, params, options).catch(withoutValues),
    exec: (sql: string) => queryable.exec(sql).catch(withoutValues),
  };
}

// pg parses int8 and numeric into strings and timestamptz into Date; PGlite does the same for
// numeric and timestamptz. Queries cast int8/numeric to text where the value matters, so both
// drivers hand the app identical values.

/** Modes with the group's and others' bits cleared. */
const ownerOnly = (mode: number) => mode & ~0o077;

/** The node and stream operations of Emscripten's NODEFS that set a mode on a real file. */
interface NodeFsOps {
  node_ops: {
    mknod(parent: unknown, name: string, mode: number, dev: number): unknown;
    setattr(node: unknown, attr: { mode?: number }): void;
  };
  stream_ops: { setattr?(stream: unknown, attr: { mode?: number }): void };
}

/**
 * PGlite's NODEFS, creating files and folders for their owner only. Emscripten's NODEFS makes
 * each file with mode 0777 and then `chmod`s it to the mode PostgreSQL asked for (0666 inside
 * PGlite): a chmod is not narrowed by the umask, so the files came out 0666 whatever the server's
 * umask. Here every mode NODEFS sets, at creation and by chmod, loses its group and other bits —
 * the files are 0600 and the folders 0700 from the start, not narrowed afterwards.
 */
class OwnerOnlyNodeFS extends NodeFS {
  override async init(pg: PGliteInterface, opts: Parameters<NodeFS['init']>[1]) {
    const { emscriptenOpts } = await super.init(pg as PGlite, opts);
    const narrowModes = (mod: { NODEFS: unknown }) => {
      const fs = mod.NODEFS as NodeFsOps;
      const { mknod, setattr } = fs.node_ops;
      const streamSetattr = fs.stream_ops.setattr;
      const narrowed = <A extends { mode?: number }>(attr: A): A =>
        attr.mode === undefined ? attr : { ...attr, mode: ownerOnly(attr.mode) };
      fs.node_ops.mknod = (parent, name, mode, dev) => mknod(parent, name, ownerOnly(mode), dev);
      fs.node_ops.setattr = (node, attr) => setattr(node, narrowed(attr));
      if (streamSetattr) fs.stream_ops.setattr = (stream, attr) => streamSetattr(stream, narrowed(attr));
    };
    return {
      emscriptenOpts: { ...emscriptenOpts, preRun: [...(emscriptenOpts.preRun ?? []), narrowModes] },
    };
  }
}

/**
 * Clears the group's and others' bits of every file and folder under `dir`: files written by a
 * version before {@link OwnerOnlyNodeFS} (0666), or unpacked from the template under a wide umask.
 */
async function narrowToOwner(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    const mode = (await stat(path)).mode & 0o777;
    if (mode & 0o077) await chmod(path, ownerOnly(mode));
    if (entry.isDirectory()) await narrowToOwner(path);
  }
}

/**
 * PostgreSQL's `shared_buffers` inside PGlite. Its default, 128 MB, does not fit in the 128 MB
 * WebAssembly memory PGlite starts with, which then grows at start-up: a bare PGlite on a folder idled
 * at ≈ 330 MB RSS with it, ≈ 230 MB with 64 MB (≈ 217 MB with 32 MB, which looked slower for creates
 * and choices in the sessions bench; docs/performance.md). Less than 32 MB saves nothing more.
 */
export const PGLITE_SHARED_BUFFERS = '64MB';

/**
 * Opens PGlite with its files in `dataDir`, or in memory when `dataDir` is `memory://`. A new folder
 * starts from the build's template (initdb'd and migrated; see pglite-template.ts) when it has one.
 * @example const db = await openPglite('./.data')
 */
export async function openPglite(
  dataDir: string,
  options: {
    /**
     * Start an in-memory database (`memory://`) from the build's template, migrated already, instead
     * of initdb: what the server does (`openDatabase`). Off by default, so that a caller (a test of
     * the migrations) gets an empty database. A folder on disk is filled from the template anyway.
     */
    fromTemplate?: boolean;
  } = {},
): Promise<Database> {
  const startParams = [...PGlite.defaultStartParams, '-c', `shared_buffers=${PGLITE_SHARED_BUFFERS}`];
  // PGlite compiles its WebAssembly (≈ 9 MB) when it starts; start that now (unless main.ts has),
  // in V8's background threads, so that it overlaps unpacking the template instead of following it.
  const compiling = compilePgliteWasm();
  let unpacked = false;
  if (!dataDir.startsWith('memory://')) {
    // Its user's only, whatever the umask: the database holds webhook signing secrets. A folder made
    // by an earlier version with wider permissions is narrowed here too.
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await chmod(dataDir, 0o700);
    unpacked = await unpackTemplate(dataDir);
    await narrowToOwner(dataDir);
    markStartup('pglite_folder_ready');
  }
  const pgliteWasmModule = await compiling;
  markStartup('pglite_wasm_compiled');
  const loadDataDir =
    options.fromTemplate && dataDir.startsWith('memory://') ? await templateArchive() : null;
  const pgliteOptions = {
    startParams,
    ...(pgliteWasmModule ? { pgliteWasmModule } : {}),
    ...(loadDataDir ? { loadDataDir } : {}),
  };
  const pglite = await (dataDir.startsWith('memory://')
    ? PGlite.create(dataDir, pgliteOptions)
    : PGlite.create({ ...pgliteOptions, fs: new OwnerOnlyNodeFS(dataDir) }));
  markStartup('database_open');
  const db = wrapPglite(pglite);
  if (unpacked || loadDataDir) startedFromTemplate.add(db);
  return db;
}

/** Databases {@link openPglite} filled from the build's template just now (see {@link isFreshFromTemplate}). */
const startedFromTemplate = new WeakSet<Database>();

/**
 * Whether `db` was filled from the build's template as it opened: its schema is then every migration
 * of this build (the template is used only when its recorded schema hash matches them) and it holds
 * no data yet, so the start-up's checks of the migrations and of the secrets' key have nothing to do.
 */
export function isFreshFromTemplate(db: Database): boolean {
  return startedFromTemplate.has(db);
}

/** The {@link Database} interface over an open PGlite instance. */
export function wrapPglite(db: PGlite): Database {
  // PGlite is a single connection: transactions must not interleave, so they are queued here.
  let queue: Promise<unknown> = Promise.resolve();
  // Queued or running: what the metrics report as busy and waiting.
  let pending = 0;
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    pending += 1;
    const next = queue.then(fn, fn).finally(() => (pending -= 1));
    queue = next.catch(() => undefined);
    return next;
  };
  const prepared = preparedStatements(db);
  const direct = stripping({
    query: <Row>(sql: string, params?: unknown[], options?: QueryOptions) =>
      serial(() =>
        options?.prepared ? prepared.query<Row>(sql, params ?? []) : db.query<Row>(sql, params),
      ) as Promise<QueryResult<Row>>,
    exec: (sql: string) => serial(async () => void (await db.exec(sql))),
  });
  return {
    kind: 'pglite',
    ...direct,
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) =>
      serial(() =>
        db.transaction((tx) =>
          fn(
            stripping({
              query: <Row>(sql: string, params?: unknown[]) =>
                tx.query<Row>(sql, params) as Promise<QueryResult<Row>>,
              exec: async (sql: string) => void (await tx.exec(sql)),
            }),
          ),
        ),
      ),
    listen: (channel, onNotification) =>
      serial(async () => {
        const unlisten = await db.listen(channel, onNotification);
        return () => serial(() => unlisten());
      }),
    close: () => serial(() => db.close()),
    poolStats: () => ({ total: 1, idle: pending ? 0 : 1, waiting: Math.max(0, pending - 1) }),
  };
}

/** Names handed to prepared statements so far (see {@link preparedStatements}). */
let preparedNames = 0;

/**
 * Named prepared statements on PGlite's one connection, one per SQL text (see
 * {@link QueryOptions.prepared}). PGlite's `query` sends parse, describe, bind, describe, execute and
 * sync through its WebAssembly one at a time and parses and plans the text every time; here the
 * first run parses and describes the statement once under a name, and every run after sends bind,
 * describe, execute and sync in one call. Parameters are serialised as `query` does (by the types
 * the statement was described with, through PGlite's serialisers) and rows parsed by its parsers,
 * so the rows and values are the same. The caller runs one statement at a time and never inside a
 * transaction (`wrapPglite`'s queue).
 */
function preparedStatements(db: PGlite) {
  const statements = new Map<string, { name: string; types: number[] }>();
  const serialize = protocol.serialize;
  const prepare = async (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) {
      // Unique in the process, so that two wrappers of one PGlite never prepare the same name.
      const name = `cc_prepared_${++preparedNames}`;
      const { messages } = await db.execProtocol(
        Buffer.concat([
          serialize.parse({ name, text: sql }),
          serialize.describe({ type: 'S', name }),
          serialize.sync(),
        ]),
        { syncToFs: false },
      );
      statement = { name, types: parse.parseDescribeStatementResults(messages) };
      statements.set(sql, statement);
    }
    return statement;
  };
  return {
    async query<Row>(sql: string, params: unknown[]): Promise<QueryResult<Row>> {
      // As `query` does: waits for start-up, refuses a closed database.
      await db._checkReady();
      try {
        const { name, types } = await prepare(sql);
        const values = params.map((param, i) => {
          if (param === null || param === undefined) return null;
          const serializer = db.serializers[types[i]!];
          return serializer ? serializer(param) : String(param);
        });
        const { messages } = await db.execProtocol(
          Buffer.concat([
            serialize.bind({ statement: name, values }),
            serialize.describe({ type: 'P' }),
            serialize.execute({}),
            serialize.sync(),
          ]),
        );
        return parse.parseResults(messages, db.parsers)[0] as unknown as QueryResult<Row>;
      } catch (error) {
        // The statement's text on the error, as `query`'s errors carry it (never its values).
        if (error && typeof error === 'object' && !('query' in error)) Object.assign(error, { query: sql });
        throw error;
      }
    },
  };
}

/**
 * Connects to PostgreSQL through a `pg` pool.
 * @example const db = await openPostgres('postgres://postgres@127.0.0.1:5432/checkout')
 */
export async function openPostgres(url: string): Promise<Database> {
  // Loaded here, not at the top: a server on PGlite never pays for loading the PostgreSQL driver.
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // A failing idle client must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  const client = await pool.connect(); // fail fast at start-up if the server is unreachable
  client.release();
  const direct = stripping({
    query: <Row>(sql: string, params?: unknown[]) =>
      pool.query(sql, params) as unknown as Promise<QueryResult<Row>>,
    exec: async (sql: string) => void (await pool.query(sql)),
  });
  return {
    kind: 'postgres',
    ...direct,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const conn = await pool.connect();
      try {
        await conn.query('BEGIN');
        const result = await fn(
          stripping({
            query: <Row>(sql: string, params?: unknown[]) =>
              conn.query(sql, params) as unknown as Promise<QueryResult<Row>>,
            exec: async (sql: string) => void (await conn.query(sql)),
          }),
        );
        await conn.query('COMMIT');
        return result;
      } catch (error) {
        await conn.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        conn.release();
      }
    },
    listen: (channel, onNotification, onReconnect) =>
      listenOnPostgres(pg, url, channel, onNotification, onReconnect),
    close: () => pool.end(),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async connect(label) {
      // Named in pg_stat_activity, so an operator (and a follower's /ready) can tell who holds what;
      // keep-alive, so that a peer that vanished without closing its socket is noticed by the kernel.
      const client = new pg.Client({ connectionString: url, application_name: label, keepAlive: true });
      let markLost!: () => void;
      const lost = new Promise<void>((resolve) => (markLost = resolve));
      client.on('error', () => markLost());
      client.on('end', () => markLost());
      await client.connect();
      return {
        ...stripping({
          query: <Row>(sql: string, params?: unknown[]) =>
            client.query(sql, params) as unknown as Promise<QueryResult<Row>>,
          exec: async (sql: string) => void (await client.query(sql)),
        }),
        lost,
        close: () => client.end().catch(() => undefined),
      };
    },
  };
}

/**
 * One dedicated `pg.Client` that `LISTEN`s on `channel` (a pooled connection cannot: the pool hands
 * it to other queries). When it fails it reconnects after a backoff (0.25 s doubling up to
 * {@link LISTEN_BACKOFF_MAX_MS}) and calls `onReconnect`: notifications sent meanwhile are gone.
 * Resolves once the first `LISTEN` holds (or rejects if that fails: the database is unreachable).
 */
async function listenOnPostgres(
  pg: PgModule,
  url: string,
  channel: string,
  onNotification: (payload: string) => void,
  onReconnect: (() => void) | undefined,
): Promise<() => Promise<void>> {
  let stopped = false;
  let client: InstanceType<PgModule['Client']> | null = null;
  let retry: NodeJS.Timeout | undefined;
  let backoff = 250;
  const connect = async () => {
    const next = new pg.Client({ connectionString: url });
    // A failure is handled by 'end', which always follows; without a listener 'error' would throw.
    next.on('error', () => undefined);
    next.on('notification', (message) => {
      if (message.channel === channel && message.payload !== undefined) onNotification(message.payload);
    });
    next.on('end', () => {
      if (client !== next || stopped) return;
      client = null;
      scheduleReconnect();
    });
    client = next;
    try {
      await next.connect();
      // A channel is an identifier: quoted, so any name is taken as written.
      await next.query(`LISTEN "${channel.replaceAll('"', '""')}"`);
    } catch (error) {
      client = null;
      await next.end().catch(() => undefined);
      throw error;
    }
  };
  const scheduleReconnect = () => {
    retry = setTimeout(() => {
      connect().then(
        () => {
          backoff = 250;
          if (stopped) return;
          onReconnect?.();
        },
        () => {
          backoff = Math.min(backoff * 2, LISTEN_BACKOFF_MAX_MS);
          if (!stopped) scheduleReconnect();
        },
      );
    }, backoff);
    retry.unref();
  };
  await connect();
  return async () => {
    stopped = true;
    clearTimeout(retry);
    const current = client;
    client = null;
    await current?.end().catch(() => undefined);
  };
}

/**
 * Opens PostgreSQL when `databaseUrl` is set, PGlite in `dataDir` otherwise.
 */
export function openDatabase(options: {
  databaseUrl?: string | undefined;
  dataDir: string;
}): Promise<Database> {
  return options.databaseUrl
    ? openPostgres(options.databaseUrl)
    : openPglite(options.dataDir, { fromTemplate: true });
}
