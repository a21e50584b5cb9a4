/**
 * The fenced chain cursor (issue 13): a watcher's tick records its block range only if the chain's
 * cursor is still where the tick began. A leader that lost its lock (only its lock's connection)
 * while a tick was in flight may finish that tick after a new leader moved the cursor: its write
 * must change nothing — no transfer, no status, no event, no webhook — and the cursor stays where
 * the new leader put it. On PostgreSQL two overlapping ticks are driven in two real transactions
 * (the first holds the cursor's row while the second tries); on PGlite the same calls in turn.
 * @module
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe } from 'node:test';
import type { Session } from '@crypto-checkout/protocol';
import { buildApp, type App } from '../../packages/server/src/app.js';
import type { BlockRange } from '../../packages/server/src/sessions/session-service.js';
import type { Database } from '../../packages/server/src/store/database.js';
import { ChainCursorMovedError, type TransferRecord } from '../../packages/server/src/store/session-store.js';
import { FAKE_USDC, testConfig, testSecretBox } from '../support/app.js';
import { pgliteBackend, postgresBackend, testOn } from '../support/backends.js';
import { testLogger } from '../support/logs.js';
import { testMerchantWallet, testSecretKey } from '../support/stack.js';

const CHAIN = 31337;
const hex = (bytes: number) => `0x${randomBytes(bytes).toString('hex')}`;

for (const backend of [pgliteBackend(), postgresBackend()]) {
  describe(`the chain cursor is fenced: a stale tick writes nothing (${backend.name})`, () => {
    const it = testOn(backend);
    const secretKey = testSecretKey();
    let db: Database;
    let app: App;
    before(async () => {
      await backend.setup();
      if (backend.unavailable) return;
      db = await backend.migrated();
      app = await buildApp({
        config: testConfig({ secret_keys: [secretKey], xpub: testMerchantWallet().xpub }),
        db,
        secrets: testSecretBox,
        logger: testLogger(),
      });
    });
    after(async () => {
      await app?.server.close();
      await backend.cleanup();
    });

    /** A session with its USDC deposit chosen, and a transfer paying it in full at `block`. */
    const paidSession = async (block: number): Promise<{ id: string; transfer: TransferRecord }> => {
      const created = await app.server.inject({
        method: 'POST',
        url: '/v1/sessions',
        headers: { authorization: `Bearer ${secretKey}` },
        payload: { amount: '10.00', currency: 'USD' },
      });
      assert.equal(created.statusCode, 201, created.body);
      const session = created.json<Session & { client_secret: string }>();
      const chosen = await app.server.inject({
        method: 'POST',
        url: `/v1/sessions/${session.id}/payment`,
        headers: { authorization: `Bearer ${session.client_secret}` },
        payload: { method: 'usdc@anvil' },
      });
      assert.equal(chosen.statusCode, 200, chosen.body);
      const address = chosen.json<Session>().payment!.address;
      return {
        id: session.id,
        transfer: {
          chain_id: CHAIN,
          tx_hash: hex(32),
          log_index: 0,
          session_id: session.id,
          address,
          token_address: FAKE_USDC,
          token_symbol: 'USDC',
          decimals: 6,
          from_address: hex(20),
          amount_atomic: 10_000_000n,
          block_number: block,
          block_hash: hex(32),
          block_time: new Date(),
          seen_at: new Date(),
        },
      };
    };

    const range = (
      fromCursor: number | null,
      toBlock: number,
      transfers: TransferRecord[] = [],
    ): BlockRange => ({
      chainId: CHAIN,
      fromBlock: (fromCursor ?? toBlock - 1) + 1,
      toBlock,
      transfers,
      blocks: [],
      keepFrom: 0,
      confirmations: 1,
      reorgDepth: 64,
      fromCursor,
    });

    /** What a tick could have written: the session's status and events, transfers, webhooks. */
    const writes = async (id: string) => {
      const count = async (sql: string, params: unknown[]) =>
        Number((await db.query<{ n: string }>(sql, params)).rows[0]!.n);
      return {
        status: (await db.query<{ status: string }>('SELECT status FROM sessions WHERE id = $1', [id]))
          .rows[0]!.status,
        events: await count('SELECT COUNT(*) AS n FROM session_events WHERE session_id = $1', [id]),
        transfers: await count('SELECT COUNT(*) AS n FROM transfers WHERE session_id = $1', [id]),
        outbox: await count('SELECT COUNT(*) AS n FROM webhook_outbox', []).catch(() => -1),
        cursor: await app.sessions.chainCursor(CHAIN),
      };
    };

    it('two first ticks (no cursor stored yet): the second records nothing', async () => {
      await app.sessions.recordBlockRange(range(null, 10));
      const { id, transfer } = await paidSession(10);
      const before = await writes(id);
      await assert.rejects(app.sessions.recordBlockRange(range(null, 10, [transfer])), ChainCursorMovedError);
      assert.deepEqual(await writes(id), before);
      assert.equal(before.cursor, 10);
    });

    it('a tick that began where a new leader has since moved the cursor records nothing', async () => {
      const { id, transfer } = await paidSession(12);
      // The new leader records 11..12 with the payment; the old one, whose tick also began at 10,
      // finishes afterwards with a longer range and the same payment.
      await app.sessions.recordBlockRange(range(10, 12, [transfer]));
      const afterLeader = await writes(id);
      assert.equal(afterLeader.status, 'processing'); // 2 confirmations required, 1 seen
      assert.equal(afterLeader.transfers, 1);
      await assert.rejects(app.sessions.recordBlockRange(range(10, 13, [transfer])), ChainCursorMovedError);
      assert.deepEqual(await writes(id), afterLeader, 'the stale tick changed something');
      assert.equal(afterLeader.cursor, 12);
    });

    it('two ticks overlapping in time: the one that moves the cursor second is abandoned whole', async () => {
      const { id, transfer } = await paidSession(14);
      const start = await writes(id);
      // Tick A has moved the cursor 12 → 14 inside its transaction (holding the row on PostgreSQL)
      // and has not committed when tick B, also begun at 12, records 13..15 with the payment.
      let moved!: () => void;
      const cursorMoved = new Promise<void>((resolve) => (moved = resolve));
      let commit!: () => void;
      const mayCommit = new Promise<void>((resolve) => (commit = resolve));
      const tickA = app.store.transaction(async (tx) => {
        await app.store.moveCursor(tx, CHAIN, 12, 14, new Date());
        moved();
        await mayCommit;
      });
      await cursorMoved;
      const tickB = app.sessions.recordBlockRange(range(12, 15, [transfer]));
      const settledB = tickB.then(
        () => 'recorded',
        (error: unknown) => (error instanceof ChainCursorMovedError ? 'abandoned' : String(error)),
      );
      commit();
      await tickA;
      assert.equal(await settledB, 'abandoned');
      const end = await writes(id);
      assert.deepEqual({ ...end, cursor: start.cursor }, start, 'the abandoned tick changed something');
      assert.equal(end.cursor, 14);
    });
  });
}
