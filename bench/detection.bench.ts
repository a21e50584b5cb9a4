/**
 * Detection in `npm run bench` (issue 13, goal 4): bench/detection.ts in a child process — N USDC
 * payments to a local anvil (30; 10 with `--quick`) per watcher mode, from the block's `newHeads`
 * (the anchor: anvil's own WebSocket notification, seen by a separate client in the same run) to the
 * status on the buyer's event stream. Each figure is a percentile over the N payments of one run.
 * @module
 */
import type { BenchModule, BenchRow } from './support/bench-row.js';
import { runStandalone } from './support/standalone.js';

/** A p50/p95 pair, ms. */
interface Percentiles {
  p50: number;
  p95: number;
}

/** What bench/detection.ts reports. */
interface DetectionFigures {
  payments: number;
  modes: { mode: string; toHead: Percentiles; toStatus: Percentiles; detection: Percentiles }[];
}

export const run: BenchModule['run'] = async ({ quick }) => {
  const figures = await runStandalone<DetectionFigures>('detection.ts', quick ? { N: '10' } : {});
  const rows: BenchRow[] = [];
  for (const m of figures.modes) {
    const subscription = m.mode === 'subscription';
    rows.push({
      figure: `block → status on SSE, ${m.mode}, p95 of ${figures.payments}`,
      value: m.detection.p95,
      unit: 'ms',
      anchor: 'send → newHeads p95 (anvil WebSocket)',
      anchorValue: m.toHead.p95,
      target: subscription ? '≤ 50 ms' : '',
      met: subscription ? m.detection.p95 <= 50 : null,
    });
  }
  return rows;
};
