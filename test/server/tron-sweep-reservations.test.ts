/**
 * What a TRON sweep export holds (treasury/tron-sweep-reservations.ts), on PGlite and PostgreSQL,
 * without a chain: recording an export under the TRON treasury lock (two exports at once on two
 * connections share no address; a file that cannot be written holds nothing; `replace` supersedes),
 * and the treasury watch's part — a transfer confirms the transaction of its `txID` (on java-tron the
 * JSON-RPC hash is the `txID`, which the anvil stand-in of tron-treasury.test.ts cannot show), else
 * one of the same sender, recipient, asset and amount after its reference block; the rest expire
 * once the settled block's time is past their expiry. The transactions are real unsigned TRON
 * transactions (`buildTronTransaction`); the addresses are random.
 */
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { tronAddressFromHex, tronAddressToHex } from '../../packages/server/src/chain/tron/address.js';
import { buildTronTransaction } from '../../packages/server/src/chain/tron/tron-transaction.js';
import type { Database } from '../../packages/server/src/store/database.js';
import {
  TRON_SWEEP_EXPORT_FORMAT,
  type TronExportedTransaction,
  type TronSweepExport,
} from '../../packages/server/src/treasury/tron-sweep-export.js';
import {
  heldTronAddresses,
  newTronExportId,
  reserveTronSweepExport,
  settleTronExports,
} from '../../packages/server/src/treasury/tron-sweep-reservations.js';
import { pgliteBackend, postgresBackend, testOn } from '../support/backends.js';

const CHAIN = 728126428;
const TRX = 'trx@tron';
const REF = { number: 1_000, hash: `${(1_000).toString(16).padStart(16, '0')}${'ab'.repeat(24)}` };
const randomTron = () => tronAddressFromHex(privateKeyToAccount(generatePrivateKey()).address);
const treasury = randomTron();

/** An export on `chainId` of one TRX top-up and one TRX sweep per address, made at `time` and expiring an hour later. */
async function exportOf(
  addresses: string[],
  { chainId = CHAIN, time = Date.UTC(2026, 0, 1) } = {},
): Promise<TronSweepExport> {
  const refBlock = { ...REF, time: new Date(time) };
  const timing = { refBlock, timestamp: time, expiration: time + 3_600_000 };
  const transactions: TronExportedTransaction[] = [];
  for (const [purpose, from, to] of [
    ...addresses.map((a) => ['top_up', treasury, a] as const),
    ...addresses.map((a) => ['sweep', a, treasury] as const),
  ])
    transactions.push({
      step: transactions.length + 1,
      purpose,
      signer: from,
      derivation_index: purpose === 'top_up' ? null : 0,
      asset: TRX,
      token_address: null,
      from,
      to,
      amount_atomic: '1000000',
      transaction: await buildTronTransaction(
        { type: 'TransferContract', owner: from, to, amount: 1_000_000n },
        timing,
      ),
    });
  return {
    format: TRON_SWEEP_EXPORT_FORMAT,
    version: 1,
    export_id: newTronExportId(),
    chain: 'tron',
    chain_id: chainId,
    to: treasury,
    created_at: new Date(time).toISOString(),
    reference_block: { number: REF.number, id: REF.hash },
    expires_at: new Date(timing.expiration).toISOString(),
    fees: {
      energy_price_sun: '100',
      energy_to_empty: '130285',
      energy_to_holder: '64285',
      bandwidth_sun: '350000',
      fee_limit_sun: '30000000',
      trx_reserve_sun: '300000',
    },
    transactions,
    held_back: [],
    supersedes: [],
  };
}

/** The transfer an exported transaction makes, as the watch reads it, in `block` under `hash`. */
const seen = (t: TronExportedTransaction, block: number, hash = t.transaction.txID) => ({
  from: tronAddressToHex(t.from),
  to: tronAddressToHex(t.to),
  amount: BigInt(t.amount_atomic),
  token: null,
  tx_hash: hash,
  block,
});

for (const backend of [pgliteBackend(), postgresBackend()]) {
  describe(`TRON sweep exports hold their addresses until seen or expired (${backend.name})`, () => {
    const it = testOn(backend);
    let db: Database;
    before(async () => {
      await backend.setup();
      if (backend.unavailable) return;
      db = await backend.migrated();
    });
    after(() => backend.cleanup());

    const statuses = async (exportId: string) =>
      (
        await db.query<{ status: string }>(
          'SELECT status FROM tron_export_transactions WHERE export_id = $1 ORDER BY step',
          [exportId],
        )
      ).rows.map((r) => r.status);

    it('two exports recorded at once on two connections share no address; the later one lists them held back', async () => {
      const [a, b] = [randomTron(), randomTron()];
      const other = await backend.another(db);
      const [one, two] = [await exportOf([a, b]), await exportOf([b, a])];
      const files = await Promise.all([reserveTronSweepExport(db, one), reserveTronSweepExport(other, two)]);
      const kept = files.find((f) => f.transactions.length)!;
      const left = files.find((f) => f !== kept)!;
      assert.equal(kept.transactions.length, 4);
      assert.deepEqual(left.transactions, []);
      assert.deepEqual(left.held_back.map((h) => h.address).sort(), [a, b].sort());
      assert.ok(left.held_back.every((h) => h.export_id === kept.export_id));
      assert.deepEqual([...(await heldTronAddresses(db, CHAIN)).keys()].sort(), [a, b].sort());
      assert.deepEqual(await statuses(left.export_id), []);
    });

    it('a file that cannot be written holds nothing', async () => {
      const c = randomTron();
      const file = await exportOf([c]);
      await assert.rejects(
        reserveTronSweepExport(db, file, {
          write: () => {
            throw new Error('disk full');
          },
        }),
        /disk full/,
      );
      assert.deepEqual(await statuses(file.export_id), []);
      assert.equal((await heldTronAddresses(db, CHAIN)).has(c), false);
    });

    it('replace supersedes; a txID seen confirms every record of it, a transfer only after the reference block; the rest expire with the settled block', async () => {
      const [d, e] = [randomTron(), randomTron()];
      // A chain of its own: the other tests' exports are not this pass's to expire.
      const chain = { chainId: CHAIN + 1, time: Date.UTC(2026, 0, 2) };
      const { time } = chain;
      const first = await reserveTronSweepExport(db, await exportOf([d, e], chain));
      // The same transactions exported again (same reference block and time: the same txIDs).
      const again = await reserveTronSweepExport(db, await exportOf([d], chain), { replace: true });
      assert.deepEqual(again.supersedes, [first.export_id]);
      assert.deepEqual(
        again.transactions.map((t) => t.transaction.txID),
        first.transactions.filter((t) => t.from === d || t.to === d).map((t) => t.transaction.txID),
      );
      assert.deepEqual(await statuses(first.export_id), ['superseded', 'exported', 'superseded', 'exported']);
      assert.equal((await heldTronAddresses(db, chain.chainId)).get(d)?.export_id, again.export_id);
      const [topUpD, topUpE, , sweepE] = first.transactions;
      const now = new Date();
      const pass = await db.transaction((q) =>
        settleTronExports(
          q,
          chain.chainId,
          [
            // d's top-up by its txID: the superseded record and its replacement are one transaction.
            seen(topUpD!, REF.number + 5),
            // e's top-up by sender, recipient and amount under another hash: before the reference block it is not this one.
            seen(topUpE!, REF.number, 'ff'.repeat(32)),
            // e's sweep likewise, after the reference block: it is.
            seen(sweepE!, REF.number + 6, 'ee'.repeat(32)),
          ],
          time + 1_000,
          now,
        ),
      );
      assert.deepEqual(pass, { confirmed: 3, expired: 0 });
      assert.deepEqual(await statuses(first.export_id), ['confirmed', 'exported', 'superseded', 'confirmed']);
      assert.deepEqual(await statuses(again.export_id), ['confirmed', 'exported']);
      assert.deepEqual([...(await heldTronAddresses(db, chain.chainId)).keys()].sort(), [d, e].sort());
      // The settled block's time passes the expiry: what is still open expires, the addresses are free.
      const later = await db.transaction((q) =>
        settleTronExports(q, chain.chainId, [], time + 3_600_001, now),
      );
      assert.deepEqual(later, { confirmed: 0, expired: 3 });
      assert.deepEqual(await statuses(first.export_id), ['confirmed', 'expired', 'expired', 'confirmed']);
      assert.deepEqual(await statuses(again.export_id), ['confirmed', 'expired']);
      assert.equal((await heldTronAddresses(db, chain.chainId)).size, 0);
    });
  });
}
