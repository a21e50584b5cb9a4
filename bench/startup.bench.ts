/**
 * Start-up in `npm run bench` (issue 13, goal 7): bench/startup.ts's spawns of the compiled server —
 * spawn → the API port accepts, → the first request is answered, → the workers run — on a fresh
 * PGlite folder and on an existing one, each the median of 5 runs (3 with `--quick`), beside the
 * anchors of the same runs: spawning `node -e 0` and spawning node to import the server's modules.
 * Needs `npm run build` (the compiled server and its PGlite template).
 * @module
 */
import { measureStartup, median } from './startup.js';
import type { BenchModule, BenchRow } from './support/bench-row.js';

export const run: BenchModule['run'] = async ({ quick }) => {
  const m = await measureStartup(quick ? 3 : 5);
  const row = (
    figure: string,
    runs: number[],
    anchor: string,
    anchorRuns: number[],
    target = '',
  ): BenchRow => {
    const value = median(runs);
    return {
      figure,
      value,
      unit: 'ms',
      anchor,
      anchorValue: median(anchorRuns),
      target: target ? `≤ ${target} ms` : '',
      met: target ? value <= Number(target) : null,
      runs,
    };
  };
  const spawnNode = 'spawn node -e 0';
  const importServer = 'spawn node, import the server, exit';
  return [
    row('anchor: spawn node, import the server, exit', m.importServer, spawnNode, m.nodeExit),
    row(
      'fresh PGlite: spawn → port accepts',
      m.fresh.map((s) => s.accepted),
      spawnNode,
      m.nodeExit,
      '1000',
    ),
    row(
      'fresh PGlite: spawn → first request answered',
      m.fresh.map((s) => s.answered),
      importServer,
      m.importServer,
    ),
    row(
      'fresh PGlite: spawn → workers run',
      m.fresh.map((s) => s.workers),
      importServer,
      m.importServer,
    ),
    row(
      'existing PGlite: spawn → port accepts',
      m.existing.map((s) => s.accepted),
      spawnNode,
      m.nodeExit,
      '1000',
    ),
    row(
      'existing PGlite: spawn → first request answered',
      m.existing.map((s) => s.answered),
      importServer,
      m.importServer,
    ),
  ];
};
