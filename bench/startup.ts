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
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO } from '../test/support/built.js';
import { startAnvil } from '../test/support/chain.js';
import { testMerchantWallet } from '../test/support/stack.js';

const MAIN = join(REPO, 'packages/server/dist/main.js');

/** One spawn of node that exits by itself: wall time from spawn to exit, and the CPU time it used. */
export interface Spawned {
  /** ms from spawn to exit. */
  wall: number;
  /** ms of CPU (user + system) the process reported just before it exited. */
  cpu: number;
}

/** Prints the process's CPU time (ms) as it exits: appended to each anchor's script. */
const PRINT_CPU =
  "process.on('exit', () => { const u = process.cpuUsage(); process.stdout.write(String((u.user + u.system) / 1000)); });";

/** Spawns node on the ES module script `script` (with {@link PRINT_CPU} before it) and times it. */
function timeExit(script: string): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--input-type=module', '-e', `${PRINT_CPU}\n${script}`], {
      env: { PATH: process.env.PATH! },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      const wall = performance.now() - started;
      if (code !== 0) reject(new Error(`node exited ${code} on ${script}`));
      else resolve({ wall, cpu: Number(out) });
    });
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

/** A request to the server under test: the status and body, and when the answer arrived (ms from `started`). */
function ask(
  port: number,
  started: number,
  method: 'GET' | 'POST',
  path: string,
  headers: Record<string, string> = {},
  body?: string,
) {
  return new Promise<{ status: number; body: string; answered: number; accepted: number } | null>(
    (resolve) => {
      let accepted = 0;
      const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.once('end', () =>
          resolve({ status: res.statusCode!, body: text, accepted, answered: performance.now() - started }),
        );
      });
      req.once('socket', (socket) => socket.once('connect', () => (accepted = performance.now() - started)));
      req.once('error', () => resolve(null));
      req.end(body);
    },
  );
}

/** The CPU time (user + system, ms) process `pid` has used so far, from `/proc` (`NaN` without it). */
async function processCpuMs(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command's closing parenthesis: state is the first, utime the 12th, stime the 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/** The kernel's clock ticks per second (`getconf CLK_TCK`), 100 on Linux. */
const CLOCK_TICKS = 100;

/** What one start of the server took, in ms from spawn. */
export interface StartTimes {
  /** The API port accepted a connection. */
  accepted: number;
  /**
   * The first request, a `GET /ready` sent as soon as the port accepted, was answered — with the
   * truth: 200 and `ready: true` once the database answers and the chain's watcher runs (checked).
   */
  answered: number;
  /** A `POST /v1/sessions` sent right after that answer was answered 201 (checked). */
  created: number;
  /** main.ts logged "backend is listening": the workers (watchers, webhook delivery) run too. */
  workers: number;
  /** The server's own phase marks from that log line (`startup_ms`: ms since its process started). */
  phases: Record<string, number>;
  /** The CPU time (user + system, ms) the server had used by then (`startup_cpu_ms`). */
  cpu: number;
  /**
   * The CPU time (user + system, ms) the server's process had used when the session create was
   * answered, read from outside (`/proc/<pid>/stat`, Linux; `NaN` elsewhere): comparable between
   * builds whatever they log, and far steadier than wall time on a shared machine.
   */
  cpuAtAnswer: number;
}

/**
 * Spawns the compiled server (`main`: this build's, unless another build's entry is given, to compare
 * two builds in one run) on `dataDir` and times its start (see {@link StartTimes}), then stops it.
 */
export async function startServerOnce(dataDir: string, rpcUrl: string, main = MAIN): Promise<StartTimes> {
  const port = await freePort();
  const secretKey = `sk_test_${randomBytes(24).toString('hex')}`;
  const started = performance.now();
  const child = spawn(process.execPath, [main], {
    env: {
      PATH: process.env.PATH!,
      PORT: String(port),
      HOST: '127.0.0.1',
      CC_DATA_DIR: dataDir,
      CC_XPUB: testMerchantWallet().xpub,
      CC_SECRET_KEYS: secretKey,
      CC_CHAINS: JSON.stringify([{ key: 'anvil', rpc_url: rpcUrl }]),
      CC_RATES: JSON.stringify({ ETH: '2000' }),
    },
    stdio: 'pipe',
  });
  let output = '';
  let exited = false;
  const workers = new Promise<{ at: number; phases: Record<string, number>; cpu: number }>(
    (resolve, reject) => {
      const check = (chunk: Buffer) => {
        output += chunk.toString();
        const line = output.split('\n').find((l) => l.includes('backend is listening'));
        if (!line) return;
        const logged = JSON.parse(line) as { startup_ms?: Record<string, number>; startup_cpu_ms?: number };
        resolve({
          at: performance.now() - started,
          phases: logged.startup_ms ?? {},
          cpu: logged.startup_cpu_ms ?? Number.NaN,
        });
      };
      child.stdout.on('data', check);
      child.stderr.on('data', check);
      child.once('exit', (code) => {
        exited = true;
        reject(new Error(`server exited ${code}: ${output}`));
      });
    },
  );
  workers.catch(() => undefined);
  try {
    let ready: Awaited<ReturnType<typeof ask>> = null;
    while (!ready) {
      if (exited) await workers; // throws with the server's output
      ready = await ask(port, started, 'GET', '/ready');
      if (!ready) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    if (ready.status !== 200 || !(JSON.parse(ready.body) as { ready: boolean }).ready)
      throw new Error(`GET /ready answered ${ready.status} ${ready.body}`);
    const created = await ask(
      port,
      started,
      'POST',
      '/v1/sessions',
      { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' },
      JSON.stringify({ amount: '10.00', currency: 'USD' }),
    );
    if (created?.status !== 201)
      throw new Error(`POST /v1/sessions answered ${created?.status} ${created?.body}`);
    const cpuAtAnswer = await processCpuMs(child.pid!);
    const { at, phases, cpu } = await workers;
    return {
      accepted: ready.accepted,
      answered: ready.answered,
      created: created.answered,
      workers: at,
      phases,
      cpu,
      cpuAtAnswer,
    };
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

/** Every figure of the start-up bench, each as its runs. */
export interface StartupRuns {
  /** Anchor: `node -e 0`, as an ES module script. */
  nodeExit: Spawned[];
  /** Anchor: import what `node dist/main.js` loads to start (the bundle: dist/bundle-server.js), exit. */
  importBundle: Spawned[];
  /** Anchor: import the library build (tsc's modules, `dist/index.js`: what an embedder loads), exit. */
  importModules: Spawned[];
  fresh: StartTimes[];
  existing: StartTimes[];
}

/** Runs the spawns `runs` times each (one anvil for all) and returns every run's times. */
export async function measureStartup(runs: number): Promise<StartupRuns> {
  const anvil = await startAnvil();
  const scratch = await mkdtemp(join(tmpdir(), 'cc-bench-startup-'));
  const importOf = (file: string) =>
    `await import(${JSON.stringify(pathToFileURL(join(REPO, 'packages/server/dist', file)).href)});`;
  try {
    const result: StartupRuns = {
      nodeExit: [],
      importBundle: [],
      importModules: [],
      fresh: [],
      existing: [],
    };
    // Interleaved, so that a noisy moment of a shared machine spreads over every figure.
    for (let i = 0; i < runs; i += 1) {
      result.nodeExit.push(await timeExit('0;'));
      result.importBundle.push(await timeExit(importOf('bundle-server.js')));
      result.importModules.push(await timeExit(importOf('index.js')));
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
  const RUNS = Number(process.env.STARTUP_RUNS ?? 5);
  const rows: Record<string, string>[] = [];
  const show = (label: string, times: number[]) =>
    rows.push({
      what: label,
      'median ms': median(times).toFixed(0),
      runs: times.map((t) => t.toFixed(0)).join(' '),
    });
  const measured = await measureStartup(RUNS);
  const anchors = [
    ['spawn node -e 0', measured.nodeExit],
    ['import the server (bundle) and exit', measured.importBundle],
    ['import the server (tsc modules) and exit', measured.importModules],
  ] as const;
  for (const [label, samples] of anchors) {
    show(
      `anchor: ${label}`,
      samples.map((s) => s.wall),
    );
    show(
      `anchor: ${label}, CPU`,
      samples.map((s) => s.cpu),
    );
  }
  for (const [label, starts] of [
    ['fresh PGlite folder (template)', measured.fresh],
    ['existing PGlite folder', measured.existing],
  ] as const) {
    const figures = [
      ['port accepts', 'accepted'],
      ['GET /ready answered (ready)', 'answered'],
      ['then POST /v1/sessions answered 201', 'created'],
      ['workers run', 'workers'],
      ['server CPU ms when the session create was answered (/proc)', 'cpuAtAnswer'],
      ['CPU used by then', 'cpu'],
    ] as const;
    for (const [figure, key] of figures)
      show(
        `${label}: ${figure}`,
        starts.map((s) => s[key]),
      );
    // The server's own marks (ms since its process started), phase by phase.
    const names = [...new Set(starts.flatMap((s) => Object.keys(s.phases)))];
    for (const name of names)
      show(
        `${label}: phase ${name}`,
        starts.map((s) => s.phases[name] ?? Number.NaN),
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
