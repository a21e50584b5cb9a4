/**
 * Large stores in `npm run bench` (issue 13, goal 6): bench/large-store.ts in a child process on
 * PostgreSQL — 1,000,000 sessions (100,000 with `--quick`), 200 calls (50) of each list query — as
 * rows: the lookup by `order_id` and the slowest first page, p99, beside the anchor of the same run
 * (loading one session by primary key). Needs PostgreSQL.
 * @module
 */
import type { BenchModule, BenchRow } from './support/bench-row.js';
import { runStandalone } from './support/standalone.js';

/** What bench/large-store.ts reports. */
interface LargeStoreFigures {
  backend: string;
  rows: number;
  runs: number;
  results: { name: string; p50: number; p99: number }[];
}

export const run: BenchModule['run'] = async ({ quick }) => {
  const f = await runStandalone<LargeStoreFigures>(
    'large-store.ts',
    quick ? { ROWS: '100000', RUNS: '50' } : {},
  );
  const anchor = f.results.find((r) => r.name.startsWith('anchor: one session'))!;
  const queries = f.results.filter((r) => !r.name.startsWith('anchor'));
  const lookup = queries.find((r) => r.name === 'lookup by order_id')!;
  const slowest = queries.filter((r) => r.name.startsWith('first page')).sort((a, b) => b.p99 - a.p99)[0]!;
  const size = `${f.rows.toLocaleString('en')} sessions, ${f.backend}`;
  const row = (figure: string, value: number): BenchRow => ({
    figure: `${figure}, ${size}, p99`,
    value,
    unit: 'ms',
    anchor: 'one session by primary key, p99',
    anchorValue: anchor.p99,
    target: '< 50 ms',
    met: value < 50,
  });
  return [
    row('lookup by order_id', lookup.p99),
    row(`slowest first page (${slowest.name.slice(12)})`, slowest.p99),
  ];
};
