/**
 * `npm run bench:startup` — how long the compiled server (`node packages/server/dist/main.js`, what
 * `crypto-checkout-server start` runs) takes from spawn until it accepts requests, on a fresh PGlite
 * folder (unpacked from the build's template) and on an existing one; and, in this process, PGlite's
 * own initdb of a fresh folder (what a start without the template pays) against unpacking the template. Anchors measured in the same run: spawning
 * `node -e 0`, and spawning node to import the server's modules and exit. Not part of `npm test`:
 * it prints figures (median of 5 runs each), it does not judge them. Run `npm run build` first.
 * @module
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../test/support/built.js';
import { startAnvil } from '../test/support/chain.js';
import { testMerchantWallet } from '../test/support/stack.js';

const RUNS = 5;
const MAIN = join(REPO, 'packages/server/dist/main.js');
const anvil = await startAnvil();
const xpub = testMerchantWallet().xpub;
const scratch = await mkdtemp(join(tmpdir(), 'cc-bench-startup-'));

/** Milliseconds from spawning `args` until `done(output)` holds (or the process exits, for anchors). */
function timeSpawn(args: string[], env: Record<string, string>, done?: (output: string) => boolean) {
  return new Promise<{ ms: number; child: ReturnType<typeof spawn> }>((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH!, ...env }, stdio: 'pipe' });
    let output = '';
    const check = (chunk: Buffer) => {
      output += chunk.toString();
      if (done?.(output)) resolve({ ms: performance.now() - started, child });
    };
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    child.once('exit', (code) =>
      done
        ? reject(new Error(`exited ${code}: ${output}`))
        : resolve({ ms: performance.now() - started, child }),
    );
  });
}

/**
 * Spawns the server on `dataDir` and resolves with the milliseconds until it logs `until`: Fastify's
 * "Server listening at" (it accepts requests) or main.ts's "backend is listening" (its watchers and
 * webhook worker have started too).
 */
async function startServerOnce(dataDir: string, until: string): Promise<number> {
  const { ms, child } = await timeSpawn(
    [MAIN],
    {
      PORT: '0',
      HOST: '127.0.0.1',
      CC_DATA_DIR: dataDir,
      CC_XPUB: xpub,
      CC_CHAINS: JSON.stringify([{ key: 'anvil', rpc_url: anvil.rpcUrl }]),
    },
    (output) => output.includes(until),
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  return ms;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const rows: Record<string, string>[] = [];
async function measure(label: string, run: (i: number) => Promise<number>) {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i += 1) times.push(await run(i));
  rows.push({
    what: label,
    'median ms': median(times).toFixed(0),
    runs: times.map((t) => t.toFixed(0)).join(' '),
  });
}

await measure('anchor: spawn node -e 0', async () => (await timeSpawn(['-e', '0'], {})).ms);
await measure(
  'anchor: spawn node, import the server, exit',
  async () =>
    (
      await timeSpawn(
        ['--input-type=module', '-e', `await import(${JSON.stringify(MAIN.replace('main.js', 'index.js'))})`],
        {},
      )
    ).ms,
);
await measure('server accepts requests, fresh PGlite folder (template)', (i) =>
  startServerOnce(join(scratch, `fresh-${i}`), 'Server listening at'),
);
await measure('… and its workers run', (i) =>
  startServerOnce(join(scratch, `fresh-workers-${i}`), 'backend is listening'),
);
// In this process, the part the template replaces: PGlite's own first start (initdb) against the
// template unpacked and opened.
const { PGlite } = await import('@electric-sql/pglite');
const { unpackTemplate } = await import('../packages/server/src/store/pglite-template.js');
await measure('in process: PGlite initdb of a fresh folder', async (i) => {
  const started = performance.now();
  const db = await PGlite.create(join(scratch, `initdb-${i}`));
  const ms = performance.now() - started;
  await db.close();
  return ms;
});
await measure('in process: unpack the template and open it', async (i) => {
  const started = performance.now();
  await unpackTemplate(join(scratch, `unpacked-${i}`));
  const db = await PGlite.create(join(scratch, `unpacked-${i}`));
  const ms = performance.now() - started;
  await db.close();
  return ms;
});
await measure('server accepts requests, existing PGlite folder', () =>
  startServerOnce(join(scratch, 'fresh-0'), 'Server listening at'),
);

console.table(rows);
await anvil.stop();
await rm(scratch, { recursive: true, force: true });
