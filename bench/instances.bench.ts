/**
 * Several instances in `npm run bench` (issue 13, goal 5): bench/instances.ts in a child process —
 * two compiled instances on one PostgreSQL database and one anvil: chain RPC calls per block of both
 * together beside one instance alone (the anchor, same run), and SIGKILL of the leader → the
 * follower leads, the median of 5 kills (3 with `--quick`) beside the lock retry interval. Needs
 * `npm run build` and PostgreSQL.
 * @module
 */
import type { BenchModule } from './support/bench-row.js';
import { median, runStandalone } from './support/standalone.js';

/** What bench/instances.ts reports. */
interface InstancesFigures {
  blocks: number;
  alone: number;
  together: number;
  takeovers: number[];
  retryMs: number;
}

export const run: BenchModule['run'] = async ({ quick }) => {
  const f = await runStandalone<InstancesFigures>('instances.ts', quick ? { BLOCKS: '10', KILLS: '3' } : {});
  return [
    {
      figure: `RPC calls per block, 2 instances together (${f.blocks} blocks)`,
      value: f.together,
      unit: 'calls',
      anchor: 'one instance alone',
      anchorValue: f.alone,
      target: '≤ one instance',
      // The two counts are of different blocks; a tenth of a call is the noise of idle polls.
      met: f.together <= f.alone + 0.1,
    },
    {
      figure: `SIGKILL leader → follower leads`,
      value: median(f.takeovers),
      unit: 'ms',
      anchor: 'lock retry interval',
      anchorValue: f.retryMs,
      target: '≤ 10000 ms',
      met: Math.max(...f.takeovers) <= 10_000,
      runs: f.takeovers,
    },
  ];
};
