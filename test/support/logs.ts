/**
 * The tests' logs, for the scan that proves no secret reaches a log (test/server/log-scan.ts).
 * Without `CC_TEST_LOG_DIR` the tests stay silent as before. With it (`npm run test:server` sets it),
 * every server a test builds logs at `trace` — with the production logger's redaction and
 * serializers (`packages/server/src/logger.ts`) — to a file in that folder, one per test process,
 * and every secret the test support creates or receives is written to a secrets file there, for the
 * scan to look for afterwards.
 * @module
 */
import { appendFileSync, createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { basename, join } from 'node:path';
import type { Writable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import { pino, type Level, type Logger } from 'pino';
import { createLogger, loggerOptions } from '../../packages/server/src/logger.js';

/** The folder the log scan reads, or `undefined` when the tests run silent. */
export const TEST_LOG_DIR: string | undefined = process.env.CC_TEST_LOG_DIR || undefined;

/** Names this test process's files: the test file and the process id. */
const processName = `${basename(process.argv[1] ?? 'node')}.${process.pid}`;

/** This process's log file, opened on first use and shared by every logger it makes. */
let destination: ReturnType<typeof pino.destination> | undefined;
function logDestination(dir: string) {
  if (!destination) {
    mkdirSync(dir, { recursive: true });
    // Synchronous: a test process may end without a chance to flush, and the scan must see every line.
    destination = pino.destination({ dest: join(dir, `${processName}.log`), sync: true });
  }
  return destination;
}

/**
 * The logger a test passes to `buildApp`, `startServer` or a worker: the production logger at
 * `trace` writing to this process's log file, or `false` (silent) when no scan runs.
 * @example const app = await buildApp({ config, db, logger: testLogger() });
 */
export function testLogger(): (FastifyBaseLogger & Logger) | false {
  if (!TEST_LOG_DIR) return false;
  return createLogger('trace', logDestination(TEST_LOG_DIR));
}

/**
 * A logger for a test that reads what the server logs: `sink` gets the lines of `level` and above,
 * as before; with a scan running, every line from `trace` up also goes to the log file. Both use the
 * production logger's options.
 */
export function teeLogger(level: Level, sink: Writable): FastifyBaseLogger & Logger {
  if (!TEST_LOG_DIR) return pino(loggerOptions(level), sink);
  return pino(
    loggerOptions('trace'),
    pino.multistream([
      { level, stream: sink },
      { level: 'trace', stream: logDestination(TEST_LOG_DIR) },
    ]),
  );
}

/**
 * Writes the output of a child process (a compiled server) to its own file in the log folder;
 * `null` when no scan runs.
 */
export function childLogFile(name: string): WriteStream | null {
  if (!TEST_LOG_DIR) return null;
  mkdirSync(TEST_LOG_DIR, { recursive: true });
  return createWriteStream(join(TEST_LOG_DIR, `${processName}.${name}.log`), { flags: 'a' });
}

/**
 * Notes secrets the tests created or were handed (secret keys, client secrets, signing secrets) for
 * the scan to look for; does nothing when no scan runs. One JSON string per line.
 * @example recordSecrets(session.client_secret)
 */
export function recordSecrets(...secrets: (string | null | undefined)[]): void {
  if (!TEST_LOG_DIR) return;
  const lines = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 8);
  if (!lines.length) return;
  mkdirSync(TEST_LOG_DIR, { recursive: true });
  appendFileSync(
    join(TEST_LOG_DIR, `secrets.${process.pid}.txt`),
    lines.map((s) => `${JSON.stringify(s)}\n`).join(''),
  );
}
