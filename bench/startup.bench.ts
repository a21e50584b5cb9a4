/**
 * Start-up in `npm run bench` (issue 13, goal 7): bench/startup.ts's spawns of the compiled server —
 * spawn → the API port accepts, → a `GET /ready` sent then is answered ready, → a `POST /v1/sessions`
 * after it is answered 201, and the server's CPU time by then — on a fresh PGlite folder and on an
 * existing one, each the median of 5 runs (3 with `--quick`), beside the anchors of the same runs:
 * spawning `node -e 0`, and spawning node to import the server (the bundle `node dist/main.js`
 * loads, and tsc's modules) and exit, wall and CPU time.
 * Needs `npm run build` (the compiled server and its PGlite template).
 * @module
 */
import { measureStartup, median, type Spawned } from './startup.js';
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
  const wall = (runs: Spawned[]) => runs.map((r) => r.wall);
  const cpu = (runs: Spawned[]) => runs.map((r) => r.cpu);
  const spawnNode = 'spawn node -e 0';
  const importBundle = 'spawn node, import the server (bundle), exit';
  const rows: BenchRow[] = [
    row(`anchor: ${importBundle}`, wall(m.importBundle), spawnNode, wall(m.nodeExit)),
    row(`anchor: ${importBundle}, CPU ms`, cpu(m.importBundle), `${spawnNode}, CPU ms`, cpu(m.nodeExit)),
    row(
      'anchor: spawn node, import the server (tsc modules, dist/index.js), exit',
      wall(m.importModules),
      importBundle,
      wall(m.importBundle),
    ),
    row(
      'anchor: … import the server (tsc modules), CPU ms',
      cpu(m.importModules),
      `${importBundle}, CPU ms`,
      cpu(m.importBundle),
    ),
  ];
  for (const [label, starts] of [
    ['fresh PGlite', m.fresh],
    ['existing PGlite', m.existing],
  ] as const) {
    rows.push(
      row(
        `${label}: spawn → port accepts`,
        starts.map((s) => s.accepted),
        spawnNode,
        wall(m.nodeExit),
        '1000',
      ),
      row(
        `${label}: spawn → GET /ready answered, ready`,
        starts.map((s) => s.answered),
        importBundle,
        wall(m.importBundle),
        '1000',
      ),
      row(
        `${label}: spawn → then POST /v1/sessions answered 201`,
        starts.map((s) => s.created),
        importBundle,
        wall(m.importBundle),
      ),
      row(
        `${label}: server CPU ms when the session create was answered`,
        starts.map((s) => s.cpuAtAnswer),
        `${importBundle}, CPU ms`,
        cpu(m.importBundle),
      ),
    );
  }
  return rows;
};
