/**
 * `npm run bench:large-store` — list, search and lookup latency with 1,000,000 sessions stored: the
 * first page of `GET /v1/sessions` for each filter and the lookup by `order_id`, through the same
 * service call the route makes (`SessionSearch.list`: the list query, then the page's deposits,
 * transfers and chain cursors). Sessions are bulk-inserted with `generate_series` in SQL: two years
 * of them, two thirds in live mode, a quarter with a deposit, 1% to review. Prints p50/p99 of each beside anchors
 * measured in the same run on the same database: `SELECT 1` (a round trip) and loading one session by
 * its primary key. PostgreSQL (`TEST_DATABASE_URL` or 127.0.0.1:5432, a throw-away database) and,
 * with `--pglite`, PGlite in memory. `ROWS=…` changes the count. Not part of `npm test`: it prints
 * figures, it does not judge them.
 * @module
 */
import { performance } from 'node:perf_hooks';
import type { ListSessionsQuery } from '@crypto-checkout/protocol';
import { createServices } from '../packages/server/src/composition.js';
import type { Database } from '../packages/server/src/store/database.js';
import { SessionStore, type SessionQuery } from '../packages/server/src/store/session-store.js';
import { migrate } from '../packages/server/src/store/migrations.js';
import { testConfig, testSecretBox } from '../test/support/app.js';
import { pgliteBackend, postgresBackend } from '../test/support/backends.js';
import { reportFigures } from './support/standalone.js';

const ROWS = Number(process.env.ROWS ?? 1_000_000);
const RUNS = Number(process.env.RUNS ?? 200);
const backend = process.argv.includes('--pglite') ? pgliteBackend() : postgresBackend();

/** Fills the tables the way a busy shop would after two years, in a few statements. */
async function fill(db: Database) {
  await db.query(
    `INSERT INTO sessions (id, client_secret, status, amount, currency, order_id, metadata, methods, created_at,
       expires_at, review_reasons, livemode, fingerprint)
     SELECT 'cs_big' || i, 'cs_big' || i || '_secret_x',
       CASE WHEN i % 50 = 0 THEN 'paid_late' ELSE (ARRAY['open','paid','expired','canceled'])[1 + i % 4] END,
       '10.00', 'USD', 'P-' || i, '{}', '[]', now() - (${ROWS} - i) * interval '1 minute',
       now() - (${ROWS} - i) * interval '1 minute' + interval '30 minutes',
       CASE WHEN i % 100 = 0 THEN '["overpayment"]'::jsonb ELSE '[]'::jsonb END, i % 3 <> 0, ''
     FROM generate_series(1, ${ROWS}) AS i`,
  );
  await db.query(
    `INSERT INTO deposits (session_id, method, chain_id, token_symbol, token_address, decimals, address,
       derivation_index, amount_due_atomic, amount_min_atomic, rate, confirmations_required, created_at, watch_until)
     SELECT 'cs_big' || i, CASE WHEN i % 8 = 0 THEN 'eth@anvil' ELSE 'usdc@anvil' END, 31337,
       CASE WHEN i % 8 = 0 THEN 'ETH' ELSE 'USDC' END, NULL, 6, '0x' || md5(i::text), 1000000 + i, 1, 1, '1', 1,
       now(), now()
     FROM generate_series(4, ${ROWS}, 4) AS i`,
  );
  await db.query('ANALYZE sessions');
  await db.query('ANALYZE deposits');
}

/** p50 and p99 of `RUNS` calls of `fn`, in ms (after 10 unmeasured ones). */
async function measure(fn: (i: number) => Promise<unknown>) {
  for (let i = 0; i < 10; i++) await fn(i);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await fn(i);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  return { p50: at(0.5), p99: at(0.99) };
}

await backend.setup();
if (backend.unavailable) throw new Error(`${backend.name} is not available: ${backend.unavailable}`);
const db = await backend.fresh();
await migrate(db);
const filled = performance.now();
await fill(db);
console.log(
  `${backend.name}: ${ROWS} sessions inserted in ${((performance.now() - filled) / 1000).toFixed(1)} s`,
);

const services = createServices({ config: testConfig(), db, secrets: testSecretBox });
const list = (query: Partial<ListSessionsQuery>, livemode = true) =>
  services.search.list({ limit: 20, ...query } as ListSessionsQuery, livemode);
const random = (i: number) => 1 + ((i * 7919) % ROWS);
const months = (n: number) => new Date(Date.now() - n * 30 * 24 * 3600 * 1000);

const cases: [string, (i: number) => Promise<unknown>][] = [
  ['anchor: SELECT 1', () => db.query('SELECT 1')],
  ['anchor: one session by primary key', (i) => services.store.loadBundle(db, `cs_big${random(i)}`)],
  ['lookup by order_id', (i) => list({ order_id: `P-${random(i)}` }, random(i) % 2 === 0)],
  ['first page, no filter', () => list({})],
  ['first page, status=paid', () => list({ status: ['paid'] })],
  ['first page, status=paid_late (2%)', () => list({ status: ['paid_late'] })],
  ['first page, status=paid,expired', () => list({ status: ['paid', 'expired'] })],
  ['first page, review=true (1%)', () => list({ review: true })],
  ['first page, method=eth@anvil (3%)', () => list({ method: 'eth@anvil' })],
  ['first page, token=usdc', () => list({ token: 'usdc' })],
  [
    'first page, created in a month a year ago',
    () => list({ created_gte: months(13), created_lt: months(12) }),
  ],
];
// A deep page: the cursor of page 50 (1,000 sessions in), read once, then that page measured.
let deep: string | undefined;
for (let page = 0; page < 50; page++) deep = (await list(deep ? { cursor: deep } : {})).next_cursor!;
cases.push(['page 51 via cursor, no filter', () => list({ cursor: deep })]);
console.log(`${'query'.padEnd(44)}  p50 ms   p99 ms   (${RUNS} runs each)`);
const results: { name: string; p50: number; p99: number }[] = [];
for (const [name, fn] of cases) {
  const { p50, p99 } = await measure(fn);
  results.push({ name, p50, p99 });
  console.log(`${name.padEnd(44)} ${p50.toFixed(2).padStart(7)}  ${p99.toFixed(2).padStart(7)}`);
}
reportFigures({ backend: backend.name, rows: ROWS, runs: RUNS, results });

// How each list query is run at this size: the scans and sorts of its plan (EXPLAIN ANALYZE).
const plans: [string, SessionQuery][] = [
  ['lookup by order_id', { livemode: true, order_id: 'P-4' }],
  ['no filter', { livemode: true }],
  ['status=paid_late', { livemode: true, statuses: ['paid_late'] }],
  ['status=paid,expired', { livemode: true, statuses: ['paid', 'expired'] }],
  ['review=true', { livemode: true, review: true }],
  ['method=eth@anvil', { livemode: true, method: 'eth@anvil' }],
  ['token=usdc', { livemode: true, token: 'usdc' }],
  ['created in a month a year ago', { livemode: true, created_gte: months(13), created_lt: months(12) }],
];
for (const [name, query] of plans) {
  const explain = new SessionStore(
    { ...db, query: (sql, params) => db.query(`EXPLAIN ANALYZE ${sql}`, params) } as Database,
    testSecretBox,
  );
  const rows = (await explain.listSessions(query, { limit: 21 })) as unknown as {
    session: Record<string, string>;
  }[];
  const lines = rows.map((row) => Object.values(row.session)[0]!);
  const nodes = lines.filter((line) => /Scan|Sort|Execution Time/.test(line)).map((line) => line.trim());
  console.log(`${name}:\n  ${nodes.map((n) => n.replace(/\s*\(cost=[^)]*\)/, '')).join('\n  ')}`);
}
await backend.cleanup();
