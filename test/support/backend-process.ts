import { spawn, type ChildProcess } from 'node:child_process';
import { REPO, serverEntry } from './built.js';
import { childLogFile, recordSecrets, TEST_LOG_DIR } from './logs.js';
import { waitFor } from './wait.js';

/** The backend's real entry point (`packages/server/dist/main.js`) running as a child process. */
export interface BackendProcess {
  url: string;
  /** The port it listens on: pass it as `PORT` to start the next one where clients expect it. */
  port: number;
  child: ChildProcess;
  /** Every line it wrote (pino JSON on stdout, anything on stderr). */
  lines: string[];
  /** The last lines of its output, for failure messages. */
  tail(): string;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
  /** Kills it with `signal` and waits until it has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

/**
 * Spawns the compiled backend, `node packages/server/dist/main.js` as an operator runs it, with `env` on top of a clean environment (no
 * configuration leaks in from the shell) and waits until `GET /health` answers. Without `env.PORT` it
 * listens on a port the system chooses (0), read from its "listening" log line: no probing.
 */
export async function spawnBackend(env: Record<string, string>): Promise<BackendProcess> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) =>
        !key.startsWith('CC_') &&
        !['DATABASE_URL', 'PORT', 'HOST', 'LOG_LEVEL', 'NODE_TEST_CONTEXT'].includes(key),
    ),
  );
  const child = spawn(process.execPath, [await serverEntry('main')], {
    cwd: REPO,
    // Under the log scan it logs at trace, whatever the test asked, into the scan's folder.
    env: {
      ...inherited,
      HOST: '127.0.0.1',
      PORT: '0',
      ...env,
      ...(TEST_LOG_DIR ? { LOG_LEVEL: 'trace' } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  recordSecrets(...(env.CC_SECRET_KEYS ?? '').split(','), env.CC_ENCRYPTION_KEY);
  const logFile = childLogFile(`backend-${child.pid}`);
  if (logFile) {
    child.stdout!.pipe(logFile);
    child.stderr!.pipe(logFile);
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines: string[] = [];
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const complete = (partial + chunk.toString()).split('\n');
    partial = complete.pop()!;
    lines.push(...complete.filter(Boolean));
  });
  child.stderr!.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
  const tail = () => lines.slice(-30).join('\n');
  /** The URL it says it listens on: main.ts's "listening" line (pino JSON) carries `url`. */
  const announced = () =>
    lines
      .filter((line) => line.includes('listening'))
      .map((line) => /"url":"(http:\/\/127\.0\.0\.1:(\d+))"/.exec(line))
      .find(Boolean) ?? null;
  const backend: BackendProcess = {
    url: '',
    port: 0,
    child,
    lines,
    tail,
    exited,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
  await waitFor(
    async () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`the backend exited (${child.exitCode ?? child.signalCode}):\n${tail()}`);
      }
      const listening = announced();
      if (!listening) return false;
      backend.url = listening[1]!;
      backend.port = Number(listening[2]);
      return (await fetch(`${backend.url}/health`)).ok;
    },
    30_000,
    'the backend to answer /health',
  ).catch(async (error: unknown) => {
    await backend.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n--- backend output ---\n${tail()}`);
  });
  return backend;
}
