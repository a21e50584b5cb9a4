/**
 * Group commit of creates (`SessionStore.insertSessionGrouped`), on PGlite and PostgreSQL: creates
 * arriving together are stored with their first event each, and a row that fails the group's
 * statement fails only its own create — the others are retried alone and stored. Creates started by
 * separate callbacks of one event-loop pass (as requests read from several sockets are) share one
 * statement.
 * @module
 */
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import { buildApp, type App } from '../../packages/server/src/app.js';
import type { Database } from '../../packages/server/src/store/database.js';
import { testConfig, testSecretBox } from '../support/app.js';
import { pgliteBackend, postgresBackend, testOn } from '../support/backends.js';
import { testLogger } from '../support/logs.js';

for (const backend of [pgliteBackend(), postgresBackend()]) {
  describe(`grouped creates on ${backend.name}`, () => {
    const it = testOn(backend);
    let db: Database;
    let app: App;

    before(async () => {
      if (backend.unavailable) return;
      await backend.setup();
      db = await backend.migrated();
      app = await buildApp({ config: testConfig(), db, secrets: testSecretBox, logger: testLogger() });
    });
    after(async () => {
      await app?.server.close();
      await backend.cleanup();
    });

    it('stores every create of a group with its first event', async () => {
      const created = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          app.sessions.create({ amount: `${i + 1}.00`, currency: 'USD' }),
        ),
      );
      for (const session of created) {
        const bundle = await app.sessions.load(session.id);
        assert.equal(bundle?.session.amount, session.amount);
        assert.equal(bundle?.session.client_secret, session.client_secret);
        const events = await db.query<{ seq: number; type: string }>(
          'SELECT seq, type FROM session_events WHERE session_id = $1',
          [session.id],
        );
        assert.deepEqual(events.rows, [{ seq: 1, type: 'session.open' }]);
      }
    });

    it('groups the creates that separate callbacks of one event-loop pass start', async () => {
      // Node drains the microtasks after every I/O callback, as after every immediate: each of these
      // creates starts in a callback of its own, like requests read from different sockets.
      const inserts: string[] = [];
      const query = db.query.bind(db);
      db.query = ((sql: string, params?: unknown[]) => {
        if (/INSERT INTO sessions/.test(sql)) inserts.push(sql);
        return query(sql, params);
      }) as Database['query'];
      try {
        const created = await Promise.all(
          Array.from(
            { length: 8 },
            (_, i) =>
              new Promise<{ id: string }>((resolve, reject) =>
                setImmediate(() =>
                  app.sessions.create({ amount: `${i + 1}.00`, currency: 'USD' }).then(resolve, reject),
                ),
              ),
          ),
        );
        assert.equal(inserts.length, 1, `${inserts.length} insert statements for 8 creates`);
        for (const { id } of created) assert.ok(await app.sessions.load(id), `session ${id} stored`);
      } finally {
        db.query = query;
      }
    });

    it('fails only the create whose row the database refuses', async () => {
      const existing = await app.sessions.create({ amount: '1.00', currency: 'USD' });
      const record = (await app.sessions.load(existing.id))!.session;
      const event = { type: 'session.open' as const, payload: {}, at: new Date() };
      // The same id again (a primary-key violation) in a group with fresh creates.
      const results = await Promise.allSettled([
        app.sessions.create({ amount: '2.00', currency: 'USD' }),
        app.store.insertSessionGrouped({ ...record }, event),
        app.sessions.create({ amount: '3.00', currency: 'USD' }),
      ]);
      assert.equal(results[0].status, 'fulfilled');
      assert.equal(results[1].status, 'rejected');
      assert.equal(results[2].status, 'fulfilled');
      for (const result of [results[0], results[2]]) {
        const id = (result as PromiseFulfilledResult<{ id: string }>).value.id;
        assert.ok(await app.sessions.load(id), `session ${id} stored`);
      }
      // The store keeps grouping after a failed group.
      const later = await app.sessions.create({ amount: '4.00', currency: 'USD' });
      assert.ok(await app.sessions.load(later.id));
    });
  });
}
