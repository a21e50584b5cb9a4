/**
 * `npm run bench` — runs every bench module (`bench/*.bench.ts`, each exporting `run({ quick })`;
 * see bench/README.md) one after the other and prints ONE table: each figure beside its anchor
 * measured in the same run, the ratio of the two, and the target. `--quick` runs short rounds (a
 * smoke run, not figures to record); `--only=<name>[,<name>]` runs the named modules only. Not part
 * of `npm test`: it prints figures, it does not judge them (the `met` column only reads the target).
 * @module
 */
import { cpus } from 'node:os';
import { readdir } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchModule, BenchRow } from './support/bench-row.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const dir = fileURLToPath(new URL('.', import.meta.url));
const names = (await readdir(dir))
  .filter((file) => file.endsWith('.bench.ts'))
  .map((file) => file.slice(0, -'.bench.ts'.length))
  .filter((name) => !only || only.includes(name))
  .sort();

console.log(
  `bench: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, node ${process.version}${quick ? ' (quick)' : ''}`,
);
const rows: (BenchRow & { bench: string })[] = [];
const failed: string[] = [];
const began = performance.now();
for (const name of names) {
  const started = performance.now();
  console.log(`running ${name}…`);
  // One module failing (no PostgreSQL, no build, a node that did not start) leaves the others' rows.
  try {
    const module = (await import(pathToFileURL(`${dir}${name}.bench.ts`).href)) as BenchModule;
    for (const row of await module.run({ quick })) rows.push({ bench: name, ...row });
    console.log(`  ${name} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } catch (error) {
    failed.push(name);
    console.log(
      `  ${name} FAILED after ${((performance.now() - started) / 1000).toFixed(1)} s: ${String(error)}`,
    );
  }
}

const number = (value: number) =>
  value >= 100 ? Math.round(value).toLocaleString('en') : value.toPrecision(3).replace(/\.?0+$/, '');
const spread = (runs?: number[]) =>
  runs && runs.length > 1
    ? `${number(Math.min(...runs))}–${number(Math.max(...runs))} (${runs.length})`
    : '-';
const table = [
  ['bench', 'figure', 'value', 'spread (runs)', 'anchor', 'anchor value', 'ratio', 'target', 'met'],
  ...rows.map((r) => [
    r.bench,
    r.figure,
    `${number(r.value)} ${r.unit}`,
    spread(r.runs),
    r.anchor,
    r.anchorValue ? number(r.anchorValue) : '-',
    r.anchorValue ? `${(r.value / r.anchorValue).toFixed(2)}×` : '-',
    r.target || '-',
    r.met === null ? '-' : r.met ? 'yes' : 'NO',
  ]),
];
const widths = table[0]!.map((_, i) => Math.max(...table.map((line) => line[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
console.log();
console.log(line(table[0]!));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const cells of table.slice(1)) console.log(line(cells));
console.log(
  `\n${rows.length} rows in ${((performance.now() - began) / 60_000).toFixed(1)} min` +
    (failed.length ? `; FAILED: ${failed.join(', ')}` : ''),
);
// Handles a bench left open (a pool's idle timer) must not keep the harness running.
process.exit(0);
