/**
 * How the standalone bench scripts (detection, instances, large-store, watcher: each `npm run
 * bench:<name>`, with its own printed table for deep runs) join the one table of `npm run bench`:
 * the harness's module `bench/<name>.bench.ts` runs the script in a child process of its own with
 * `BENCH_JSON=1` (and smaller sizes through the script's environment variables for `--quick`), and
 * the script hands its figures back as one `BENCH_JSON {…}` line on stdout. A child process keeps
 * each script's memory, open handles and `process.exit` apart from the harness.
 * @module
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MARK = 'BENCH_JSON ';

/**
 * In a standalone script: prints `figures` for the harness when it runs the script (`BENCH_JSON`
 * set); does nothing otherwise.
 */
export function reportFigures(figures: unknown): void {
  if (process.env.BENCH_JSON) console.log(`${MARK}${JSON.stringify(figures)}`);
}

/**
 * Runs `bench/<script>` (TypeScript, through tsx, as `npm run bench:<name>` does) with `env` added,
 * and resolves with the figures it reported; rejects with the end of its output if it failed or
 * reported nothing. `args` go to the script (e.g. `--pglite`).
 * @example const figures = await runStandalone<{ p50: number }>('detection.ts', { N: '10' });
 */
export function runStandalone<T>(
  script: string,
  env: Record<string, string> = {},
  args: string[] = [],
): Promise<T> {
  const file = fileURLToPath(new URL(`../${script}`, import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@crypto-checkout/source', '--import', 'tsx', file, ...args],
      { env: { ...process.env, ...env, BENCH_JSON: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = output.split('\n').find((l) => l.startsWith(MARK));
      if (code === 0 && line) resolve(JSON.parse(line.slice(MARK.length)) as T);
      else
        reject(
          new Error(`${script} exited ${code}${line ? '' : ' without figures'}:\n${output.slice(-2_000)}`),
        );
    });
  });
}

/** The middle value of `values` (the upper one of an even count). */
export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
