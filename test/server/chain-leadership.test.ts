/**
 * Chain leadership in one process, on the real PostgreSQL: the connection-held advisory lock
 * (`store/connection-lock.ts`) and the leader/follower switch around a chain watcher
 * (`chain/chain-leadership.ts`), with stand-in watchers so that only leadership is under test.
 * The two-process run with real watchers, anvil and SIGKILL is `instances.test.ts`.
 */
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import { pino } from 'pino';
import { startChainLeadership } from '../../packages/server/src/chain/chain-leadership.js';
import type { ChainWatcher } from '../../packages/server/src/chain/evm/chain-watcher.js';
import type { ChainConfig } from '../../packages/server/src/config.js';
import { ConnectionLock } from '../../packages/server/src/store/connection-lock.js';
import type { Database } from '../../packages/server/src/store/database.js';
import { postgresBackend, testOn } from '../support/backends.js';
import { testLogger } from '../support/logs.js';
import { waitFor } from '../support/wait-for.js';

const PG = postgresBackend();
const it = testOn(PG);

type Connectable = Database & Required<Pick<Database, 'connect'>>;

/** A stand-in watcher that only records that it runs. */
function fakeWatcher(running: Set<string>, name: string): ChainWatcher {
  running.add(name);
  return {
    syncOnce: async () => undefined,
    async stop() {
      running.delete(name);
    },
    status: () => ({
      chain: 'anvil',
      startedAt: new Date(),
      lastSuccessAt: new Date(),
      lastNewHeadAt: new Date(),
      head: 1,
      detection: 'polling',
    }),
  };
}

describe('chain leadership on PostgreSQL', () => {
  let one: Connectable;
  let two: Connectable;
  before(async () => {
    await PG.setup();
    if (PG.unavailable) return;
    one = (await PG.fresh()) as Connectable;
    two = (await PG.another(one)) as Connectable;
  });
  after(() => PG.cleanup());

  it('one connection holds a chain lock; it is free again once that connection ends', async () => {
    const a = new ConnectionLock(one, 'chain_watcher', 31337, 'instance-a');
    const b = new ConnectionLock(two, 'chain_watcher', 31337, 'instance-b');
    const other = new ConnectionLock(two, 'chain_watcher', 1, 'instance-b');
    try {
      assert.equal(await a.tryTake(), true);
      assert.equal(await a.tryTake(), true, 'taking it again keeps it');
      assert.equal(await b.tryTake(), false, 'the same chain is taken');
      assert.equal(await other.tryTake(), true, 'another chain is not');
      assert.equal(await b.holder(), 'instance-a');
      assert.equal(await a.stillHeld(), true);
      await a.release();
      assert.equal(await a.stillHeld(), false);
      assert.equal(await b.tryTake(), true, 'free once the holder let go');
      assert.equal(await a.holder(), 'instance-b');
    } finally {
      await Promise.all([a.release(), b.release(), other.release()]);
    }
  });

  it('a follower takes over when the leader stops, and only one watcher runs at a time', async () => {
    const running = new Set<string>();
    const chain = { key: 'anvil', id: 31337 } as ChainConfig;
    const start = (name: string, db: Connectable) =>
      startChainLeadership({
        chain,
        lock: new ConnectionLock(db, 'chain_watcher', chain.id, name),
        startWatcher: () => fakeWatcher(running, name),
        instance: name,
        logger: testLogger() || pino({ level: 'warn' }),
        retryMs: 50,
      });
    const a = start('instance-a', one);
    await waitFor(() => a.status().role === 'leader', 5_000, 'a to lead');
    const b = start('instance-b', two);
    try {
      await waitFor(() => b.status().leader === 'instance-a', 5_000, 'b to name the leader');
      assert.equal(b.status().role, 'follower');
      assert.deepEqual([...running], ['instance-a']);
      await a.stop();
      await waitFor(() => b.status().role === 'leader', 5_000, 'b to take over');
      assert.deepEqual([...running], ['instance-b']);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    assert.equal(running.size, 0);
  });

  it('on PGlite (no lock) the instance leads at once', async () => {
    const running = new Set<string>();
    const led = startChainLeadership({
      chain: { key: 'anvil', id: 1 } as ChainConfig,
      lock: null,
      startWatcher: () => fakeWatcher(running, 'only'),
      instance: 'only',
      logger: testLogger() || pino({ level: 'warn' }),
    });
    assert.equal(led.status().role, 'leader');
    assert.deepEqual([...running], ['only']);
    await led.stop();
    assert.equal(running.size, 0);
  });
});
