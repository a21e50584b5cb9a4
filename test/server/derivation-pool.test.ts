/**
 * The derivation pool (`chain/derivation-pool.ts`) on PGlite and PostgreSQL, for every chain family
 * (EVM, EVM in forwarder deposit mode, UTXO with its negative chain id, TRON): indexes handed out
 * under concurrency are distinct and each address is its rail's child of its index; a restarted
 * pool (or a second instance on the same PostgreSQL database) never hands out an index the other
 * reserved, and a stop leaves at most the pool's size per chain unused. A UTXO chain is not pooled
 * (each take reserves and derives on the spot; see the module's comment). That a pooled deposit is
 * watched whenever it is taken: `pooled-deposit-watch.test.ts`.
 * @module
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe } from 'node:test';
import { HDKey } from '@scure/bip32';
import { DerivationPool, type PooledAddress } from '../../packages/server/src/chain/derivation-pool.js';
import { chainRails } from '../../packages/server/src/chain/family.js';
import { parseConfig } from '../../packages/server/src/config.js';
import type { Database } from '../../packages/server/src/store/database.js';
import { SessionStore } from '../../packages/server/src/store/session-store.js';
import { testSecretBox } from '../support/app.js';
import { pgliteBackend, postgresBackend, testOn } from '../support/backends.js';
import { testUtxoAccount } from '../support/litecoind.js';
import { testMerchantWallet } from '../support/stack.js';
import { waitFor } from '../support/wait-for.js';

/** One chain of each family; nothing listens at the RPC URLs (the pool never asks a node). */
const config = parseConfig({
  secret_keys: [],
  xpub: testMerchantWallet().xpub,
  chains: [
    { key: 'anvil', id: 31337, name: 'Anvil', rpc_url: 'http://127.0.0.1:1', confirmations: 1 },
    {
      key: 'forwarded',
      id: 31338,
      name: 'Forwarder mode',
      confirmations: 1,
      rpc_url: 'http://127.0.0.1:1',
      deposit_mode: 'forwarder',
      treasury_address: '0x000000000000000000000000000000000000dEaD',
    },
    { key: 'litecoin-regtest', rpc_url: 'http://127.0.0.1:1', xpub: testUtxoAccount().tpub },
    {
      key: 'tron-local',
      rpc_url: 'http://127.0.0.1:1',
      http_api_url: 'http://127.0.0.1:1',
      xpub: HDKey.fromMasterSeed(randomBytes(32)).derive("m/44'/195'/0'").publicExtendedKey,
    },
  ],
  rates: { ETH: '3000', LTC: '100', TRX: '0.25' },
});
const rails = chainRails(config);
const chainKeys = [...rails.keys()];

/** A pool on `db` that counts its reserving statements. */
function poolOn(db: Database, options: { size: number }) {
  const store = new SessionStore(db, testSecretBox);
  const counts = { statements: 0 };
  const pool = new DerivationPool({
    rails,
    reserve: (count) => {
      counts.statements += 1;
      return store.reserveDerivationIndexes(count);
    },
    ...options,
  });
  return { pool, counts, store };
}

/** Asserts that every taken address is its chain's child of its index. */
function assertChildren(taken: { chain: string; got: PooledAddress }[]) {
  for (const { chain, got } of taken) {
    assert.equal(got.address, rails.get(chain)!.deriveAddress(got.index), `${chain} index ${got.index}`);
  }
}

for (const backend of [pgliteBackend(), postgresBackend()]) {
  describe(`derivation pool on ${backend.name}`, () => {
    const it = testOn(backend);
    before(() => backend.setup());
    after(() => backend.cleanup());

    it('hands out distinct indexes under concurrency on every family, each its rail’s child', async () => {
      const db = await backend.migrated();
      const { pool, counts } = poolOn(db, { size: 8 });
      const takes = chainKeys.flatMap((chain) => Array.from({ length: 60 }, () => chain));
      const taken = await Promise.all(takes.map(async (chain) => ({ chain, got: await pool.take(chain) })));
      const indexes = taken.map(({ got }) => got.index);
      assert.equal(new Set(indexes).size, indexes.length, 'no index handed out twice');
      assert.equal(new Set(taken.map(({ got }) => got.address)).size, taken.length, 'no address twice');
      assertChildren(taken);
      assert.match(taken.find((t) => t.chain === 'litecoin-regtest')!.got.address, /^rltc1q/);
      assert.match(taken.find((t) => t.chain === 'tron-local')!.got.address, /^T/);
      // Forwarder mode: the CREATE2 address, not the xpub's child of the same index.
      const forwarded = taken.find((t) => t.chain === 'forwarded')!.got;
      assert.notEqual(forwarded.address, rails.get('anvil')!.deriveAddress(forwarded.index));
      // UTXO takes reserve one index each (not pooled); the others in bulk.
      const utxoTakes = takes.filter((chain) => chain === 'litecoin-regtest').length;
      assert.equal(pool.held('litecoin-regtest'), 0, 'no UTXO address held');
      assert.ok(
        counts.statements - utxoTakes < (takes.length - utxoTakes) / 4,
        `${counts.statements - utxoTakes} reserving statements for ${takes.length - utxoTakes} pooled takes: reserved in bulk`,
      );
      await pool.stop();
    });

    it('a restart never hands out an index the stopped pool reserved, and wastes at most its size per chain', async () => {
      const db = await backend.migrated();
      const size = 16;
      const first = poolOn(db, { size });
      const before: PooledAddress[] = [];
      for (const chain of chainKeys) for (let i = 0; i < 5; i++) before.push(await first.pool.take(chain));
      // The refills reserve and derive: the pool holds addresses when it stops.
      await waitFor(
        () => chainKeys.every((chain) => chain === 'litecoin-regtest' || first.pool.held(chain) > 0),
        10_000,
        'refilled pools',
      );
      await first.pool.stop();
      assert.ok(first.pool.wasted <= size * chainKeys.length, `${first.pool.wasted} indexes left unused`);
      const reservedBefore = await first.store.derivationHighWater();

      const second = poolOn(db, { size });
      const after = await Promise.all(chainKeys.map((chain) => second.pool.take(chain)));
      const seen = new Set(before.map((got) => got.index));
      for (const got of after) {
        assert.ok(
          got.index > reservedBefore,
          `index ${got.index} is past the first pool's ${reservedBefore}`,
        );
        assert.ok(!seen.has(got.index));
      }
      // What the stop left unused is the gap between what was handed out and the sequence's high water.
      const used = before.length;
      assert.ok(reservedBefore + 1 - used <= size * chainKeys.length + chainKeys.length);
      await second.pool.stop();
    });

    if (backend.name === 'PostgreSQL') {
      it('two instances on one database never hand out the same index', async () => {
        const db = await backend.migrated();
        const other = await backend.another(db);
        const one = poolOn(db, { size: 8 }).pool;
        const two = poolOn(other, { size: 8 }).pool;
        const takes = chainKeys.flatMap((chain) => Array.from({ length: 40 }, () => chain));
        const taken = await Promise.all(
          takes.flatMap((chain) => [one, two].map(async (pool) => ({ chain, got: await pool.take(chain) }))),
        );
        const indexes = taken.map(({ got }) => got.index);
        assert.equal(new Set(indexes).size, indexes.length, 'no index handed out by both instances');
        assertChildren(taken);
        await Promise.all([one.stop(), two.stop()]);
      });
    }
  });
}
