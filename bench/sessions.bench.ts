/**
 * Creating sessions (`POST /v1/sessions`) and choosing a method (`POST /v1/sessions/:id/payment`)
 * over HTTP against a listening server, on PGlite and on PostgreSQL, with a load client in its own
 * process (bench/support/load-client.ts). Anchors measured in the same run: a bare Fastify POST
 * route at the same concurrency, single-row inserts into a one-table PGlite and PostgreSQL, and the
 * create without HTTP (the session service alone). Issue 13's targets: ≥ 1,500 creates/s with
 * p99 < 50 ms at 16 clients on both databases, p99 < 50 ms at 64 clients on PostgreSQL, ≥ 500
 * choices/s on PGlite. Beside each rate, the server's CPU time per request (`process.cpuUsage()`;
 * the load client runs in another process), which the machine's other load disturbs least.
 * `bench/create-cpu.ts` profiles one create run. PostgreSQL is skipped (and said so) when 127.0.0.1:5432 does not answer.
 * @module
 */
import { randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import pg from 'pg';
import { buildApp, type App } from '../packages/server/src/app.js';
import { ephemeralSecretBox } from '../packages/server/src/store/secret-box.js';
import { openPglite, openPostgres, type Database } from '../packages/server/src/store/database.js';
import { migrate } from '../packages/server/src/store/migrations.js';
import { testConfig } from '../test/support/app.js';
import { testSecretKey } from '../test/support/stack.js';
import type { BenchOptions, BenchRow } from './support/bench-row.js';
import type { LoadRequest } from './support/load-client.js';
import { load } from './support/load.js';

const PG_SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const CREATE_BODY = JSON.stringify({
  amount: '49.99',
  currency: 'USD',
  order_id: 'bench',
  metadata: { a: 1 },
});

/** How many times each figure is measured; the table shows the median and the spread. */
const ROUNDS = 3;

/** The median of `values` (the upper one of an even count). */
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** A load figure measured {@link ROUNDS} times: the medians, and every round's values. */
interface Rounds {
  perSecond: number;
  p99: number;
  perSecondRuns: number[];
  p99Runs: number[];
  errors: number;
  firstError: string | null;
  /**
   * CPU time of this process (the server's; the load client is another process) per request, in µs:
   * the figure the machine's other load disturbs least. One thread at 1,500 creates/s has ≤ 667 µs.
   */
  cpuUs: number;
  cpuUsRuns: number[];
}

/** Runs `measure` {@link ROUNDS} times, one after the other. */
async function rounds(
  measure: () => Promise<{
    perSecond: number;
    p99: number;
    errors: number;
    firstError: string | null;
    /** Requests made: CPU per request is then measured here (this process serves them). */
    count?: number;
    /** CPU per request measured by the caller (see withCpu). */
    cpuUs?: number;
  }>,
): Promise<Rounds> {
  const results = [];
  const cpuUsRuns: number[] = [];
  for (let i = 0; i < ROUNDS; i += 1) {
    const before = process.cpuUsage();
    const result = await measure();
    const cpu = process.cpuUsage(before);
    results.push(result);
    if (result.cpuUs !== undefined) cpuUsRuns.push(result.cpuUs);
    else if (result.count) cpuUsRuns.push((cpu.user + cpu.system) / result.count);
  }
  const perSecondRuns = results.map((r) => r.perSecond);
  const p99Runs = results.map((r) => r.p99);
  return {
    perSecond: median(perSecondRuns),
    p99: median(p99Runs),
    perSecondRuns,
    p99Runs,
    cpuUs: cpuUsRuns.length ? median(cpuUsRuns) : NaN,
    cpuUsRuns,
    errors: results.reduce((n, r) => n + r.errors, 0),
    firstError: results.find((r) => r.firstError)?.firstError ?? null,
  };
}

/** Runs `measure` (a rate) {@link ROUNDS} times: the median, and every round's value. */
async function rateRounds(measure: () => Promise<number>): Promise<{ value: number; runs: number[] }> {
  const runs: number[] = [];
  for (let i = 0; i < ROUNDS; i += 1) runs.push(await measure());
  return { value: median(runs), runs };
}

/** Requests per second and p99 of a bare Fastify POST route with a JSON body: what HTTP costs here. */
async function bareFastify(connections: number, count: number) {
  const server = Fastify({ logger: false });
  server.post('/v1/sessions', async (request) => ({ ok: true, echo: request.body }));
  const url = await server.listen({ port: 0, host: '127.0.0.1' });
  const template: LoadRequest = {
    method: 'POST',
    path: '/v1/sessions',
    headers: { 'content-type': 'application/json' },
    body: CREATE_BODY,
  };
  await load({ url, connections, repeat: Math.min(count, 2000), template }); // warm-up
  const result = await rounds(() =>
    withCpu(count, () => load({ url, connections, repeat: count, template })),
  );
  await server.close();
  return result;
}

/** Single-row inserts per second into a one-table database, `concurrency` at a time, for `ms`. */
async function rawInserts(db: Database, concurrency: number, ms: number): Promise<number> {
  await db.exec(
    'CREATE TABLE IF NOT EXISTS bench_rows (id text PRIMARY KEY, body jsonb NOT NULL, at timestamptz NOT NULL)',
  );
  let count = 0;
  const until = performance.now() + ms;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        await db.query('INSERT INTO bench_rows (id, body, at) VALUES ($1, $2, $3)', [
          randomBytes(12).toString('hex'),
          CREATE_BODY,
          new Date(),
        ]);
        count += 1;
      }
    }),
  );
  return (count / (performance.now() - started)) * 1000;
}

/** Creates per second through the session service alone (no HTTP), `concurrency` at a time. */
async function serviceCreates(app: App, concurrency: number, ms: number): Promise<number> {
  let count = 0;
  const until = performance.now() + ms;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        await app.sessions.create({ amount: '49.99', currency: 'USD' });
        count += 1;
      }
    }),
  );
  return (count / (performance.now() - started)) * 1000;
}

/** The app on `db`, listening on a free port, with the limits off (testConfig) and logs off. */
async function listeningApp(db: Database, secretKey: string) {
  await migrate(db);
  const app = await buildApp({
    config: testConfig({ secret_keys: [secretKey], log_level: 'warn' }),
    db,
    secrets: ephemeralSecretBox(),
    logger: false,
  });
  const url = await app.server.listen({ port: 0, host: '127.0.0.1' });
  return { app, url, db };
}

/** HTTP creates at `connections` clients: a warm-up, then `count` measured. */
async function httpCreates(url: string, secretKey: string, connections: number, count: number) {
  const template: LoadRequest = {
    method: 'POST',
    path: '/v1/sessions',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${secretKey}` },
    body: CREATE_BODY,
  };
  await load({ url, connections, repeat: Math.min(count, 1000), template });
  return rounds(async () => ({ ...(await load({ url, connections, repeat: count, template })), count }));
}

/** HTTP choices at `connections` clients, {@link ROUNDS} times, each on fresh sessions. */
function httpChooses(app: App, url: string, connections: number, count: number) {
  return rounds(() => httpChoosesOnce(app, url, connections, count));
}

/** HTTP choices at `connections` clients, each on a fresh session (created beforehand, not measured). */
async function httpChoosesOnce(app: App, url: string, connections: number, count: number) {
  const requests: LoadRequest[] = [];
  for (let i = 0; i < count; i++) {
    const session = await app.sessions.create({ amount: '49.99', currency: 'USD' });
    requests.push({
      method: 'POST',
      path: `/v1/sessions/${session.id}/payment`,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${session.client_secret}` },
      body: JSON.stringify({ method: i % 4 ? 'usdc@anvil' : 'eth@anvil' }),
    });
  }
  const warm = Math.min(300, Math.floor(count / 5));
  await load({ url, connections, requests: requests.slice(0, warm) });
  return withCpu(count - warm, () => load({ url, connections, requests: requests.slice(warm) }));
}

/**
 * `measure`'s result with the CPU time this process (the server: the load client runs in another)
 * spent per request, in µs: a figure the other work on a shared machine disturbs far less than a rate.
 */
async function withCpu<T>(requests: number, measure: () => Promise<T>): Promise<T & { cpuUs: number }> {
  const started = process.cpuUsage();
  const result = await measure();
  const used = process.cpuUsage(started);
  return { ...result, cpuUs: (used.user + used.system) / requests };
}

/** `db` counting the statements sent through it: what one choice costs in round trips. */
function counting(db: Database): Database & { statements: number } {
  const counted = Object.create(db) as Database & { statements: number };
  counted.statements = 0;
  counted.query = (sql, params, options) => {
    counted.statements += 1;
    return db.query(sql, params, options);
  };
  return counted;
}

/** A fresh database on the local PostgreSQL, dropped by `drop`; `null` when the server does not answer. */
async function freshPostgres() {
  const name = `cc_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_SERVER_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch {
    return null;
  }
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(PG_SERVER_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

const row = (r: Omit<BenchRow, 'met'> & { met?: boolean | null }): BenchRow => ({ met: null, ...r });

/** See the module comment. */
export async function run({ quick }: BenchOptions): Promise<BenchRow[]> {
  const creates = quick ? 1500 : 10_000;
  const chooses = quick ? 500 : 3000;
  const rawMs = quick ? 1000 : 3000;
  const rows: BenchRow[] = [];
  const secretKey = testSecretKey();

  const bare16 = await bareFastify(16, creates * 2);
  const bare64 = await bareFastify(64, creates * 2);
  const rawPgliteDb = await openPglite('memory://');
  const rawPglite = await rateRounds(() => rawInserts(rawPgliteDb, 1, rawMs));
  await rawPgliteDb.close();

  // PGlite
  {
    const db = counting(await openPglite('memory://'));
    const { app, url } = await listeningApp(db, secretKey);
    const alone = await rateRounds(() => serviceCreates(app, 16, rawMs));
    const c16 = await httpCreates(url, secretKey, 16, creates);
    // Sessions to choose on are created through the service (`app.sessions.create`), one statement
    // each: the count taken around the choices alone, over the rounds' measured and warm-up ones.
    const statementsBefore = db.statements;
    const ch = await httpChooses(app, url, 16, chooses);
    const choiceStatements = (db.statements - statementsBefore - ROUNDS * chooses) / (ROUNDS * chooses);
    for (const r of [c16, ch]) if (r.errors) console.log(`  errors: ${r.errors}, first: ${r.firstError}`);
    rows.push(
      row({
        figure: 'creates, PGlite, 16 clients',
        value: c16.perSecond,
        runs: c16.perSecondRuns,
        unit: 'req/s',
        anchor: 'bare Fastify POST, 16 clients',
        anchorValue: bare16.perSecond,
        target: '≥ 1500 req/s',
        met: c16.perSecond >= 1500,
      }),
      row({
        figure: 'creates, PGlite, 16 clients, p99',
        value: c16.p99,
        runs: c16.p99Runs,
        unit: 'ms',
        anchor: 'bare Fastify p99, 16 clients',
        anchorValue: bare16.p99,
        target: '< 50 ms',
        met: c16.p99 < 50,
      }),
      row({
        figure: 'CPU per create, PGlite, 16 clients',
        value: c16.cpuUs,
        runs: c16.cpuUsRuns,
        unit: 'µs',
        anchor: 'bare Fastify POST CPU/req, 16 clients',
        anchorValue: bare16.cpuUs,
        target: '≤ 667 µs (1,500/s, one thread)',
        met: c16.cpuUs <= 667,
      }),
      row({
        figure: 'creates without HTTP (service), PGlite',
        value: alone.value,
        runs: alone.runs,
        unit: '/s',
        anchor: 'raw PGlite single-row insert/s',
        anchorValue: rawPglite.value,
        target: '',
      }),
      row({
        figure: 'choose a method, PGlite, 16 clients',
        value: ch.perSecond,
        runs: ch.perSecondRuns,
        unit: 'req/s',
        anchor: 'raw PGlite single-row insert/s',
        anchorValue: rawPglite.value,
        target: '≥ 500 req/s',
        met: ch.perSecond >= 500,
      }),
      row({
        figure: 'choose a method, PGlite, 16 clients, CPU per choice',
        value: ch.cpuUs,
        runs: ch.cpuUsRuns,
        unit: 'µs',
        anchor: 'CPU per bare Fastify POST, 16 clients',
        anchorValue: bare16.cpuUs,
        target: '',
      }),
      row({
        figure: 'choose a method, PGlite, statements per choice',
        value: choiceStatements,
        unit: '',
        anchor: 'statements of a create',
        anchorValue: 1,
        target: '≤ 6',
        met: choiceStatements <= 6,
      }),
      row({
        figure: 'choose a method, PGlite, 16 clients, p99',
        value: ch.p99,
        runs: ch.p99Runs,
        unit: 'ms',
        anchor: 'bare Fastify p99, 16 clients',
        anchorValue: bare16.p99,
        target: '',
      }),
    );
    await app.server.close();
    await db.close();
  }

  // PostgreSQL
  const database = await freshPostgres();
  if (!database) {
    console.log(`  PostgreSQL at ${new URL(PG_SERVER_URL).host} does not answer: its rows are skipped`);
    return rows;
  }
  try {
    const rawDb = await openPostgres(database.url);
    const rawPg = await rateRounds(() => rawInserts(rawDb, 16, rawMs));
    await rawDb.exec('DROP TABLE bench_rows');
    await rawDb.close();
    const { app, url, db } = await listeningApp(await openPostgres(database.url), secretKey);
    const c16 = await httpCreates(url, secretKey, 16, creates);
    const c64 = await httpCreates(url, secretKey, 64, creates);
    const ch = await httpChooses(app, url, 16, chooses);
    for (const r of [c16, c64, ch])
      if (r.errors) console.log(`  errors: ${r.errors}, first: ${r.firstError}`);
    rows.push(
      row({
        figure: 'creates, PostgreSQL, 16 clients',
        value: c16.perSecond,
        runs: c16.perSecondRuns,
        unit: 'req/s',
        anchor: 'raw PostgreSQL insert/s, 16 conns',
        anchorValue: rawPg.value,
        target: '≥ 1500 req/s',
        met: c16.perSecond >= 1500,
      }),
      row({
        figure: 'creates, PostgreSQL, 16 clients, p99',
        value: c16.p99,
        runs: c16.p99Runs,
        unit: 'ms',
        anchor: 'bare Fastify p99, 16 clients',
        anchorValue: bare16.p99,
        target: '< 50 ms',
        met: c16.p99 < 50,
      }),
      row({
        figure: 'CPU per create (Node side), PostgreSQL, 16 clients',
        value: c16.cpuUs,
        runs: c16.cpuUsRuns,
        unit: 'µs',
        anchor: 'bare Fastify POST CPU/req, 16 clients',
        anchorValue: bare16.cpuUs,
        target: '',
      }),
      row({
        figure: 'creates, PostgreSQL, 64 clients',
        value: c64.perSecond,
        runs: c64.perSecondRuns,
        unit: 'req/s',
        anchor: 'bare Fastify POST, 64 clients',
        anchorValue: bare64.perSecond,
        target: '',
      }),
      row({
        figure: 'creates, PostgreSQL, 64 clients, p99',
        value: c64.p99,
        runs: c64.p99Runs,
        unit: 'ms',
        anchor: 'bare Fastify p99, 64 clients',
        anchorValue: bare64.p99,
        target: '< 50 ms',
        met: c64.p99 < 50,
      }),
      row({
        figure: 'choose a method, PostgreSQL, 16 clients',
        value: ch.perSecond,
        runs: ch.perSecondRuns,
        unit: 'req/s',
        anchor: 'raw PostgreSQL insert/s, 16 conns',
        anchorValue: rawPg.value,
        target: '',
      }),
    );
    await app.server.close();
    await db.close();
  } finally {
    await database.drop();
  }
  return rows;
}
