/**
 * Start-up of the compiled server (`node packages/server/dist/main.js`, what `crypto-checkout-server
 * start` runs), issue 13 goal 7: from spawn until the API port accepts a connection, until the first
 * request (a `GET /health` sent as soon as the port accepts) is answered, and until the workers run
 * (main.ts's "backend is listening") — on a fresh PGlite folder (unpacked from the build's template)
 * and on an existing one. Anchors measured in the same run: spawning `node -e 0`, and spawning node to
 * import the server's modules and exit. Standalone (`npm run bench:startup`) it also times, in this
 * process, PGlite's own initdb of a fresh folder against unpacking the template. `npm run bench` takes
 * its rows through bench/startup.bench.ts. Run `npm run build` first.
 * @module
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO } from '../test/support/built.js';
import { startAnvil } from '../test/support/chain.js';
import { testMerchantWallet } from '../test/support/stack.js';

const MAIN = join(REPO, 'packages/server/dist/main.js');

/** Milliseconds from spawning node with `args` until it exits. */
function timeExit(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH! }, stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', () => resolve(performance.now() - started));
  });
}

/** A port nothing listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * One `GET /health` to `port`: resolves with the milliseconds (from `started`) at which the connection
 * was accepted and the answer arrived, or `null` when the connection was refused.
 */
function probe(port: number, started: number) {
  return new Promise<{ accepted: number; answered: number } | null>((resolve) => {
    let accepted = 0;
    const req = request({ host: '127.0.0.1', port, path: '/health', agent: false }, (res) => {
      res.resume();
      res.once('end', () => resolve({ accepted, answered: performance.now() - started }));
    });
    req.once('socket', (socket) => socket.once('connect', () => (accepted = performance.now() - started)));
    req.once('error', () => resolve(null));
    req.end();
  });
}

/** What one start of the server took, in ms from spawn. */
export interface StartTimes {
  /** The API port accepted a connection. */
  accepted: number;
  /** The first request, sent as soon as the port accepted, was answered. */
  answered: number;
  /** main.ts logged "backend is listening": the workers (watchers, webhook delivery) run too. */
  workers: number;
}

/** Spawns the compiled server on `dataDir` and times its start (see {@link StartTimes}), then stops it. */
export async function startServerOnce(dataDir: string, rpcUrl: string): Promise<StartTimes> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH!,
      PORT: String(port),
      HOST: '127.0.0.1',
      CC_DATA_DIR: dataDir,
      CC_XPUB: testMerchantWallet().xpub,
      CC_CHAINS: JSON.stringify([{ key: 'anvil', rpc_url: rpcUrl }]),
    },
    stdio: 'pipe',
  });
  let output = '';
  let exited = false;
  const workers = new Promise<number>((resolve, reject) => {
    const check = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('backend is listening')) resolve(performance.now() - started);
    };
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    child.once('exit', (code) => {
      exited = true;
      reject(new Error(`server exited ${code}: ${output}`));
    });
  });
  workers.catch(() => undefined);
  try {
    let first: { accepted: number; answered: number } | null = null;
    while (!first) {
      if (exited) await workers; // throws with the server's output
      first = await probe(port, started);
      if (!first) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return { ...first, workers: await workers };
  } finally {
    if (!exited) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await gone;
    }
  }
}

/** The middle value. */
export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Every figure of the start-up bench, each as its runs in ms. */
export interface StartupRuns {
  nodeExit: number[];
  importServer: number[];
  fresh: StartTimes[];
  existing: StartTimes[];
}

/** Runs the spawns `runs` times each (one anvil for all) and returns every run's times. */
export async function measureStartup(runs: number): Promise<StartupRuns> {
  const anvil = await startAnvil();
  const scratch = await mkdtemp(join(tmpdir(), 'cc-bench-startup-'));
  try {
    const result: StartupRuns = { nodeExit: [], importServer: [], fresh: [], existing: [] };
    const importArgs = [
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(pathToFileURL(MAIN.replace('main.js', 'index.js')).href)})`,
    ];
    // Interleaved, so that a noisy moment of a shared machine spreads over every figure.
    for (let i = 0; i < runs; i += 1) {
      result.nodeExit.push(await timeExit(['-e', '0']));
      result.importServer.push(await timeExit(importArgs));
      result.fresh.push(await startServerOnce(join(scratch, `fresh-${i}`), anvil.rpcUrl));
      result.existing.push(await startServerOnce(join(scratch, `fresh-${i}`), anvil.rpcUrl));
    }
    return result;
  } finally {
    await anvil.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}

// Standalone: `npm run bench:startup`.
if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  const RUNS = 5;
  const rows: Record<string, string>[] = [];
  const show = (label: string, times: number[]) =>
    rows.push({
      what: label,
      'median ms': median(times).toFixed(0),
      runs: times.map((t) => t.toFixed(0)).join(' '),
    });
  const measured = await measureStartup(RUNS);
  show('anchor: spawn node -e 0', measured.nodeExit);
  show('anchor: spawn node, import the server, exit', measured.importServer);
  for (const [label, starts] of [
    ['fresh PGlite folder (template)', measured.fresh],
    ['existing PGlite folder', measured.existing],
  ] as const) {
    show(
      `${label}: port accepts`,
      starts.map((s) => s.accepted),
    );
    show(
      `${label}: first request answered`,
      starts.map((s) => s.answered),
    );
    show(
      `${label}: workers run`,
      starts.map((s) => s.workers),
    );
  }
  // In this process, the part the template replaces: PGlite's own first start (initdb) against the
  // template unpacked and opened.
  const { PGlite } = await import('@electric-sql/pglite');
  const { unpackTemplate } = await import('../packages/server/src/store/pglite-template.js');
  const scratch = await mkdtemp(join(tmpdir(), 'cc-bench-startup-'));
  const inProcess = async (label: string, run: (i: number) => Promise<number>) => {
    const times: number[] = [];
    for (let i = 0; i < RUNS; i += 1) times.push(await run(i));
    show(label, times);
  };
  await inProcess('in process: PGlite initdb of a fresh folder', async (i) => {
    const started = performance.now();
    const db = await PGlite.create(join(scratch, `initdb-${i}`));
    const ms = performance.now() - started;
    await db.close();
    return ms;
  });
  await inProcess('in process: unpack the template and open it', async (i) => {
    const started = performance.now();
    await unpackTemplate(join(scratch, `unpacked-${i}`));
    const db = await PGlite.create(join(scratch, `unpacked-${i}`));
    const ms = performance.now() - started;
    await db.close();
    return ms;
  });
  await rm(scratch, { recursive: true, force: true });
  console.table(rows);
}
