/**
 * The live status streams in `npm run bench` (issue 13): bench/streams.ts's measurement — N streams
 * over real sockets to a server in a child process, a status change sent to each session, latency
 * to every stream — as rows of the one table, each beside its anchor from the same run: the bare SSE
 * server (node http, in-memory map) for memory and latency, an in-memory fan-out for the floor.
 * Full runs open 10,000 streams (`BENCH_STREAMS` changes it); `--quick` opens 500 on PGlite only.
 * PostgreSQL rows need a server at `TEST_DATABASE_URL` (default postgres://postgres@127.0.0.1:5432);
 * without one they are left out and the harness says so.
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { BenchModule, BenchRow } from './support/bench-row.js';

const PG_SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export const run: BenchModule['run'] = async ({ quick }) => {
  // Read by bench/streams.ts when it loads, and by the server children it forks.
  if (quick) process.env.BENCH_STREAMS ??= '500';
  const { measureStreams, inMemoryFanOut, STREAM_COUNT } = await import('./streams.js');
  const fanOut = inMemoryFanOut().p50;
  const bare = (await measureStreams('bare', 'bare')).figures;
  const rows: BenchRow[] = [
    {
      figure: `anchor floor: in-memory fan-out to ${STREAM_COUNT} callbacks, p50`,
      value: fanOut,
      unit: 'ms',
      anchor: 'bare SSE server, change → all streams p50',
      anchorValue: bare.p50,
      target: '',
      met: null,
    },
  ];
  const add = (label: string, f: typeof bare) =>
    rows.push(
      {
        figure: `streams accepted, ${label}`,
        value: f.accepted,
        unit: 'streams',
        anchor: 'bare SSE server, accepted',
        anchorValue: bare.accepted,
        target: `${f.wanted} of ${f.wanted}`,
        met: f.accepted === f.wanted,
      },
      {
        figure: `memory per stream, ${label}`,
        value: f.kbPerStream,
        unit: 'KB',
        anchor: 'bare SSE server, per stream',
        anchorValue: bare.kbPerStream,
        target: '≤ 10 KB',
        met: f.kbPerStream <= 10,
      },
      {
        // Noise-resistant beside the RSS figure: heapUsed after a GC, without V8's young generation
        // (which grows while the streams open) or freed pages.
        figure: `JS heap per stream, ${label}`,
        value: f.heapKbPerStream,
        unit: 'KB',
        anchor: 'bare SSE server, JS heap per stream',
        anchorValue: bare.heapKbPerStream,
        target: '',
        met: null,
      },
      {
        figure: `RSS with ${STREAM_COUNT} streams, ${label}`,
        value: f.withStreamsMb,
        unit: 'MB',
        anchor: 'bare SSE server, same streams',
        anchorValue: bare.withStreamsMb,
        target: label === 'PostgreSQL' ? '≤ 512 MB' : '',
        met: label === 'PostgreSQL' ? f.withStreamsMb <= 512 : null,
      },
      {
        figure: `status change → every stream, p99, ${label}`,
        value: f.p99,
        unit: 'ms',
        anchor: 'bare SSE server, p99',
        anchorValue: bare.p99,
        target: '≤ 250 ms',
        met: f.p99 <= 250,
      },
    );

  if (!quick) {
    const { default: pg } = await import('pg');
    const name = `cc_bench_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_SERVER_URL });
    try {
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
    } catch (error) {
      console.warn(`  streams: PostgreSQL unavailable (${(error as Error).message}): its rows are left out`);
      await admin.end().catch(() => undefined);
      return addPglite();
    }
    try {
      const url = new URL(PG_SERVER_URL);
      url.pathname = `/${name}`;
      add(
        'PostgreSQL',
        (await measureStreams('postgres', 'postgres', { BENCH_DATABASE_URL: url.toString() })).figures,
      );
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  }
  return addPglite();

  async function addPglite() {
    add('PGlite', (await measureStreams('pglite', 'pglite')).figures);
    return rows;
  }
};
