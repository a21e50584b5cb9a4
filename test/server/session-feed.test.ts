/**
 * The session feed's wake-ups under the races a stream can meet (issue 13, "the lost stream
 * wake-up"): an event committed while the feed reads the same session, while a stream reads where
 * it starts, or while another stream joins. Each race is driven deterministically: the store's
 * reads are held at a gate (after the real query ran, so the read's answer predates the commit)
 * while the test commits through the real store on PGlite, whose real `NOTIFY` wakes the feed.
 * The safety poll is set to an hour, so a missed wake-up shows as a failure, never as a late event.
 * @module
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Session } from '@crypto-checkout/protocol';
import { buildApp, type App } from '../../packages/server/src/app.js';
import { SessionFeed, type FeedSubscriber } from '../../packages/server/src/sessions/session-feed.js';
import type { Database } from '../../packages/server/src/store/database.js';
import type { SessionStore, StoredEvent } from '../../packages/server/src/store/session-store.js';
import { testConfig, testSecretBox } from '../support/app.js';
import { pgliteBackend } from '../support/backends.js';
import { testLogger } from '../support/logs.js';
import { testMerchantWallet, testSecretKey } from '../support/stack.js';

/** A guard against a hang, never a measured figure: a lost wake-up fails here. */
const GIVE_UP_MS = 5_000;
const HOUR = 3_600_000;

/** A promise resolved from outside. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Rejects with `what` if `promise` has not settled in {@link GIVE_UP_MS}. */
async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`lost wake-up: ${what}`)), GIVE_UP_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `store` whose `eventsAfter` can be held: while `hold` is on, each read runs its real query and
 * then waits for {@link GatedStore.release}, so its answer is older than what commits meanwhile.
 */
interface GatedStore {
  store: SessionStore;
  hold: boolean;
  /** Resolves when a read is held at the gate. */
  nextHeld(): Promise<void>;
  /** Lets every held read return. */
  release(): void;
}

function gated(real: SessionStore): GatedStore {
  let waiters: (() => void)[] = [];
  let held: (() => void)[] = [];
  const store = Object.create(real) as SessionStore;
  const gate: GatedStore = {
    store,
    hold: false,
    nextHeld: () => new Promise((resolve) => waiters.push(resolve)),
    release() {
      const parked = held;
      held = [];
      for (const go of parked) go();
    },
  };
  store.eventsAfter = async (sessionId, afterSeq, limit) => {
    const rows = await real.eventsAfter(sessionId, afterSeq, limit);
    if (gate.hold) {
      const parked = new Promise<void>((resolve) => held.push(resolve));
      const notify = waiters;
      waiters = [];
      for (const w of notify) w();
      await parked;
    }
    return rows;
  };
  return gate;
}

/** A follower like an event stream: `lastSeq` is `Infinity` until it has read where it starts. */
function follower() {
  let ready = false;
  let last = 0;
  const seqs: number[] = [];
  let waiters: (() => void)[] = [];
  const subscriber: FeedSubscriber = {
    get lastSeq() {
      return ready ? last : Infinity;
    },
    deliver(events: StoredEvent[]) {
      for (const event of events) {
        assert.ok(event.seq > last, `event ${event.seq} delivered twice or out of order`);
        seqs.push(event.seq);
        last = event.seq;
      }
      const notify = waiters;
      waiters = [];
      for (const w of notify) w();
    },
  };
  return {
    subscriber,
    seqs,
    /** Marks it started at `seq` (what its own first read returned). */
    start(seq: number) {
      last = seq;
      ready = true;
    },
    /** Resolves once it has `seq`. */
    async has(seq: number, what: string) {
      while (last < seq) {
        const next = deferred();
        waiters.push(next.resolve);
        await within(next.promise, what);
      }
    },
  };
}

describe('session feed: no wake-up is lost to a race (PGlite, real NOTIFY)', () => {
  const backend = pgliteBackend();
  const secretKey = testSecretKey();
  let db: Database;
  let app: App;
  before(async () => {
    db = await backend.migrated();
    app = await buildApp({
      config: testConfig({ secret_keys: [secretKey], xpub: testMerchantWallet().xpub }),
      db,
      secrets: testSecretBox,
      logger: testLogger(),
    });
  });
  after(async () => {
    await app.server.close();
    await backend.cleanup();
  });

  const createSession = async (): Promise<Session> => {
    const response = await app.server.inject({
      method: 'POST',
      url: '/v1/sessions',
      headers: { authorization: `Bearer ${secretKey}` },
      payload: { amount: '10.00', currency: 'USD' },
    });
    assert.equal(response.statusCode, 201, response.body);
    return response.json();
  };
  /** Commits one more event of the session through the real store (with its `NOTIFY`). */
  const append = (id: string) =>
    app.store.transaction((tx) =>
      app.store.appendEvent(tx, id, 'session.updated', { status: 'open' }, new Date()),
    );
  const newFeed = (store: SessionStore) => {
    return new SessionFeed({ store, safetyPollMs: HOUR });
  };

  test('an event committed while the feed reads the same session is read once more', async () => {
    const { id } = await createSession();
    const gate = gated(app.store);
    const feed = newFeed(gate.store);
    const a = follower();
    await feed.subscribe(id, a.subscriber);
    a.start(1);
    gate.hold = true;
    const held = gate.nextHeld();
    await append(id); // seq 2: its NOTIFY starts a read, which answers [2] and waits at the gate
    await within(held, 'the read of seq 2 never started');
    gate.hold = false;
    await append(id); // seq 3 commits while that read is in flight
    gate.release();
    await a.has(3, 'seq 3, committed during the read of seq 2, never reached the follower');
    assert.deepEqual(a.seqs, [2, 3]);
    assert.equal(feed.reads, 2);
    await feed.close();
  });

  test("an event committed while a stream reads where it starts reaches it (the feed's read skipped it)", async () => {
    const { id } = await createSession();
    const feed = newFeed(app.store);
    const a = follower();
    // The stream's order: subscribe, read its start (seq 1, before the commit below), then start.
    await feed.subscribe(id, a.subscriber);
    const start = await app.store.latestEvent(id);
    const notified = deferred();
    const unlisten = await app.store.db.listen('crypto_checkout_session_events', () => notified.resolve());
    await append(id); // seq 2: announced while the follower has not started; nobody reads it yet
    await within(notified.promise, 'no NOTIFY for seq 2');
    await unlisten();
    assert.equal(feed.reads, 0, 'the feed read for a follower that has not started');
    a.start(start!.seq);
    feed.catchUp(id, a.subscriber);
    await a.has(2, 'seq 2, committed while the stream read its start, never reached it');
    assert.deepEqual(a.seqs, [2]);
    await feed.close();
  });

  test('a stream that starts while the feed reads for another stream of its session gets the next event', async () => {
    const { id } = await createSession();
    const gate = gated(app.store);
    const feed = newFeed(gate.store);
    const a = follower();
    const b = follower();
    await feed.subscribe(id, a.subscriber);
    a.start(1);
    gate.hold = true;
    const held = gate.nextHeld();
    await append(id); // seq 2: a read for A answers [2] and waits
    await within(held, 'the read of seq 2 never started');
    gate.hold = false;
    // B joins now and its own first read (not gated: the route's latestEvent) sees seq 2 already.
    await feed.subscribe(id, b.subscriber);
    b.start((await app.store.latestEvent(id))!.seq);
    feed.catchUp(id, b.subscriber);
    gate.release();
    await a.has(2, 'A never got seq 2');
    await append(id); // seq 3 reaches both
    await a.has(3, 'A never got seq 3');
    await b.has(3, 'B never got seq 3');
    assert.deepEqual(a.seqs, [2, 3]);
    assert.deepEqual(b.seqs, [3]);
    await feed.close();
  });

  test('the route: a change committed while a stream reads where it starts reaches that stream', async () => {
    // The route's own order, end to end over a socket: it subscribes, reads its start (held here
    // after the query, so it answers seq 1), a cancel commits meanwhile, then the start is sent.
    // The app's safety poll (30 s) is far beyond GIVE_UP_MS: only the notification can deliver it.
    const session = (await createSession()) as Session & { client_secret: string };
    await app.server.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.server.address() as AddressInfo;
    const real = app.store.latestEvent;
    const readStart = deferred();
    const go = deferred();
    app.store.latestEvent = async (id) => {
      const event = await real.call(app.store, id);
      readStart.resolve();
      await go.promise;
      return event;
    };
    const received: string[] = [];
    const canceled = deferred();
    const req = httpRequest(
      `http://127.0.0.1:${port}/v1/sessions/${session.id}/events?client_secret=${encodeURIComponent(session.client_secret)}`,
      (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          for (const match of chunk.matchAll(/^data: (.*)$/gm)) {
            const type = (JSON.parse(match[1]!) as { type: string }).type;
            received.push(type);
            if (type === 'session.canceled') canceled.resolve();
          }
        });
      },
    );
    req.end();
    try {
      await within(readStart.promise, 'the stream never read its start');
      const response = await app.server.inject({
        method: 'POST',
        url: `/v1/sessions/${session.id}/cancel`,
        headers: { authorization: `Bearer ${secretKey}` },
      });
      assert.equal(response.statusCode, 200, response.body);
      go.resolve();
      await within(canceled.promise, 'the cancel committed during the first read never reached the stream');
      assert.deepEqual(received, ['session.open', 'session.canceled']);
    } finally {
      app.store.latestEvent = real;
      req.destroy();
    }
  });
});
