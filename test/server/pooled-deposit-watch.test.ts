/**
 * A deposit whose index came from the derivation pool is watched, whenever and in whatever order it
 * is taken (the defect that reverted the first pool, 68837c0): the address book reads deposits by
 * the number each takes when stored (`watch_seq`), not by derivation index, so an index handed out
 * below a (re)started watcher's highest index, or after waiting longer than the book's gap window,
 * is still seen. On the store with a real pool (PGlite and PostgreSQL: an insert still committing on
 * another connection while a book starts), and end to end on anvil: restarted watcher, pooled
 * address paid, session paid.
 * @module
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createPublicClient, http, type Address } from 'viem';
import { AddressBook, GAP_RETRY_MS } from '../../packages/server/src/chain/address-book.js';
import { DerivationPool } from '../../packages/server/src/chain/derivation-pool.js';
import { startChainWatcher, type ChainWatcher } from '../../packages/server/src/chain/evm/chain-watcher.js';
import { chainRails } from '../../packages/server/src/chain/family.js';
import { parseConfig } from '../../packages/server/src/config.js';
import type { Queryable } from '../../packages/server/src/store/database.js';
import { SessionStore } from '../../packages/server/src/store/session-store.js';
import { buildTestApp, FAKE_USDC, testSecretBox, type TestApp } from '../support/app.js';
import { pgliteBackend, postgresBackend, testOn } from '../support/backends.js';
import { insertOpenPayments } from '../support/bulk.js';
import { deployTestToken, sendDevPayment, startAnvil, type Anvil } from '../support/chain.js';
import { testLogger } from '../support/logs.js';
import { testMerchantWallet } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

const CHAIN_ID = 31337;
const config = parseConfig({
  secret_keys: [],
  xpub: testMerchantWallet().xpub,
  chains: [{ key: 'anvil', id: CHAIN_ID, name: 'Anvil', rpc_url: 'http://127.0.0.1:1', confirmations: 1 }],
  rates: { ETH: '3000' },
});
const rails = chainRails(config);

/** Stores an open session with a deposit at `index`/`address`, as a choice would (in `q`'s transaction). */
async function storeDeposit(q: Queryable, index: number, address: string): Promise<void> {
  const id = `cs_pool${randomBytes(6).toString('hex')}`;
  await q.query(
    `INSERT INTO sessions (id, client_secret, status, amount, currency, metadata, methods, created_at, expires_at,
       fingerprint)
     VALUES ($1, $1 || '_secret_x', 'open', '10.00', 'USD', '{}', '[]', now(), now() + interval '1 hour', 'open')`,
    [id],
  );
  await q.query(
    `INSERT INTO deposits (session_id, method, chain_id, token_symbol, token_address, decimals, address,
       derivation_index, amount_due_atomic, amount_min_atomic, rate, confirmations_required, created_at, watch_until)
     VALUES ($1, 'eth@anvil', $2, 'ETH', NULL, 18, $3, $4, 1, 1, '1', 1, now(), now() + interval '25 hours')`,
    [id, CHAIN_ID, address, index],
  );
}

for (const backend of [pgliteBackend(), postgresBackend()]) {
  describe(`pooled deposits reach the address book on ${backend.name}`, () => {
    const it = testOn(backend);
    before(() => backend.setup());
    after(() => backend.cleanup());

    it('an index taken from the pool below a restarted book’s highest, after its gap window, is watched', async () => {
      const db = await backend.migrated();
      const store = new SessionStore(db, testSecretBox);
      const pool = new DerivationPool({ rails, reserve: (n) => store.reserveDerivationIndexes(n), size: 8 });
      const first = await pool.take('anvil');
      await db.transaction((tx) => storeDeposit(tx, first.index, first.address));
      await waitFor(() => pool.held('anvil') === 8, 10_000, 'the pool refilled');
      // Deposits stored meanwhile with higher indexes (another chain, another instance, a bulk load).
      await insertOpenPayments(db, { count: 20, chainId: CHAIN_ID, tokenAddress: null });

      // The watcher (re)starts: its first read sees every index up to the bulk load's.
      const t0 = Date.now();
      const book = new AddressBook(store, (address) => address.toLowerCase());
      await book.refresh(new Date(t0));
      assert.equal(book.size, 21);
      // Longer than the gap window passes before a buyer takes the next pooled address.
      await book.refresh(new Date(t0 + GAP_RETRY_MS + 1_000));
      const pooled = await pool.take('anvil');
      assert.ok(
        pooled.index < book.highestIndex,
        `pooled index ${pooled.index} below the book's highest ${book.highestIndex}: the case that was missed`,
      );
      await db.transaction((tx) => storeDeposit(tx, pooled.index, pooled.address));
      await book.refresh(new Date(t0 + 2 * GAP_RETRY_MS));
      assert.equal(book.get(pooled.address)?.derivation_index, pooled.index, 'the pooled deposit is watched');
      await pool.stop();
    });

    if (backend.name === 'PostgreSQL') {
      it('a deposit still committing on another connection when a book starts is read once it commits', async () => {
        const db = await backend.migrated();
        const other = await backend.another(db);
        const store = new SessionStore(db, testSecretBox);
        const [slowIndex, fastIndex] = await store.reserveDerivationIndexes(2);
        const slowAddress = rails.get('anvil')!.deriveAddress(slowIndex!);
        let release!: () => void;
        const held = new Promise<void>((resolve) => (release = resolve));
        let inserted!: () => void;
        const insertedYet = new Promise<void>((resolve) => (inserted = resolve));
        // The slow choice takes its number first and commits last.
        const slow = other.transaction(async (tx) => {
          await storeDeposit(tx, slowIndex!, slowAddress);
          inserted();
          await held;
        });
        await insertedYet;
        await db.transaction((tx) =>
          storeDeposit(tx, fastIndex!, rails.get('anvil')!.deriveAddress(fastIndex!)),
        );
        const now = new Date();
        const book = new AddressBook(store, (address) => address.toLowerCase());
        await book.refresh(now);
        assert.equal(book.get(slowAddress), undefined, 'not committed yet');
        release();
        await slow;
        await book.refresh(new Date(now.getTime() + 1_000));
        assert.equal(book.get(slowAddress)?.derivation_index, slowIndex, 'read once committed');
      });
    }
  });
}

describe('a pooled address below a restarted watcher’s highest index, paid on anvil', () => {
  let anvil: Anvil;
  let app: TestApp;
  let watcher: ChainWatcher | undefined;

  before(async () => {
    anvil = await startAnvil();
    assert.equal((await deployTestToken(anvil.rpcUrl)).toLowerCase(), FAKE_USDC);
    app = await buildTestApp({
      chains: [
        {
          key: 'anvil',
          id: CHAIN_ID,
          name: 'Anvil (local)',
          rpc_url: anvil.rpcUrl,
          confirmations: 1,
          // The test drives the watcher itself (syncOnce).
          polling_interval_ms: 600_000,
          tokens: [{ symbol: 'USDC', address: FAKE_USDC, decimals: 6, peg: 'USD' }],
        },
      ],
    });
  });
  after(async () => {
    await watcher?.stop();
    await app?.close();
    await anvil?.stop();
  });

  test('is detected and the session paid, also after longer than the gap window', async () => {
    const early = await app.createSession({ amount: '1.50' });
    await app.sessions.choosePayment(early.id, 'usdc@anvil'); // fills the pool behind it
    await waitFor(() => app.sessions.addresses.held('anvil') > 0, 10_000, 'a filled pool');
    await insertOpenPayments(app.store.db, { count: 50, chainId: CHAIN_ID, tokenAddress: FAKE_USDC });

    let offsetMs = 0;
    watcher = startChainWatcher({
      chain: app.config.chains[0]!,
      sessions: app.sessions,
      logger: testLogger() || console,
      clock: () => new Date(Date.now() + offsetMs),
      // A client of its own: no newHeads subscription, so only this test's syncOnce ticks after the first.
      client: createPublicClient({ transport: http(anvil.rpcUrl) }) as never,
    });
    // Its first tick (then one every 10 minutes) reads every deposit: indexes up to the bulk load's.
    await waitFor(
      async () => (await app.store.getCursor(app.store.db, CHAIN_ID)) !== null,
      10_000,
      'first tick',
    );
    offsetMs = GAP_RETRY_MS + 1_000; // holes noticed so far are no longer asked for
    await watcher.syncOnce();

    const session = await app.createSession({ amount: '1.50' });
    const buyer = await app.sessions.choosePayment(session.id, 'usdc@anvil');
    const deposit = (await app.sessions.load(session.id))!.deposit!;
    const highest = await app.store.db.query<{ max: string }>(
      "SELECT MAX(derivation_index)::text AS max FROM deposits WHERE method = 'usdc@bulk'",
    );
    assert.ok(
      deposit.derivation_index < Number(highest.rows[0]!.max),
      `pooled index ${deposit.derivation_index} below the watcher's highest ${highest.rows[0]!.max}`,
    );
    await sendDevPayment(anvil.rpcUrl, buyer.payment!.address as Address, '1.5', {
      address: FAKE_USDC,
      decimals: 6,
    });
    await watcher.syncOnce();
    const after = (await app.sessions.load(session.id))!;
    assert.equal(after.transfers.length, 1, 'the transfer to the pooled address was recorded');
    assert.equal(after.session.status, 'paid');
  });
});
