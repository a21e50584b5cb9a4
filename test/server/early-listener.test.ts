/**
 * The early listener (packages/server/src/early-listener.ts): the port main.ts opens first thing.
 * Over real sockets: a request sent before the app exists is held and answered once the app's server
 * takes the socket over; the port never closes in between; a port already taken fails at once;
 * closing a start that failed frees the port and drops the held connections. And the compiled
 * server accepts a connection before it can answer, then answers it.
 * @module
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer, request } from 'node:http';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { listenEarly } from '../../packages/server/src/early-listener.js';
import { REPO } from '../support/built.js';
import { testMerchantWallet } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

/** `GET path` on a new connection; resolves with status and body, or rejects (refused, reset). */
function get(port: number, path: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.once('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

/** Whether a new TCP connection to `port` is accepted. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('early listener', () => {
  test('holds a request made before the app exists and the app answers it; the port stays open', async () => {
    const early = await listenEarly({ host: '127.0.0.1', port: 0 });
    const { port } = early.address;
    assert.ok(port > 0);
    const heldAnswer = get(port, '/held');
    await waitFor(() => early.held === 1, 5_000, 'the connection to be held');
    // Nothing answers while held.
    const raced = await Promise.race([heldAnswer.then(() => 'answered'), delay(100).then(() => 'held')]);
    assert.equal(raced, 'held');

    const app = createHttpServer((req, res) => res.end(`app:${req.url}`));
    await new Promise<void>((resolve, reject) => {
      app.once('error', reject);
      app.listen({ handle: early.handle } as never, () => resolve());
    });
    early.handOver(app);
    assert.equal((app.address() as AddressInfo).port, port, 'the app listens on the same port');
    assert.deepEqual(await heldAnswer, { status: 200, body: 'app:/held' });
    assert.deepEqual(await get(port, '/after'), { status: 200, body: 'app:/after' });
    assert.equal(early.held, 0);
    await early.close(); // handed over: leaves the app's socket alone
    assert.equal(await accepts(port), true);
    await new Promise((resolve) => app.close(resolve));
    assert.equal(await accepts(port), false, "the app's close closes the port");
  });

  test('a port already taken fails at once', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    await assert.rejects(listenEarly({ host: '127.0.0.1', port }), { code: 'EADDRINUSE' });
    await new Promise((resolve) => taken.close(resolve));
  });

  test('closing a start that failed drops the held connections and frees the port', async () => {
    const early = await listenEarly({ host: '127.0.0.1', port: 0 });
    const { port } = early.address;
    const answer = get(port, '/never');
    await waitFor(() => early.held === 1, 5_000, 'the connection to be held');
    await early.close();
    await assert.rejects(answer, /socket hang up|ECONNRESET/);
    assert.equal(await accepts(port), false);
  });

  test(
    'the compiled server accepts a connection before it can answer, then answers the request it held',
    { skip: !existsSync(join(REPO, 'packages/server/dist/main.js')) && 'run npm run build first' },
    async () => {
      const scratch = await mkdtemp(join(tmpdir(), 'cc-early-'));
      const port = await new Promise<number>((resolve) => {
        const probe = createServer().listen(0, '127.0.0.1', () => {
          const { port } = probe.address() as AddressInfo;
          probe.close(() => resolve(port));
        });
      });
      const child = spawn(process.execPath, [join(REPO, 'packages/server/dist/main.js')], {
        env: {
          PATH: process.env.PATH!,
          HOST: '127.0.0.1',
          PORT: String(port),
          CC_DATA_DIR: join(scratch, 'data'),
          CC_XPUB: testMerchantWallet().xpub,
          CC_CHAINS: JSON.stringify([{ key: 'anvil', rpc_url: 'http://127.0.0.1:9' }]),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      try {
        await waitFor(() => accepts(port), 60_000, 'the port to accept');
        // The port accepts before the app listens (opening PGlite alone takes longer than the gap
        // between the two): the request is held, then answered by the app.
        assert.ok(
          !output.includes('Server listening'),
          `the app listened before the port accepted:\n${output}`,
        );
        const answer = await get(port, '/health');
        assert.equal(answer.status, 200, output);
        assert.ok(output.includes('Server listening'), output);
      } finally {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await gone;
        await rm(scratch, { recursive: true, force: true });
      }
    },
  );
});

/** Resolves after `ms`. */
function delay(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
