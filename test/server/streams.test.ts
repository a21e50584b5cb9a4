/**
 * The live status streams' fan-out (issue 13): an idle stream costs no database query, a change
 * reaches every stream of its session with one read, and a change committed through one instance
 * reaches a stream held by another on the same database (PostgreSQL `NOTIFY`/`LISTEN`, also after
 * the `LISTEN` connection was cut). Real sockets, real databases.
 * @module
 */
import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { Session, SessionEvent } from '@crypto-checkout/protocol';
import { buildApp, type App } from '../../packages/server/src/app.js';
import type { Database } from '../../packages/server/src/store/database.js';
import { testConfig, testSecretBox } from '../support/app.js';
import { pgliteBackend, postgresBackend, testOn } from '../support/backends.js';
import { teeLogger, testLogger } from '../support/logs.js';
import { testMerchantWallet, testSecretKey } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

/** How long a test waits for a stream before it fails (a guard, never a measured figure). */
const GIVE_UP_MS = 20_000;

/** `db` with every query it runs counted, by SQL text. */
function countingDatabase(db: Database): Database & { queries: string[] } {
  const queries: string[] = [];
  return {
    ...db,
    queries,
    query: (sql, params) => {
      queries.push(sql);
      return db.query(sql, params);
    },
  };
}

/** An SSE stream read over a real socket: its events and heartbeats, and waits on them. */
interface Stream {
  events: SessionEvent[];
  heartbeats: number;
  /** Resolves once `ok()` holds (checked on every chunk), or rejects when the stream ends first. */
  until(ok: () => boolean, what: string): Promise<void>;
  close(): void;
}

function openStream(base: string, path: string): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, (res: IncomingMessage) => {
      if (res.statusCode !== 200) return reject(new Error(`stream answered ${res.statusCode}`));
      let buffer = '';
      let ended = false;
      const waiters = new Set<() => void>();
      const stream: Stream = {
        events: [],
        heartbeats: 0,
        until: (ok, what) =>
          new Promise((done, fail) => {
            const timer = setTimeout(() => fail(new Error(`gave up waiting for ${what}`)), GIVE_UP_MS);
            const check = () => {
              if (ok()) {
                clearTimeout(timer);
                waiters.delete(check);
                done();
              } else if (ended) {
                clearTimeout(timer);
                waiters.delete(check);
                fail(new Error(`the stream ended before ${what}`));
              }
            };
            waiters.add(check);
            check();
          }),
        close: () => req.destroy(),
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.startsWith(': heartbeat')) stream.heartbeats++;
          const data = /^data: (.*)$/m.exec(block);
          if (data) stream.events.push(JSON.parse(data[1]!) as SessionEvent);
        }
        for (const check of [...waiters]) check();
      });
      const finish = () => {
        ended = true;
        for (const check of [...waiters]) check();
      };
      res.on('end', finish);
      res.on('close', finish);
      resolve(stream);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The config every app of a test shares (one deployment: same keys, same wallet). */
const shared = { secret_keys: [testSecretKey()], xpub: testMerchantWallet().xpub };

async function startApp(db: Database, streams = { max_streams_per_session: 20 }) {
  const config = testConfig({ ...shared, limits: streams });
  const app = await buildApp({
    config,
    db,
    secrets: testSecretBox,
    logger: testLogger(),
    heartbeatMs: 50,
  });
  await app.server.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.server.address() as AddressInfo;
  return { app, base: `http://127.0.0.1:${port}` };
}

async function createSession(app: App): Promise<Session & { client_secret: string }> {
  const response = await app.server.inject({
    method: 'POST',
    url: '/v1/sessions',
    headers: { authorization: `Bearer ${shared.secret_keys[0]}` },
    payload: { amount: '10.00', currency: 'USD' },
  });
  assert.equal(response.statusCode, 201, response.body);
  return response.json();
}

async function cancel(app: App, id: string): Promise<void> {
  const response = await app.server.inject({
    method: 'POST',
    url: `/v1/sessions/${id}/cancel`,
    headers: { authorization: `Bearer ${shared.secret_keys[0]}` },
  });
  assert.equal(response.statusCode, 200, response.body);
}

const eventsPath = (session: Session & { client_secret: string }) =>
  `/v1/sessions/${session.id}/events?client_secret=${encodeURIComponent(session.client_secret)}`;

/** The reads of new events of a session (the stream's only per-change query). */
const isEventRead = (sql: string) => /FROM session_events WHERE session_id = \$1 AND seq > \$2/.test(sql);

describe('live status streams in one process (PGlite)', () => {
  const backend = pgliteBackend();
  let db: ReturnType<typeof countingDatabase>;
  let app: App;
  let base: string;
  before(async () => {
    const raw = await backend.migrated();
    db = countingDatabase(raw);
    ({ app, base } = await startApp(db));
  });
  after(async () => {
    await app.server.close();
    await backend.cleanup();
  });

  test('idle streams make no database query; a change reaches all streams of its session with one read', async () => {
    const session = await createSession(app);
    const other = await createSession(app);
    const streams = await Promise.all([1, 2, 3, 4, 5].map(() => openStream(base, eventsPath(session))));
    const bystander = await openStream(base, eventsPath(other));
    for (const stream of [...streams, bystander])
      await stream.until(() => stream.events.length === 1, 'the first event');

    // Idle: 50 heartbeats (at least 2.5 s, longer than the per-stream poll of old) go by on every
    // stream, and not one query but, perhaps, the feed's batched safety poll (one for all streams).
    const idleFrom = db.queries.length;
    const beats = [...streams, bystander].map((s) => s.heartbeats);
    await Promise.all(
      [...streams, bystander].map((s, i) => s.until(() => s.heartbeats >= beats[i]! + 50, '50 heartbeats')),
    );
    const isSafetyPoll = (sql: string) => sql.includes('MAX(seq) AS seq');
    assert.deepEqual(
      db.queries.slice(idleFrom).filter((sql) => !isSafetyPoll(sql)),
      [],
      'idle streams queried the database',
    );

    // A change: every stream of the session gets it, from one read; the other session's stream is not read.
    const readsBefore = app.feed.reads;
    const changeFrom = db.queries.length;
    await cancel(app, session.id);
    await Promise.all(
      streams.map((s) =>
        s.until(() => s.events.some((e) => e.type === 'session.canceled'), 'session.canceled'),
      ),
    );
    assert.equal(app.feed.reads - readsBefore, 1, 'one read of the new events for five streams');
    assert.equal(db.queries.slice(changeFrom).filter(isEventRead).length, 1);
    for (const stream of streams)
      assert.deepEqual(
        stream.events.map((e) => e.seq),
        [1, 2],
      );
    assert.equal(bystander.events.length, 1);
    for (const stream of [...streams, bystander]) stream.close();
  });
});

describe("an open stream's connection leaves Node's HTTP server (PGlite)", () => {
  const backend = pgliteBackend();
  let app: App;
  let base: string;
  let logs = '';
  before(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs += chunk.toString();
        done();
      },
    });
    const config = testConfig({ ...shared, limits: { max_streams_per_session: 20 } });
    app = await buildApp({
      config,
      db: await backend.migrated(),
      secrets: testSecretBox,
      logger: teeLogger('info', sink),
      heartbeatMs: 50,
    });
    await app.server.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await app.server.close();
    await backend.cleanup();
  });

  test('a body delimited by the end of the connection, the head written by the route, the request logged when it ends', async () => {
    const session = await createSession(app);
    const answer = await new Promise<{ headers: IncomingMessage['headers']; body: string; ended: boolean }>(
      (resolve, reject) => {
        const req = httpRequest(`${base}${eventsPath(session)}`, (res) => {
          let body = '';
          let canceling: Promise<void> | undefined;
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            body += chunk;
            // Once the first event is in, the session changes: the stream sends it and ends.
            if (!canceling && body.includes('session.open'))
              canceling = cancel(app, session.id).catch(reject);
          });
          res.on('end', () => resolve({ headers: res.headers, body, ended: true }));
        });
        req.on('error', reject);
        req.end();
      },
    );
    // Through Node's response it would be chunked and kept alive: detached, it ends with the connection.
    assert.equal(answer.headers.connection, 'close');
    assert.equal(answer.headers['transfer-encoding'], undefined);
    assert.equal(answer.headers['content-type'], 'text/event-stream; charset=utf-8');
    assert.equal(answer.headers['cache-control'], 'no-cache, no-transform');
    const requestId = answer.headers['x-request-id'];
    assert.ok(
      typeof requestId === 'string' && requestId.length > 0,
      'the request id set by the onRequest hook',
    );
    assert.ok(answer.body.startsWith('retry: 3000\n\n'), answer.body);
    assert.deepEqual(
      [...answer.body.matchAll(/^data: (.*)$/gm)].map((m) => (JSON.parse(m[1]!) as SessionEvent).type),
      ['session.open', 'session.canceled'],
    );
    // Fastify never sees the response end: the route logs the request itself, like Fastify's hook.
    const line = await waitFor(
      () =>
        logs
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, unknown>)
          .find((l) => l.msg === 'request' && l.request_id === requestId),
      GIVE_UP_MS,
      "the stream's request log line",
    );
    assert.equal(line.session_id, session.id);
    assert.equal(line.route, '/v1/sessions/:id/events');
    assert.equal(line.path, `/v1/sessions/${session.id}/events`, 'the path without the query (its secret)');
    assert.equal(line.status, 200);
    assert.equal(typeof line.ms, 'number');
    assert.ok(!logs.includes(session.client_secret), 'the client secret is in no log line');
  });
});

for (const backend of [postgresBackend(), pgliteBackend()]) {
  describe(`live status streams across two instances on one database (${backend.name})`, () => {
    const it = testOn(backend);
    let a: { app: App; base: string };
    let b: { app: App; base: string };
    before(async () => {
      await backend.setup();
      if (backend.unavailable) return;
      const dbA = await backend.migrated();
      a = await startApp(dbA);
      b = await startApp(await backend.another(dbA));
    });
    after(async () => {
      await a?.app.server.close();
      await b?.app.server.close();
      await backend.cleanup();
    });

    it('a stream opened on instance A receives a change committed through instance B', async () => {
      const session = await createSession(b.app);
      const onA = await openStream(a.base, eventsPath(session));
      await onA.until(() => onA.events.length === 1, 'the first event');
      await cancel(b.app, session.id);
      await onA.until(() => onA.events.some((e) => e.type === 'session.canceled'), 'session.canceled on A');
      assert.deepEqual(
        onA.events.map((e) => e.type),
        ['session.open', 'session.canceled'],
      );
      onA.close();
    });

    if (backend.name === 'PostgreSQL') {
      it("a change committed while A's LISTEN connection is cut still reaches A's streams", async () => {
        const session = await createSession(b.app);
        const onA = await openStream(a.base, eventsPath(session));
        await onA.until(() => onA.events.length === 1, 'the first event');
        // Cut every LISTEN connection (A's and B's): notifications sent now reach nobody.
        await b.app.store.db.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
           WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`,
        );
        await cancel(b.app, session.id);
        // A re-reads the sessions it follows once it listens again.
        await onA.until(() => onA.events.some((e) => e.type === 'session.canceled'), 'session.canceled on A');
        assert.deepEqual(
          onA.events.map((e) => e.seq),
          [1, 2],
        );
        onA.close();
      });
    }
  });
}
