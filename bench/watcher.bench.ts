/**
 * The chain watcher in `npm run bench` (issue 13, goal 8): bench/watcher.ts in a child process —
 * per-block work with 1,000 to 100,000 open payments (1,000 and 10,000 with `--quick`, fewer blocks)
 * on a local anvil and PGlite. Rows: RPC calls per block and per-block time at the largest size,
 * beside the smallest size of the same run (the anchor: the cost should not grow with open payments).
 * @module
 */
import type { BenchModule } from './support/bench-row.js';
import { runStandalone } from './support/standalone.js';

/** What bench/watcher.ts reports. */
interface WatcherFigures {
  blocks: number;
  sizes: { size: number; p50: number; p95: number; rpcPerBlock: number }[];
}

export const run: BenchModule['run'] = async ({ quick }) => {
  const f = await runStandalone<WatcherFigures>(
    'watcher.ts',
    quick ? { SIZES: '1000,10000', BLOCKS: '5' } : {},
  );
  const small = f.sizes[0]!;
  const large = f.sizes.at(-1)!;
  const at = (s: { size: number }) => `${s.size.toLocaleString('en')} open payments`;
  return [
    {
      figure: `RPC calls per block, ${at(large)}`,
      value: large.rpcPerBlock,
      unit: 'calls',
      anchor: `same, ${at(small)}`,
      anchorValue: small.rpcPerBlock,
      target: '≤ 6',
      met: large.rpcPerBlock <= 6,
    },
    {
      figure: `per-block time p50, ${at(large)} (${f.blocks} blocks)`,
      value: large.p50,
      unit: 'ms',
      anchor: `same, ${at(small)}`,
      anchorValue: small.p50,
      target: '',
      met: null,
    },
  ];
};
