import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import type { Database } from '../../packages/server/src/store/database.js';
import { migrate } from '../../packages/server/src/store/migrations.js';
import { SweepStore, type SweepRecord } from '../../packages/server/src/store/sweep-store.js';
import { pgliteBackend, postgresBackend, testOn } from '../support/backends.js';

const CHAIN = 31337;
const address = (n: number) => `0x${n.toString(16).padStart(40, '0')}` as const;

function row(overrides: Partial<SweepRecord>): SweepRecord {
  const now = new Date();
  return {
    chain_id: CHAIN,
    tx_hash: `0x${'aa'.repeat(32)}`,
    address: address(1),
    derivation_index: 1,
    token_symbol: 'USDC',
    token_address: address(99),
    treasury_address: address(7),
    planned_atomic: 5n,
    amount_atomic: null,
    status: 'pending',
    batch_deposits: 1,
    tx_gas_used: null,
    gas_share: null,
    effective_gas_price: null,
    block_number: null,
    relayer_address: address(8),
    nonce: 0,
    raw_tx: '0x02',
    created_at: now,
    updated_at: now,
    ...overrides,
  };
}

for (const backend of [postgresBackend(), pgliteBackend()]) {
  describe(`sweep store on ${backend.name}`, () => {
    const it = testOn(backend);
    let db: Database;
    before(async () => {
      await backend.setup();
      if (backend.unavailable) return;
      db = await backend.fresh();
      await migrate(db);
    });
    after(() => backend.cleanup());

    it('one sweep of a chain at a time: a second planner is turned away while one plans or one is pending', async () => {
      const store = new SweepStore(db);
      const other = new SweepStore(await backend.another(db));
      if (backend.name === 'PostgreSQL') {
        // Instance A holds the chain's sweep lock (planning); instance B, on its own connection, cannot claim it.
        let release!: () => void;
        const held = new Promise<void>((resolve) => (release = resolve));
        let claimedA!: () => void;
        const aClaimed = new Promise<void>((resolve) => (claimedA = resolve));
        const a = store.transaction(async (tx) => {
          assert.equal(await store.claimChain(tx, CHAIN), true);
          claimedA();
          await held;
        });
        await aClaimed;
        assert.equal(await other.transaction((tx) => other.claimChain(tx, CHAIN)), false, 'B is turned away');
        assert.equal(
          await other.transaction((tx) => other.claimChain(tx, CHAIN + 1)),
          true,
          'another chain is free',
        );
        release();
        await a;
      }
      // A records a pending sweep: nobody may plan the chain until it is settled.
      await store.transaction(async (tx) => {
        assert.equal(await store.claimChain(tx, CHAIN), true);
        await store.insertPending(tx, [row({})]);
      });
      assert.equal(await other.transaction((tx) => other.claimChain(tx, CHAIN)), false);
      // Even without the lock, the same address and asset cannot be pending in two sweeps.
      await assert.rejects(
        other.transaction((tx) => other.insertPending(tx, [row({ tx_hash: `0x${'bb'.repeat(32)}` })])),
      );
      // Settled from its receipt: confirmed with the moved amount, the coin that went along gets its row.
      await store.confirm(
        CHAIN,
        `0x${'aa'.repeat(32)}`,
        { gasUsed: 45_001n, effectiveGasPrice: 3n, blockNumber: 12 },
        [
          {
            address: address(1),
            token_symbol: 'USDC',
            token_address: address(99),
            derivation_index: 1,
            amount_atomic: 5n,
          },
          {
            address: address(1),
            token_symbol: 'ETH',
            token_address: null,
            derivation_index: 1,
            amount_atomic: 9n,
          },
        ],
        new Date(),
      );
      // A second confirmation of the same transaction changes nothing.
      await store.confirm(
        CHAIN,
        `0x${'aa'.repeat(32)}`,
        { gasUsed: 1n, effectiveGasPrice: 1n, blockNumber: 13 },
        [],
        new Date(),
      );
      const rows = await store.list(CHAIN);
      assert.deepEqual(
        rows
          .map((r) => [r.token_symbol, r.status, r.amount_atomic, r.gas_share, r.tx_gas_used, r.block_number])
          .sort(),
        [
          ['ETH', 'confirmed', 9n, 0n, 45_001n, 12],
          ['USDC', 'confirmed', 5n, 45_001n, 45_001n, 12],
        ],
      );
      assert.equal(await other.transaction((tx) => other.claimChain(tx, CHAIN)), true, 'free again');
    });
  });
}
