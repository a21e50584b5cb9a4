/**
 * `npm run bench:streams` — 10,000 concurrent live status streams (`GET /v1/sessions/:id/events`)
 * over real sockets, on PostgreSQL and on PGlite: how many are accepted, the server's RSS per stream,
 * and the latency from a status change (a cancel, sent over HTTP) to its arrival on every stream of
 * the session (p50/p99 over all streams). Anchors measured in the same run: a bare SSE server (node
 * http, same streams, the change fanned out from an in-memory map), and an in-memory fan-out alone (a
 * change handed to 10,000 callbacks, no sockets). Each server runs in its own child process (this
 * script with `--serve <kind>`), so its RSS is its own; the client sockets live here. On PGlite it
 * also reports RSS at each step (node + modules, PGlite open, app built, streams open), to show what
 * holds the idle memory. Not part of `npm test`: it prints figures, it does not judge them.
 * PostgreSQL: `TEST_DATABASE_URL` or postgres://postgres@127.0.0.1:5432 (a fresh database, dropped after).
 * `BENCH_ONLY=bare,postgres` runs only those servers; `BENCH_STREAMS` changes the 10,000.
 * `BENCH_HEAP_SNAPSHOT=1` also prints, per app server, its JS heap per stream by kind (object
 * constructor, closure, string…) from two heap snapshots, before and with the streams.
 * @module
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { createServer, request as httpRequest, Agent, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

/** Streams in all; sessions, each followed by STREAMS / SESSIONS streams. */
const STREAMS = Number(process.env.BENCH_STREAMS ?? 10_000);
const SESSIONS = 100;
const PER_SESSION = Math.ceil(STREAMS / SESSIONS);
/** Connections opened at once while the streams open. */
const OPEN_CONCURRENCY = 200;
/** Which servers to run, comma-separated (`bare,postgres,pglite`); default all. */
const ONLY = new Set((process.env.BENCH_ONLY ?? 'bare,postgres,pglite').split(','));
const PG_SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

type Kind = 'bare' | 'pglite' | 'postgres';

/** RSS of this process, in bytes (from /proc: `process.memoryUsage()` would walk the heap). */
function rss(): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) * 1024 : process.memoryUsage.rss();
}

/** Messages between this script and a server child. */
type ToParent =
  | { type: 'ready'; port: number; sessions: { id: string; secret: string }[]; secretKey: string }
  | { type: 'rss'; bytes: number; heap: number; label?: string }
  | { type: 'snapshot'; file: string }
  | { type: 'steps'; steps: { step: string; mb: number }[] };

// ───────────────────────────── server roles (child processes) ─────────────────────────────

async function serve(kind: Kind): Promise<void> {
  const send = (message: ToParent) => void process.send!(message);
  const steps: { step: string; mb: number }[] = [];
  const step = (name: string) => steps.push({ step: name, mb: Math.round(rss() / 1048576) });
  process.on('message', (message: { type: string; label?: string }) => {
    if (message.type === 'rss') {
      globalThis.gc?.();
      send({ type: 'rss', bytes: rss(), heap: process.memoryUsage().heapUsed });
    }
    if (message.type === 'snapshot') {
      globalThis.gc?.();
      send({
        type: 'snapshot',
        file: writeHeapSnapshot(join(tmpdir(), `streams-${process.pid}-${Date.now()}.heapsnapshot`)),
      });
    }
    if (message.type === 'steps') send({ type: 'steps', steps });
  });
  step('node, before the app is imported');

  if (kind === 'bare') {
    // The anchor: node http and an in-memory map of the open streams of each session.
    const bySession = new Map<string, Set<ServerResponse>>();
    const server = createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      const id = url.pathname.split('/')[3]!;
      if (req.method === 'POST') {
        const event = `id: 2\ndata: ${JSON.stringify({ seq: 2, type: 'session.canceled', session: { id } })}\n\n`;
        for (const stream of bySession.get(id) ?? []) stream.end(event);
        bySession.delete(id);
        return res.end('{}');
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(
        `retry: 3000\n\nid: 1\ndata: ${JSON.stringify({ seq: 1, type: 'session.open', session: { id } })}\n\n`,
      );
      let streams = bySession.get(id);
      if (!streams) bySession.set(id, (streams = new Set()));
      streams.add(res);
      res.on('close', () => streams.delete(res));
    });
    server.maxConnections = 0;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const sessions = Array.from({ length: SESSIONS }, (_, i) => ({ id: `s${i}`, secret: 'x' }));
    step('bare server listening');
    return send({ type: 'ready', port: (server.address() as AddressInfo).port, sessions, secretKey: '' });
  }

  const { buildApp } = await import('../packages/server/src/app.js');
  const { parseConfig } = await import('../packages/server/src/config.js');
  const { openPglite, openPostgres } = await import('../packages/server/src/store/database.js');
  const { migrate } = await import('../packages/server/src/store/migrations.js');
  const { ephemeralSecretBox } = await import('../packages/server/src/store/secret-box.js');
  const { testMerchantWallet, testSecretKey } = await import('../test/support/stack.js');
  step('app modules imported');
  const db =
    kind === 'postgres'
      ? await openPostgres(process.env.BENCH_DATABASE_URL!)
      : await openPglite('memory://', { fromTemplate: true });
  await migrate(db);
  step(kind === 'postgres' ? 'PostgreSQL pool open, migrated' : 'PGlite open (in memory), migrated');
  const secretKey = testSecretKey();
  const config = parseConfig({
    secret_keys: [secretKey],
    xpub: testMerchantWallet().xpub,
    chains: [
      {
        key: 'anvil',
        id: 31337,
        name: 'Anvil',
        rpc_url: 'http://127.0.0.1:1',
        tokens: [
          { symbol: 'USDC', address: '0x5fbdb2315678afecb367f032d93f642f64180aa3', decimals: 6, peg: 'USD' },
        ],
      },
    ],
    rates: { ETH: '3000' },
    log_level: 'warn',
    // The defaults cap a process at 1,000 streams, 4 per session and 2,048 connections, and shed
    // load when the event loop lags: the benchmark raises them to measure 10,000.
    limits: {
      max_streams: STREAMS * 2,
      max_streams_per_session: 1_000,
      max_connections: 0,
      load_shedding: { enabled: false },
      rate_limits: { enabled: false },
    },
  });
  const app = await buildApp({ config, db, secrets: ephemeralSecretBox() });
  await app.server.listen({ host: '127.0.0.1', port: 0 });
  const sessions: { id: string; secret: string }[] = [];
  for (let i = 0; i < SESSIONS; i += 1) {
    const response = await app.server.inject({
      method: 'POST',
      url: '/v1/sessions',
      headers: { authorization: `Bearer ${secretKey}` },
      payload: { amount: '10.00', currency: 'USD' },
    });
    const body = response.json<{ id: string; client_secret: string }>();
    sessions.push({ id: body.id, secret: body.client_secret });
  }
  step('app built and listening, 100 sessions created');
  send({ type: 'ready', port: (app.server.server.address() as AddressInfo).port, sessions, secretKey });
}

// ───────────────────────────── the client (this process) ─────────────────────────────

interface Server {
  child: ChildProcess;
  port: number;
  sessions: { id: string; secret: string }[];
  secretKey: string;
  ask<T extends ToParent>(type: string): Promise<T>;
  stop(): Promise<void>;
}

async function startServer(kind: Kind, env: Record<string, string> = {}): Promise<Server> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', kind], {
    execArgv: [...process.execArgv, '--expose-gc'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<Extract<ToParent, { type: 'ready' }>>((resolve, reject) => {
    child.on('message', (m: ToParent) => m.type === 'ready' && resolve(m));
    child.once('exit', (code) => reject(new Error(`${kind} server exited ${code}`)));
  });
  return {
    child,
    ...ready,
    ask: <T extends ToParent>(type: string) =>
      new Promise<T>((resolve) => {
        const on = (m: ToParent) => {
          if (m.type !== type) return;
          child.off('message', on);
          resolve(m as T);
        };
        child.on('message', on);
        child.send({ type });
      }),
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** One open stream: when its `session.canceled` arrived. */
interface Opened {
  session: string;
  canceledAt: Promise<number>;
  destroy(): void;
}

const agent = new Agent({ keepAlive: false, maxSockets: Infinity });

/** Opens a stream; resolves once its first event arrived, or with null if it was refused. */
function openStream(port: number, session: { id: string; secret: string }): Promise<Opened | null> {
  return new Promise((resolve) => {
    let resolveCanceled: (at: number) => void;
    const canceledAt = new Promise<number>((r) => (resolveCanceled = r));
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        agent,
        path: `/v1/sessions/${session.id}/events?client_secret=${encodeURIComponent(session.secret)}`,
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return resolve(null);
        }
        let text = '';
        let opened = false;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
          if (!opened && text.includes('session.open')) {
            opened = true;
            resolve({ session: session.id, canceledAt, destroy: () => req.destroy() });
          }
          if (text.includes('session.canceled')) resolveCanceled(performance.now());
          if (text.length > 4096) text = text.slice(-2048);
        });
      },
    );
    req.on('error', () => resolve(null));
    req.end();
  });
}

const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((values.length * p) / 100))]!;

/**
 * Starts the `kind` server in a child, opens the streams, sends the status change and measures; the
 * `row` is this script's table line, `figures` the same as numbers (the `npm run bench` module,
 * streams.bench.ts, builds its rows from them).
 */
export async function measureStreams(kind: Kind, label: string, env: Record<string, string> = {}) {
  const server = await startServer(kind, env);
  const snapshots = process.env.BENCH_HEAP_SNAPSHOT === '1' && kind !== 'bare' ? ([] as string[]) : null;
  if (snapshots) snapshots.push((await server.ask<Extract<ToParent, { type: 'snapshot' }>>('snapshot')).file);
  const { bytes: before, heap: heapBefore } = await server.ask<Extract<ToParent, { type: 'rss' }>>('rss');
  // Open every stream, OPEN_CONCURRENCY at a time.
  const opened: Opened[] = [];
  let refused = 0;
  const wanted = server.sessions.flatMap((session) => Array.from({ length: PER_SESSION }, () => session));
  const openStarted = performance.now();
  for (let i = 0; i < wanted.length; i += OPEN_CONCURRENCY) {
    const batch = await Promise.all(
      wanted.slice(i, i + OPEN_CONCURRENCY).map((s) => openStream(server.port, s)),
    );
    for (const stream of batch) {
      if (stream) opened.push(stream);
      else refused += 1;
    }
  }
  const openSeconds = (performance.now() - openStarted) / 1000;
  const { bytes: withStreams, heap: heapWithStreams } =
    await server.ask<Extract<ToParent, { type: 'rss' }>>('rss');
  if (snapshots) snapshots.push((await server.ask<Extract<ToParent, { type: 'snapshot' }>>('snapshot')).file);
  // The status change: each session canceled in turn; latency from sending the cancel to each of its streams.
  const latencies: number[] = [];
  for (const session of server.sessions) {
    const streams = opened.filter((s) => s.session === session.id);
    const sent = performance.now();
    await fetch(`http://127.0.0.1:${server.port}/v1/sessions/${session.id}/cancel`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.secretKey}` },
    });
    for (const at of await Promise.all(streams.map((s) => s.canceledAt))) latencies.push(at - sent);
  }
  const steps =
    kind === 'bare' ? [] : (await server.ask<Extract<ToParent, { type: 'steps' }>>('steps')).steps;
  for (const stream of opened) stream.destroy();
  await server.stop();
  const kbPerStream = (withStreams - before) / 1024 / Math.max(1, opened.length);
  // The JS heap alone, after a GC: unlike RSS, it does not count the young generation V8 grows
  // while the streams open (2 → 32 MB in both the app and the bare anchor), nor freed pages.
  const heapKbPerStream = (heapWithStreams - heapBefore) / 1024 / Math.max(1, opened.length);
  if (snapshots) {
    console.log(`${label}: JS heap per stream by what holds it (${opened.length} streams, heap snapshots)`);
    console.table(perStreamHeap(snapshots[0]!, snapshots[1]!, opened.length));
    if (process.env.BENCH_KEEP_SNAPSHOTS !== '1') for (const file of snapshots) rmSync(file);
  }
  return {
    figures: {
      accepted: opened.length,
      wanted: wanted.length,
      idleMb: before / 1048576,
      withStreamsMb: withStreams / 1048576,
      kbPerStream,
      heapKbPerStream,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
    },
    row: {
      what: label,
      accepted: `${opened.length}/${wanted.length}`,
      refused,
      'open s': openSeconds.toFixed(1),
      'RSS idle MB': (before / 1048576).toFixed(0),
      'RSS streams MB': (withStreams / 1048576).toFixed(0),
      'KB/stream': kbPerStream.toFixed(1),
      'heap KB/stream': heapKbPerStream.toFixed(2),
      'p50 ms': percentile(latencies, 50).toFixed(1),
      'p99 ms': percentile(latencies, 99).toFixed(1),
    },
    steps,
  };
}

/** A heap snapshot's nodes summed by kind (object constructor, closure name, string type): count and bytes. */
function heapByKind(file: string): Map<string, { count: number; bytes: number }> {
  const snapshot = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [
    number,
    number,
    number,
  ];
  const kinds = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < snapshot.nodes.length; i += fields.length) {
    const type = types[snapshot.nodes[i + typeAt]!]!;
    const name = snapshot.strings[snapshot.nodes[i + nameAt]!]!;
    // Strings are named by their text, arrays and code by internals: only the type tells something.
    const key =
      type === 'object' || type === 'closure' || type === 'native' ? `${type} ${name.slice(0, 60)}` : type;
    const kind = kinds.get(key) ?? { count: 0, bytes: 0 };
    kind.count += 1;
    kind.bytes += snapshot.nodes[i + sizeAt]!;
    kinds.set(key, kind);
  }
  return kinds;
}

/** What the heap gained between two snapshots, per stream: the 30 largest kinds. */
function perStreamHeap(before: string, after: string, streams: number) {
  const a = heapByKind(before);
  const rows = [...heapByKind(after)].map(([kind, { count, bytes }]) => ({
    kind,
    'per stream': (count - (a.get(kind)?.count ?? 0)) / streams,
    'bytes per stream': Math.round((bytes - (a.get(kind)?.bytes ?? 0)) / streams),
  }));
  rows.sort((x, y) => y['bytes per stream'] - x['bytes per stream']);
  const total = rows.reduce((sum, row) => sum + row['bytes per stream'], 0);
  return [...rows.slice(0, 30), { kind: 'all', 'per stream': NaN, 'bytes per stream': total }];
}

/** The anchor without sockets: a change handed to STREAMS callbacks in memory, median of 20. */
export function inMemoryFanOut() {
  const subscribers = new Map<string, Set<(event: unknown) => void>>();
  let received = 0;
  for (let i = 0; i < STREAMS; i += 1) {
    const id = `s${i % SESSIONS}`;
    let set = subscribers.get(id);
    if (!set) subscribers.set(id, (set = new Set()));
    set.add(() => (received += 1));
  }
  const times: number[] = [];
  for (let round = 0; round < 20; round += 1) {
    const started = performance.now();
    for (const set of subscribers.values()) for (const deliver of set) deliver({ seq: 2 });
    times.push(performance.now() - started);
  }
  return {
    what: `anchor: in-memory fan-out, ${STREAMS} callbacks`,
    'p50 ms': percentile(times, 50).toFixed(3),
    p50: percentile(times, 50),
  };
}

async function main() {
  const rows: Record<string, string | number>[] = [];
  const { p50: _, ...fanOut } = inMemoryFanOut();
  rows.push(fanOut);
  if (ONLY.has('bare'))
    rows.push((await measureStreams('bare', 'anchor: bare SSE server (node http, in-memory map)')).row);

  const { default: pg } = await import('pg');
  const name = `cc_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_SERVER_URL });
  let pgAvailable = ONLY.has('postgres');
  try {
    if (pgAvailable) {
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
    }
  } catch (error) {
    pgAvailable = false;
    console.warn(`PostgreSQL unavailable (${(error as Error).message}): its row is skipped`);
  }
  if (pgAvailable) {
    const url = new URL(PG_SERVER_URL);
    url.pathname = `/${name}`;
    rows.push(
      (await measureStreams('postgres', 'app on PostgreSQL', { BENCH_DATABASE_URL: url.toString() })).row,
    );
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
  const pglite = ONLY.has('pglite') ? await measureStreams('pglite', 'app on PGlite (in memory)') : null;
  if (pglite) rows.push(pglite.row);
  console.log(
    `\n${STREAMS} streams over ${SESSIONS} sessions; latency: cancel sent → session.canceled on each stream.`,
  );
  console.table(rows);
  if (pglite) {
    console.log('PGlite server: RSS at each step');
    console.table(pglite.steps);
  }
}

/** How many streams each run opens (`BENCH_STREAMS`, default 10,000), for the bench module's labels. */
export const STREAM_COUNT = STREAMS;

const serveAt = process.argv.indexOf('--serve');
if (serveAt >= 0) await serve(process.argv[serveAt + 1] as Kind);
// Run as a script (not imported by the `npm run bench` module).
else if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
