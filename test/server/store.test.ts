import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe } from 'node:test';
import { buildApp, type App } from '../../packages/server/src/app.js';
import { parseConfig } from '../../packages/server/src/config.js';
import type { Database } from '../../packages/server/src/store/database.js';
import { MIGRATIONS, migrate } from '../../packages/server/src/store/migrations.js';
import {
  SessionStore,
  type DepositRecord,
  type SessionRecord,
  type TransferRecord,
} from '../../packages/server/src/store/session-store.js';
import { FAKE_USDC, testSecretBox } from '../support/app.js';
import { pgliteBackend, postgresBackend, testOn } from '../support/backends.js';
import { testMerchantWallet, testSecretKey } from '../support/stack.js';
import { testLogger } from '../support/logs.js';

const hex = (bytes: number) => `0x${randomBytes(bytes).toString('hex')}`;
const MAX_UINT256 = 2n ** 256n - 1n;

const ALL_VERSIONS = MIGRATIONS.map((m) => m.version);

/** Records transfers and moves the cursor, as the watcher does (no block hashes). */
function recordBlocks(store: SessionStore, chainId: number, transfers: TransferRecord[], toBlock: number) {
  return store.db.transaction((tx) =>
    store.recordBlocks(tx, chainId, { transfers, blocks: [], toBlock, keepFrom: 0 }, new Date()),
  );
}

function sessionRecord(overrides: Partial<SessionRecord> = {}): SessionRecord {
  const id = `cs_${randomBytes(12).toString('hex')}`;
  return {
    id,
    client_secret: `${id}_secret_${randomBytes(16).toString('hex')}`,
    status: 'open',
    amount: '10.00',
    currency: 'USD',
    order_id: null,
    metadata: {},
    methods: ['usdc@anvil'],
    success_url: null,
    cancel_url: null,
    created_at: new Date(),
    expires_at: new Date(Date.now() + 30 * 60_000),
    paid_at: null,
    canceled_at: null,
    canceled_at_block: null,
    review_reasons: [],
    livemode: false,
    fingerprint: '',
    ...overrides,
  };
}

async function insertSession(store: SessionStore, overrides: Partial<SessionRecord> = {}) {
  const record = sessionRecord(overrides);
  await store.db.transaction((tx) => store.insertSession(tx, record));
  return record;
}

function transfer(
  sessionId: string,
  chainId: number,
  overrides: Partial<TransferRecord> = {},
): TransferRecord {
  return {
    chain_id: chainId,
    tx_hash: hex(32),
    log_index: 0,
    session_id: sessionId,
    address: hex(20),
    token_address: FAKE_USDC,
    token_symbol: 'USDC',
    decimals: 6,
    from_address: hex(20),
    amount_atomic: 1_000_000n,
    block_number: 100,
    block_hash: hex(32),
    block_time: new Date(),
    seen_at: new Date(),
    ...overrides,
  };
}

/** A fresh chain id per test, so each test has its own cursor. */
let nextChainId = 1_000;
const freshChainId = () => (nextChainId += 1);

async function countRows(db: Database, sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM (${sql}) AS q`, params);
  return Number(rows[0]!.n);
}

for (const backend of [pgliteBackend(), postgresBackend()]) {
  describe(`store on ${backend.name}`, () => {
    let db: Database;
    let store: SessionStore;

    const it = testOn(backend);

    before(async () => {
      await backend.setup();
      if (backend.unavailable) return;
      db = await backend.migrated();
      store = new SessionStore(db, testSecretBox);
    });
    after(() => backend.cleanup());

    describe('migrations', () => {
      it('apply once, and a second run applies nothing and leaves one schema', async () => {
        const fresh = await backend.fresh();
        assert.deepEqual(await migrate(fresh), ALL_VERSIONS);
        assert.deepEqual(await migrate(fresh), []);
        const { rows } = await fresh.query<{ version: number }>('SELECT version FROM schema_migrations');
        assert.deepEqual(
          rows.map((r) => r.version),
          ALL_VERSIONS,
        );
        const tables = await fresh.query<{ table_name: string }>(
          `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
        );
        assert.deepEqual(
          tables.rows.map((r) => r.table_name),
          [
            'abandoned_deposits',
            'api_keys',
            'chain_blocks',
            'chain_cursors',
            'deposits',
            'idempotency_keys',
            'ledger_entries',
            'merchant_sessions',
            'payouts',
            'schema_migrations',
            'session_events',
            'sessions',
            'sweeps',
            'transfers',
            'tron_export_transactions',
            'tron_treasury_cursors',
            'utxo_reservations',
            'utxo_treasury_addresses',
            'webhook_attempts',
            'webhook_deliveries',
            'webhook_endpoints',
            'webhook_events',
          ],
        );
      });

      it('two instances migrating at the same moment apply each migration exactly once', async () => {
        const first = await backend.fresh();
        const second = await backend.another(first);
        const results = await Promise.all([migrate(first), migrate(second)]);
        assert.deepEqual(results.flat(), ALL_VERSIONS, `applied: ${JSON.stringify(results)}`);
        assert.equal(await countRows(first, 'SELECT * FROM schema_migrations'), ALL_VERSIONS.length);
        // The schema works: the sequence exists once and hands out 0 first.
        const fresh = new SessionStore(first, testSecretBox);
        assert.equal(await fresh.nextDerivationIndex(first), 0);
      });
    });

    describe('recordBlocks', () => {
      it('stores the transfers and the cursor together and returns the sessions it touched', async () => {
        const chainId = freshChainId();
        const a = await insertSession(store);
        const b = await insertSession(store);
        const touched = await recordBlocks(
          store,
          chainId,
          [
            transfer(a.id, chainId, { block_number: 101 }),
            transfer(a.id, chainId, { block_number: 103, log_index: 4 }),
            transfer(b.id, chainId, { block_number: 103, log_index: 7 }),
          ],
          105,
        );
        assert.deepEqual(touched.sort(), [a.id, b.id].sort());
        assert.equal(await store.getCursor(db, chainId), 105);
        assert.equal(
          await countRows(db, 'SELECT * FROM transfers WHERE chain_id = $1 AND session_id = $2', [
            chainId,
            a.id,
          ]),
          2,
        );
        assert.equal(
          await countRows(db, 'SELECT * FROM transfers WHERE chain_id = $1 AND session_id = $2', [
            chainId,
            b.id,
          ]),
          1,
        );
      });

      it('recording the same block range twice counts each (chain, tx hash, log index) once', async () => {
        const chainId = freshChainId();
        const s = await insertSession(store);
        const txHash = hex(32);
        const batch = [
          transfer(s.id, chainId, { tx_hash: txHash, log_index: 0, amount_atomic: 3n }),
          transfer(s.id, chainId, { tx_hash: txHash, log_index: 1, amount_atomic: 4n }),
        ];
        assert.deepEqual(await recordBlocks(store, chainId, batch, 110), [s.id]);
        // The same range again (e.g. after a crash between the write and the ack): nothing new.
        assert.deepEqual(await recordBlocks(store, chainId, batch, 110), []);
        // The same log once more inside a bigger batch with a different amount: still the first one wins.
        assert.deepEqual(
          await recordBlocks(
            store,
            chainId,
            [{ ...batch[0]!, amount_atomic: 999n, seen_at: new Date() }],
            111,
          ),
          [],
        );
        const bundle = await store.loadBundle(db, s.id);
        assert.deepEqual(
          bundle!.transfers.map((t) => [t.tx_hash, t.log_index, t.amount_atomic]),
          [
            [txHash, 0, 3n],
            [txHash, 1, 4n],
          ],
        );
        // The same tx hash and log index on another chain is another transfer.
        const other = freshChainId();
        assert.deepEqual(await recordBlocks(store, other, [{ ...batch[0]!, chain_id: other }], 5), [s.id]);
      });

      it('never moves the cursor backwards', async () => {
        const chainId = freshChainId();
        await recordBlocks(store, chainId, [], 200);
        await recordBlocks(store, chainId, [], 150);
        assert.equal(await store.getCursor(db, chainId), 200);
        await recordBlocks(store, chainId, [], 201);
        assert.equal(await store.getCursor(db, chainId), 201);
      });

      it('a failing batch stores neither its transfers nor the cursor', async () => {
        const chainId = freshChainId();
        const s = await insertSession(store);
        await recordBlocks(store, chainId, [], 50);
        const good = transfer(s.id, chainId, { block_number: 60 });
        // The second transfer names a session that does not exist: the foreign key fails mid-batch.
        const bad = transfer('cs_doesnotexist', chainId, { block_number: 61 });
        await assert.rejects(recordBlocks(store, chainId, [good, bad], 80));
        assert.equal(await store.getCursor(db, chainId), 50);
        assert.equal(await countRows(db, 'SELECT * FROM transfers WHERE chain_id = $1', [chainId]), 0);
        // Also on a chain that had no cursor yet.
        const firstRun = freshChainId();
        await assert.rejects(recordBlocks(store, firstRun, [{ ...good, chain_id: firstRun }, bad], 80));
        assert.equal(await store.getCursor(db, firstRun), null);
        // The store is still usable after the rollback, and the retry stores the good transfer.
        assert.deepEqual(await recordBlocks(store, chainId, [good], 80), [s.id]);
        assert.equal(await store.getCursor(db, chainId), 80);
      });
    });

    describe('reorg bookkeeping', () => {
      const block = (number: number, hash = hex(32)) => ({ number, hash, parent_hash: hex(32) });

      it('keeps the hashes of recent blocks only, and rewind undoes transfers, hashes and cursor above the ancestor', async () => {
        const chainId = freshChainId();
        const a = await insertSession(store);
        const b = await insertSession(store);
        const blocks = [block(10), block(11), block(12), block(13)];
        await db.transaction((tx) =>
          store.recordBlocks(
            tx,
            chainId,
            {
              transfers: [
                transfer(a.id, chainId, { block_number: 11 }),
                transfer(b.id, chainId, { block_number: 12 }),
                transfer(b.id, chainId, { block_number: 13, log_index: 2 }),
              ],
              blocks,
              toBlock: 13,
              keepFrom: 11,
            },
            new Date(),
          ),
        );
        assert.equal(await store.blockHash(chainId, 10), null, 'below keepFrom is dropped');
        assert.equal(await store.blockHash(chainId, 12), blocks[2]!.hash);

        const result = await db.transaction((tx) => store.rewind(tx, chainId, 11, new Date()));
        assert.deepEqual(result, { sessions: [b.id], transfers: 2 });
        assert.equal(await store.getCursor(db, chainId), 11);
        assert.equal(await store.blockHash(chainId, 12), null);
        assert.equal(await store.blockHash(chainId, 11), blocks[1]!.hash);
        assert.equal((await store.loadBundle(db, a.id))!.transfers.length, 1);
        assert.equal((await store.loadBundle(db, b.id))!.transfers.length, 0);
        // Rescanning the new fork stores its blocks and moves the cursor forward again.
        await db.transaction((tx) =>
          store.recordBlocks(
            tx,
            chainId,
            { transfers: [], blocks: [block(12)], toBlock: 12, keepFrom: 0 },
            new Date(),
          ),
        );
        assert.equal(await store.getCursor(db, chainId), 12);
      });

      it('sessionsConfirmingAt lists sessions whose transfers were below their confirmations at the cursor', async () => {
        const chainId = freshChainId();
        const confirming = await insertSession(store);
        const settled = await insertSession(store);
        await recordBlocks(
          store,
          chainId,
          [
            transfer(confirming.id, chainId, { block_number: 98 }),
            transfer(settled.id, chainId, { block_number: 90 }),
          ],
          100,
        );
        // No deposits: the chain's 3 confirmations apply. At 100, block 98 has 3 → no longer confirming.
        assert.deepEqual(await store.sessionsConfirmingAt(db, chainId, 99, 3, 64), [confirming.id]);
        assert.deepEqual(await store.sessionsConfirmingAt(db, chainId, 100, 3, 64), []);
        assert.deepEqual(
          (await store.sessionsConfirmingAt(db, chainId, 99, 12, 64)).sort(),
          [confirming.id, settled.id].sort(),
        );
      });

      it('depositsToWatch reads deposits stored after a number plus the holes asked for again, never expired ones, whatever their index', async () => {
        const chainId = freshChainId();
        const now = new Date();
        // The last deposit's index is reserved first (as the derivation pool does): it is stored
        // with the lowest index, after the others, and still read as stored after them.
        const early = await db.transaction((tx) => store.nextDerivationIndex(tx));
        const addresses: string[] = [];
        for (const [n, watchUntil] of [
          new Date(now.getTime() + 60_000),
          new Date(now.getTime() - 1),
          new Date(now.getTime() + 60_000),
        ].entries()) {
          const s = await insertSession(store);
          const index = n === 2 ? early : await db.transaction((tx) => store.nextDerivationIndex(tx));
          addresses.push(hex(20));
          await db.transaction((tx) =>
            store.insertDeposit(tx, {
              session_id: s.id,
              method: 'usdc@anvil',
              chain_id: chainId,
              token_symbol: 'USDC',
              token_address: FAKE_USDC,
              decimals: 6,
              address: addresses[n]!,
              derivation_index: index,
              amount_due_atomic: 1n,
              amount_min_atomic: 1n,
              rate: '1',
              rate_sources: [],
              rate_locked_until: null,
              confirmations_required: 1,
              created_at: now,
              watch_until: watchUntil,
            }),
          );
        }
        const { rows } = await db.query<{ watch_seq: string }>(
          'SELECT watch_seq::text AS watch_seq FROM deposits WHERE address = ANY($1::text[]) ORDER BY watch_seq',
          [addresses],
        );
        const [first, expired, third] = rows.map((row) => Number(row.watch_seq)) as [number, number, number];
        assert.ok(first < expired && expired < third, 'numbered in the order stored');
        const after = await store.depositsToWatch(first, [], now);
        assert.deepEqual(
          after.filter((d) => addresses.includes(d.address)).map((d) => [d.watch_seq, d.derivation_index]),
          [[third, early]],
          'the deposit stored last is read after the first, its lower index notwithstanding',
        );
        const withGap = (await store.depositsToWatch(third, [first, expired], now)).map((d) => d.watch_seq);
        assert.deepEqual(withGap, [first]);
        // The newest numbers, expired deposits among them: what tells a hole from an expired deposit.
        const recent = await store.recentWatchSeqs(10);
        assert.equal(recent.highest, third);
        for (const seq of [first, expired, third]) assert.ok(recent.stored.includes(seq), `${seq} stored`);
      });
    });

    describe('abandoned deposits (the buyer went back)', () => {
      const depositOf = async (
        sessionId: string,
        chainId: number,
        watchUntil: Date,
      ): Promise<DepositRecord> => {
        const index = await db.transaction((tx) => store.nextDerivationIndex(tx));
        return {
          session_id: sessionId,
          method: 'usdc@anvil',
          chain_id: chainId,
          token_symbol: 'USDC',
          token_address: FAKE_USDC,
          decimals: 6,
          address: hex(20),
          derivation_index: index,
          amount_due_atomic: 10_000_000n,
          amount_min_atomic: 10_000_000n,
          rate: '1',
          rate_sources: [{ source: 'static USDC/USD', rate: '1', at: new Date(0).toISOString() }],
          rate_locked_until: null,
          confirmations_required: 1,
          created_at: new Date(),
          watch_until: watchUntil,
        };
      };

      it('going back keeps the deposit, stamped, still watched, and a new choice takes a new index', async () => {
        const chainId = freshChainId();
        const now = new Date();
        const s = await insertSession(store);
        const first = await depositOf(s.id, chainId, new Date(now.getTime() + 60_000));
        await db.transaction((tx) => store.insertDeposit(tx, first));

        assert.equal(await db.transaction((tx) => store.abandonDepositIfUnpaid(tx, s.id, now)), true);
        assert.equal((await store.loadBundle(db, s.id))!.deposit, null);
        const [kept, ...none] = await store.abandonedDeposits(db, s.id);
        assert.deepEqual(none, []);
        assert.deepEqual(kept, {
          session_id: s.id,
          method: first.method,
          chain_id: chainId,
          token_symbol: 'USDC',
          token_address: FAKE_USDC,
          decimals: 6,
          address: first.address,
          derivation_index: first.derivation_index,
          amount_due_atomic: 10_000_000n,
          rate: '1',
          rate_sources: first.rate_sources,
          created_at: first.created_at,
          watch_until: first.watch_until,
          abandoned_at: now,
        });
        // Still watched (a full read, and an incremental one that asks for its number again: it
        // keeps the one it had as a deposit).
        const watched = await store.depositsToWatch(-1, [], now);
        const seen = watched.find((d) => d.address === first.address && d.session_id === s.id);
        assert.ok(seen);
        const again = await store.depositsToWatch(seen.watch_seq, [seen.watch_seq], now);
        assert.deepEqual(
          again.filter((d) => d.session_id === s.id).map((d) => d.derivation_index),
          [first.derivation_index],
        );
        // Not after its watch window.
        const later = new Date(first.watch_until.getTime() + 1);
        assert.ok(!(await store.depositsToWatch(-1, [], later)).some((d) => d.session_id === s.id));

        // A new choice for the same session: a new index, both addresses watched.
        const second = await depositOf(s.id, chainId, first.watch_until);
        assert.ok(second.derivation_index > first.derivation_index);
        await db.transaction((tx) => store.insertDeposit(tx, second));
        assert.equal((await store.loadBundle(db, s.id))!.deposit!.address, second.address);
        const both = (await store.depositsToWatch(-1, [], now)).filter((d) => d.session_id === s.id);
        assert.deepEqual(
          both.map((d) => d.address),
          [first.address, second.address],
        );
      });

      it('a deposit whose address received a transfer is not set aside; one on an abandoned address does not hold the new one', async () => {
        const chainId = freshChainId();
        const now = new Date();
        const s = await insertSession(store);
        const first = await depositOf(s.id, chainId, new Date(now.getTime() + 60_000));
        await db.transaction((tx) => store.insertDeposit(tx, first));
        await recordBlocks(store, chainId, [transfer(s.id, chainId, { address: first.address })], 100);
        assert.equal(await db.transaction((tx) => store.abandonDepositIfUnpaid(tx, s.id, now)), false);
        assert.equal((await store.loadBundle(db, s.id))!.deposit!.address, first.address);
        assert.deepEqual(await store.abandonedDeposits(db, s.id), []);

        // Another session: a transfer reached its abandoned address; the current one can still go.
        const t = await insertSession(store);
        const old = await depositOf(t.id, chainId, new Date(now.getTime() + 60_000));
        await db.transaction((tx) => store.insertDeposit(tx, old));
        assert.equal(await db.transaction((tx) => store.abandonDepositIfUnpaid(tx, t.id, now)), true);
        const current = await depositOf(t.id, chainId, old.watch_until);
        await db.transaction((tx) => store.insertDeposit(tx, current));
        await recordBlocks(store, chainId, [transfer(t.id, chainId, { address: old.address })], 101);
        assert.equal(await db.transaction((tx) => store.abandonDepositIfUnpaid(tx, t.id, now)), true);
        assert.deepEqual(
          (await store.abandonedDeposits(db, t.id)).map((d) => d.address),
          [old.address, current.address],
        );
      });
    });

    describe('appendEvent', () => {
      it('numbers events 1, 2, 3 … per session', async () => {
        const a = await insertSession(store);
        const b = await insertSession(store);
        const now = new Date();
        const seqs: [string, number][] = [];
        for (const id of [a.id, b.id, a.id, a.id, b.id]) {
          const event = await db.transaction(async (tx) => {
            await store.loadBundle(tx, id, true);
            return store.appendEvent(tx, id, 'session.updated', { n: seqs.length }, now);
          });
          seqs.push([id, event.seq]);
        }
        assert.deepEqual(seqs, [
          [a.id, 1],
          [b.id, 1],
          [a.id, 2],
          [a.id, 3],
          [b.id, 2],
        ]);
        const events = await store.eventsAfter(a.id, 1);
        assert.deepEqual(
          events.map((e) => [e.seq, e.payload]),
          [
            [2, { n: 2 }],
            [3, { n: 3 }],
          ],
        );
        assert.equal((await store.latestEvent(b.id))!.seq, 2);
      });

      it('concurrent writers holding the session lock get 1..n with no gaps and no repeats', async () => {
        const s = await insertSession(store);
        const other = await backend.another(db);
        const otherStore = new SessionStore(other, testSecretBox);
        const writers = Array.from({ length: 24 }, (_, i) => {
          const st = i % 2 ? otherStore : store;
          return st.db.transaction(async (tx) => {
            await st.loadBundle(tx, s.id, true);
            return (await st.appendEvent(tx, s.id, 'session.updated', { i }, new Date())).seq;
          });
        });
        const seqs = (await Promise.all(writers)).sort((x, y) => x - y);
        assert.deepEqual(
          seqs,
          Array.from({ length: 24 }, (_, i) => i + 1),
        );
      });

      it('concurrent refreshes of one session from two instances write each change once, without gaps', async () => {
        const apps: App[] = [];
        const secretKey = testSecretKey();
        const config = parseConfig({
          secret_keys: [secretKey],
          xpub: testMerchantWallet().xpub,
          chains: [
            {
              key: 'anvil',
              id: 31337,
              name: 'Anvil (local)',
              rpc_url: 'http://127.0.0.1:1',
              // High, so that every new block changes what the buyer sees (x/40 confirmations).
              confirmations: 40,
              tokens: [{ symbol: 'USDC', address: FAKE_USDC, decimals: 6, peg: 'USD' }],
            },
          ],
        });
        apps.push(await buildApp({ config, db, logger: testLogger(), secrets: testSecretBox }));
        apps.push(
          await buildApp({
            config,
            db: await backend.another(db),
            logger: testLogger(),
            secrets: testSecretBox,
          }),
        );
        try {
          const [one, two] = apps as [App, App];
          const created = await one.sessions.create({ amount: '10.00', currency: 'USD' });
          const chosen = await two.sessions.choosePayment(created.id, 'usdc@anvil');
          const start = (await one.store.getCursor(db, 31337)) ?? 5_000;
          await recordBlocks(
            one.store,
            31337,
            [
              transfer(created.id, 31337, {
                address: chosen.payment!.address,
                amount_atomic: 10_000_000n,
                block_number: start + 1,
              }),
            ],
            start + 1,
          );
          const rounds = 6;
          for (let round = 0; round < rounds; round += 1) {
            if (round > 0) await recordBlocks(one.store, 31337, [], start + 1 + round);
            const results = await Promise.all(
              Array.from({ length: 8 }, (_, i) => apps[i % 2]!.sessions.refresh(created.id)),
            );
            assert.equal(
              results.filter((event) => event !== null).length,
              1,
              `round ${round}: exactly one refresh writes the change`,
            );
          }
          const events = await one.store.eventsAfter(created.id, 0);
          // open, updated (method chosen), processing (1/40), then one update per new block.
          assert.deepEqual(
            events.map((e) => e.seq),
            Array.from({ length: 3 + rounds - 1 }, (_, i) => i + 1),
          );
          assert.deepEqual(
            events.slice(0, 3).map((e) => e.type),
            ['session.open', 'session.updated', 'session.processing'],
          );
          const last = events.at(-1)!.payload as { transfers: { confirmations: number }[] };
          assert.equal(last.transfers[0]!.confirmations, rounds);
        } finally {
          await Promise.all(apps.map((app) => app.server.close()));
        }
      });
    });

    describe('nextDerivationIndex', () => {
      it('never hands out the same index twice, even to concurrent and rolled-back transactions', async () => {
        const other = new SessionStore(await backend.another(db), testSecretBox);
        const attempts = Array.from({ length: 40 }, (_, i) => {
          const st = i % 2 ? other : store;
          return st.db
            .transaction(async (tx) => {
              const index = await st.nextDerivationIndex(tx);
              if (i % 5 === 0) throw Object.assign(new Error('rolled back'), { index });
              return index;
            })
            .catch((error: Error & { index: number }) => error.index);
        });
        const indexes = await Promise.all(attempts);
        assert.equal(new Set(indexes).size, indexes.length, `repeated: ${indexes.join(',')}`);
        assert.ok(indexes.every((i) => Number.isInteger(i) && i >= 0));
        // An index handed to a transaction that rolled back is not reused either.
        const next = await db.transaction((tx) => store.nextDerivationIndex(tx));
        assert.ok(next > Math.max(...indexes), `${next} after ${Math.max(...indexes)}`);
      });
    });

    describe('loadBundle', () => {
      it('loadBundleGrouped answers concurrent reads each with its own session (or null), as loadBundle does', async () => {
        const sessions = await Promise.all(Array.from({ length: 5 }, () => insertSession(store)));
        const ids = [...sessions.map((s) => s.id), sessions[0]!.id, 'cs_nosuchsession'];
        const statements: string[] = [];
        const query = store.db.query.bind(store.db);
        const counted = Object.assign(Object.create(store.db) as Database, {
          query: (sql: string, params?: unknown[]) => {
            statements.push(sql);
            return query(sql, params);
          },
        });
        const grouped = new SessionStore(counted, testSecretBox);
        const answers = await Promise.all(ids.map((id) => grouped.loadBundleGrouped(id)));
        const singly = await Promise.all(ids.map((id) => store.loadBundle(db, id)));
        assert.deepEqual(answers, singly);
        assert.equal(answers.at(-1), null);
        assert.deepEqual(
          answers.slice(0, -1).map((b) => b!.session.id),
          ids.slice(0, -1),
        );
        // PGlite: one statement for the seven reads; PostgreSQL: one each, side by side on the pool.
        assert.equal(statements.length, backend.name === 'PGlite' ? 1 : ids.length);
        // A read asked after a write sees it.
        await db.query(`UPDATE sessions SET order_id = 'after-write' WHERE id = $1`, [sessions[1]!.id]);
        assert.equal((await grouped.loadBundleGrouped(sessions[1]!.id))!.session.order_id, 'after-write');
      });

      it('round-trips bigint amounts exactly (2^200 and 2^256-1 atomic units), big block numbers and dates', async () => {
        const createdAt = new Date('2024-02-29T23:59:59.123Z');
        const session = await insertSession(store, {
          status: 'processing',
          amount: '123456789012345678.99',
          order_id: 'A-1',
          metadata: { cart: [1, 'two', { three: null }], unicode: 'Grüße ✓' },
          methods: ['usdc@anvil', 'eth@anvil'],
          success_url: 'https://shop.example/thanks',
          created_at: createdAt,
          expires_at: new Date('2024-03-01T00:29:59.999Z'),
          paid_at: new Date('2024-03-01T00:00:00.001Z'),
          fingerprint: 'processing|usdc@anvil',
        });
        const chainId = freshChainId();
        const index = await db.transaction((tx) => store.nextDerivationIndex(tx));
        const deposit: DepositRecord = {
          session_id: session.id,
          method: 'usdc@anvil',
          chain_id: chainId,
          token_symbol: 'USDC',
          token_address: FAKE_USDC,
          decimals: 6,
          address: hex(20),
          derivation_index: index,
          amount_due_atomic: 2n ** 200n,
          amount_min_atomic: 2n ** 200n - 7n,
          rate: '1',
          rate_sources: [],
          rate_locked_until: null,
          confirmations_required: 2,
          created_at: new Date('2024-02-29T23:59:59.500Z'),
          watch_until: new Date('2024-03-02T00:29:59.999Z'),
        };
        await db.transaction((tx) => store.insertDeposit(tx, deposit));
        const transfers = [
          transfer(session.id, chainId, {
            address: deposit.address,
            amount_atomic: MAX_UINT256,
            block_number: 2 ** 40,
            log_index: 3,
            seen_at: new Date('2024-03-01T00:00:00.007Z'),
          }),
          transfer(session.id, chainId, {
            address: deposit.address,
            token_address: null,
            log_index: -1,
            amount_atomic: 2n ** 200n + 1n,
            block_number: 2 ** 40 + 1,
          }),
        ];
        await recordBlocks(store, chainId, transfers, 2 ** 40 + 5);

        const bundle = await store.loadBundle(db, session.id);
        assert.ok(bundle);
        assert.deepEqual(bundle.session, session);
        assert.deepEqual(bundle.deposit, deposit);
        assert.deepEqual(bundle.transfers, transfers);
        assert.equal(bundle.cursors.get(chainId), 2 ** 40 + 5);
        assert.equal(typeof bundle.deposit!.amount_due_atomic, 'bigint');
        assert.equal(bundle.transfers[0]!.amount_atomic, MAX_UINT256);
        assert.ok(bundle.session.created_at instanceof Date);
        assert.equal(bundle.session.created_at.toISOString(), '2024-02-29T23:59:59.123Z');
        assert.equal(await store.loadBundle(db, 'cs_missing'), null);
      });

      it('lists transfers in chain order: by block number as a number, then log index', async () => {
        const session = await insertSession(store);
        const chainId = freshChainId();
        const at = (block_number: number, log_index: number) =>
          transfer(session.id, chainId, { block_number, log_index });
        // Recorded out of order, across a change in the number of digits (9 → 10 → 100).
        await recordBlocks(store, chainId, [at(100, 0), at(10, 2), at(9, 5), at(10, 1)], 100);
        const bundle = await store.loadBundle(db, session.id);
        assert.deepEqual(
          bundle!.transfers.map((t) => [t.block_number, t.log_index]),
          [
            [9, 5],
            [10, 1],
            [10, 2],
            [100, 0],
          ],
        );
      });
    });
  });
}
