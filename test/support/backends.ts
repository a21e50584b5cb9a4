import { randomBytes } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import pg from 'pg';
import { openPglite, openPostgres, type Database } from '../../packages/server/src/store/database.js';
import { migrate } from '../../packages/server/src/store/migrations.js';

/** The PostgreSQL server the suites create their throw-away databases on. */
const PG_SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A way to get empty databases of one kind; every database it hands out is closed (and dropped) by `cleanup`. */
export interface Backend {
  name: 'PGlite' | 'PostgreSQL';
  /** Why the backend cannot run here, or null. */
  unavailable: string | null;
  setup(): Promise<void>;
  /** A brand-new, empty (unmigrated) database. */
  fresh(): Promise<Database>;
  /**
   * A brand-new database with the current schema. PGlite starts from the build's template (initdb'd
   * and migrated), as the server does, rather than paying initdb and every migration again for each
   * test; PostgreSQL is created and migrated. Tests of the migrations use {@link fresh}.
   */
  migrated(): Promise<Database>;
  /** A second, independent connection (pool) to the database `db` (another server instance). */
  another(db: Database): Promise<Database>;
  cleanup(): Promise<void>;
}

/**
 * A `test` for one backend: it runs `fn` unless the backend is unavailable here, in which case the
 * test is reported as skipped with the reason (loudly, never silently passed).
 * @example const it = testOn(backend); it('stores a session', async () => { … });
 */
export function testOn(backend: Backend) {
  return (name: string, fn: (t: TestContext) => Promise<void>) =>
    test(name, async (t) => {
      if (backend.unavailable) return t.skip(backend.unavailable);
      await fn(t);
    });
}

export function pgliteBackend(): Backend {
  const opened: Database[] = [];
  return {
    name: 'PGlite',
    unavailable: null,
    async setup() {},
    async fresh() {
      const db = await openPglite('memory://');
      opened.push(db);
      return db;
    },
    async migrated() {
      const db = await openPglite('memory://', { fromTemplate: true });
      opened.push(db);
      // A no-op on the template; the whole schema when there is no template for this schema.
      await migrate(db);
      return db;
    },
    // PGlite is one embedded connection: a second instance shares it.
    async another(db) {
      return db;
    },
    async cleanup() {
      await Promise.all(opened.map((db) => db.close()));
    },
  };
}

export function postgresBackend(): Backend {
  const serverUrl = new URL(PG_SERVER_URL);
  const adminUrl = new URL(serverUrl);
  adminUrl.pathname = '/postgres';
  const safeUrl = `${serverUrl.hostname}:${serverUrl.port || '5432'}`;
  const created: string[] = [];
  const opened: Database[] = [];
  const urls = new Map<Database, string>();
  const admin = async <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: adminUrl.toString(), connectionTimeoutMillis: 3000 });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };
  const open = async (url: string) => {
    const db = await openPostgres(url);
    opened.push(db);
    urls.set(db, url);
    return db;
  };
  const backend: Backend = {
    name: 'PostgreSQL',
    unavailable: null,
    async setup() {
      try {
        await admin((client) => client.query('SELECT 1'));
      } catch (error) {
        backend.unavailable = `PostgreSQL not reachable at ${safeUrl} (${(error as Error).message}): SKIPPED`;
        console.warn(
          [
            '',
            '*'.repeat(100),
            `*** ${backend.unavailable}`,
            '*** The PostgreSQL store tests did NOT run. Start PostgreSQL or set TEST_DATABASE_URL.',
            '*'.repeat(100),
            '',
          ].join('\n'),
        );
      }
    },
    async fresh() {
      const name = `cc_test_${randomBytes(6).toString('hex')}`;
      await admin((client) => client.query(`CREATE DATABASE ${name}`));
      created.push(name);
      const url = new URL(serverUrl);
      url.pathname = `/${name}`;
      return open(url.toString());
    },
    async migrated() {
      const db = await backend.fresh();
      await migrate(db);
      return db;
    },
    another: (db) => open(urls.get(db)!),
    async cleanup() {
      await Promise.all(opened.map((db) => db.close()));
      if (!created.length) return;
      await admin(async (client) => {
        for (const name of created) await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      });
    },
  };
  return backend;
}
