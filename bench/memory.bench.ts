/**
 * PGlite's idle memory (issue 13): the RSS of a process holding an open PGlite database as the
 * server opens it (`openPglite`: `shared_buffers` of {@link PGLITE_SHARED_BUFFERS}), beside a bare
 * PGlite with PostgreSQL's defaults (128 MB `shared_buffers`) and a bare node process, each in its
 * own child process on a copy of the same migrated folder, after a GC; and single-row inserts a
 * second in both PGlite processes, so that a smaller buffer pool is not paid for in throughput.
 * Also an in-memory PGlite (`memory://`, tests and `data_dir: memory://`) as the server opens it —
 * from the build's template — beside one made by initdb, as it was before.
 * @module
 */
import { fork } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchModule, BenchRow } from './support/bench-row.js';

type Kind = 'node' | 'pglite-defaults' | 'pglite-server' | 'memory-initdb' | 'memory-server';
interface Measured {
  rssMb: number;
  insertsPerSecond: number;
}

/** In a child: opens the folder the `kind` way, inserts `inserts` rows one by one, reports RSS. */
async function child(kind: Kind, dir: string, inserts: number): Promise<Measured> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (kind === 'node') {
    gc?.();
    return { rssMb: process.memoryUsage().rss / 1048576, insertsPerSecond: 0 };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const { openPglite, wrapPglite } = await import('../packages/server/src/store/database.js');
  const db =
    kind === 'pglite-server'
      ? await openPglite(dir)
      : kind === 'memory-server'
        ? await openPglite('memory://', { fromTemplate: true })
        : kind === 'memory-initdb'
          ? wrapPglite(await PGlite.create('memory://'))
          : wrapPglite(await PGlite.create(dir));
  if (kind === 'memory-initdb')
    await (await import('../packages/server/src/store/migrations.js')).migrate(db);
  await db.exec('CREATE TABLE bench_rows (id serial PRIMARY KEY, body text)');
  const started = performance.now();
  for (let i = 0; i < inserts; i += 1)
    await db.query('INSERT INTO bench_rows (body) VALUES ($1)', [`row ${i}`.padEnd(100, '.')]);
  const insertsPerSecond = inserts / ((performance.now() - started) / 1000);
  gc?.();
  await new Promise((resolve) => setTimeout(resolve, 200));
  gc?.();
  const rssMb = process.memoryUsage().rss / 1048576;
  await db.close();
  return { rssMb, insertsPerSecond };
}

const self = fileURLToPath(import.meta.url);
if (process.argv[2] === '--child') {
  const [kind, dir, inserts] = process.argv.slice(3) as [Kind, string, string];
  process.send!(await child(kind, dir, Number(inserts)));
  process.exit(0);
}

/** Runs {@link child} in a fresh node process (tsx, the source, like the other benches). */
function inChild(kind: Kind, dir: string, inserts: number): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const proc = fork(self, ['--child', kind, dir, String(inserts)], {
      execArgv: ['--expose-gc', '--conditions=@crypto-checkout/source', '--import', 'tsx'],
      stdio: 'inherit',
    });
    proc.once('message', (message) => resolve(message as Measured));
    proc.once('exit', (code) => (code ? reject(new Error(`${kind} child exited ${code}`)) : undefined));
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export const run: BenchModule['run'] = async ({ quick }) => {
  const rounds = quick ? 1 : 3;
  const inserts = quick ? 300 : 2_000;
  const scratch = await mkdtemp(join(tmpdir(), 'cc-bench-memory-'));
  try {
    // One migrated folder (from the build's template when there is one, else initdb), copied per child.
    const { openPglite } = await import('../packages/server/src/store/database.js');
    const { migrate } = await import('../packages/server/src/store/migrations.js');
    const seed = join(scratch, 'seed');
    const db = await openPglite(seed);
    await migrate(db);
    await db.close();
    const kinds = ['node', 'pglite-defaults', 'pglite-server', 'memory-initdb', 'memory-server'] as const;
    const results = Object.fromEntries(kinds.map((k) => [k, [] as Measured[]])) as Record<Kind, Measured[]>;
    for (let round = 0; round < rounds; round += 1) {
      for (const kind of kinds) {
        const dir = join(scratch, `${kind}-${round}`);
        await cp(seed, dir, { recursive: true });
        results[kind].push(await inChild(kind, dir, inserts));
      }
    }
    const rss = (kind: Kind) => median(results[kind].map((r) => r.rssMb));
    const rate = (kind: Kind) => median(results[kind].map((r) => r.insertsPerSecond));
    const idle = (kind: Kind) => rss(kind) - rss('node');
    const rows: BenchRow[] = [
      {
        figure: 'PGlite process idle RSS (as the server opens it)',
        value: rss('pglite-server'),
        unit: 'MB',
        anchor: 'bare PGlite, PostgreSQL defaults, RSS',
        anchorValue: rss('pglite-defaults'),
        target: '',
        met: null,
      },
      {
        figure: "PGlite's own idle memory (RSS − bare node)",
        value: idle('pglite-server'),
        unit: 'MB',
        anchor: 'same, PostgreSQL defaults',
        anchorValue: idle('pglite-defaults'),
        target: '≤ ½ of the defaults',
        met: idle('pglite-server') <= idle('pglite-defaults') / 2,
      },
      {
        figure: 'PGlite single-row inserts (as the server opens it)',
        value: rate('pglite-server'),
        unit: '/s',
        anchor: 'same, PostgreSQL defaults',
        anchorValue: rate('pglite-defaults'),
        target: '',
        met: null,
      },
      {
        figure: 'in-memory PGlite idle RSS (the server: from the template)',
        value: rss('memory-server'),
        unit: 'MB',
        anchor: 'in-memory PGlite after initdb (before)',
        anchorValue: rss('memory-initdb'),
        target: '≤ ½ of before',
        met: rss('memory-server') <= rss('memory-initdb') / 2,
      },
    ];
    return rows;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
};
