import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createWalletClient, http, parseEther, type Address, type Hex, type PublicClient } from 'viem';
import { foundry } from 'viem/chains';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { devClients, startAnvil, type Anvil } from '../support/chain.js';
import { sendCoinTo } from '../support/forwarders.js';
import { migratedPglite, testConfig } from '../support/app.js';
import type { Database } from '../../packages/server/src/store/database.js';
import { SweepStore } from '../../packages/server/src/store/sweep-store.js';
import { exportRecords, type SweepExport } from '../../packages/server/src/treasury/xpub-sweep-export.js';
import { Ledger } from '../../packages/server/src/treasury/ledger.js';
import { createXpubSweepWatch } from '../../packages/server/src/treasury/xpub-sweep-watch.js';

/**
 * The xpub sweep watch against a node that, as a full node does (geth keeps the state of the latest
 * 128 blocks), answers `eth_getTransactionCount` only at recent blocks: the nonce search must neither
 * book wrong nor stop every other export from being booked, and a restart must not lose what the
 * previous passes learned.
 */
describe('xpub sweep watch: a node without old state', () => {
  /** Blocks of state the "full node" keeps. */
  const KEEP = 4;
  const treasury = privateKeyToAccount(generatePrivateKey()).address;
  let anvil: Anvil;
  let db: Database;

  before(async () => {
    anvil = await startAnvil();
    db = await migratedPglite();
  });
  after(async () => {
    await db?.close();
    await anvil?.stop();
  });

  /**
   * anvil's client, except that a nonce count older than `KEEP` blocks fails as geth's does: the
   * only part faked is the pruning a full node does, which anvil (an archive) does not.
   */
  function prunedClient(): PublicClient {
    const pub = devClients(anvil.rpcUrl).public as unknown as PublicClient;
    return new Proxy(pub, {
      get(target, property, receiver) {
        if (property !== 'getTransactionCount') return Reflect.get(target, property, receiver);
        return async (args: { address: Address; blockNumber?: bigint }) => {
          const head = await target.getBlockNumber({ cacheTime: 0 });
          if (args.blockNumber !== undefined && args.blockNumber < head - BigInt(KEEP))
            throw new Error('missing trie node: historical state is not available');
          return target.getTransactionCount(args);
        };
      },
    });
  }

  const chain = () =>
    testConfig({
      chains: [
        {
          key: 'anvil',
          id: 31337,
          name: 'Anvil (local)',
          rpc_url: anvil.rpcUrl,
          confirmations: 2,
          tokens: [],
          treasury_address: treasury,
        },
      ],
    } as never).chains[0]!;

  /** A funded address and its exported (unsigned) sweep of `amount` at nonce 0, at the current block. */
  async function exportFrom(store: SweepStore, amount: bigint) {
    const key = generatePrivateKey();
    const account = privateKeyToAccount(key);
    await sendCoinTo(anvil.rpcUrl, [account.address], [parseEther('1')]);
    const address = account.address.toLowerCase() as `0x${string}`;
    // The row `sweep --export` records for it (the unsigned transaction: any bytes, for its placeholder hash).
    const [record] = exportRecords({
      chain_id: 31337,
      to: treasury,
      transactions: [
        {
          from: account.address,
          derivation_index: 0,
          asset: 'ETH',
          token_address: null,
          amount_atomic: amount.toString(),
          tx: { nonce: 0 },
          unsigned_tx: `0x${randomBytes(32).toString('hex')}`,
        },
      ],
    } as unknown as SweepExport);
    const pub = devClients(anvil.rpcUrl).public;
    await store.recordExport(31337, [record!], Number(await pub.getBlockNumber()));
    /** The merchant's wallet signs and sends it. */
    const sign = async () => {
      const wallet = createWalletClient({ chain: foundry, transport: http(anvil.rpcUrl), account });
      const hash = await wallet.sendTransaction({ to: treasury, value: amount, nonce: 0 });
      await pub.waitForTransactionReceipt({ hash, pollingInterval: 50 });
      return hash.toLowerCase() as Hex;
    };
    return { address, sign };
  }

  test('an export signed after a restart is found from the last block a pass saw it unused; one the node cannot search holds up no other', async () => {
    const test = devClients(anvil.rpcUrl).test;
    const store = new SweepStore(db);
    const ledger = new Ledger({ db, methods: new Map() });
    const watch = () => createXpubSweepWatch({ chain: chain(), store, ledger, client: prunedClient() });

    // Exported, then a pass sees its nonce unused; days go by unsigned (here: many blocks).
    const waited = await exportFrom(store, parseEther('0.25'));
    await test.mine({ blocks: 3 });
    assert.deepEqual(await watch().syncOnce(), {
      confirmed: 0,
      failed: 0,
      reviews: 0,
      dropped: 0,
      waiting: 1,
    });
    // Exported and signed at once, while no pass runs (the server is down) for longer than the node keeps.
    const unseen = await exportFrom(store, parseEther('0.5'));
    await test.mine({ blocks: 2 });
    const unseenHash = await unseen.sign();
    await test.mine({ blocks: 20 });

    // The server restarts (a new watch, nothing in memory): the first export is still unsigned; the
    // second's nonce was used where the node has no state any more: it cannot be searched, and must
    // hold up no other export.
    assert.deepEqual(await watch().syncOnce(), {
      confirmed: 0,
      failed: 0,
      reviews: 0,
      dropped: 0,
      waiting: 2,
    });
    // The merchant signs the first export; the server restarts again before its next pass.
    const hash = await waited.sign();
    await test.mine({ blocks: 2 });
    const report = await watch().syncOnce();
    const rows = await store.list(31337);
    const found = rows.find((r) => r.address === waited.address)!;
    assert.deepEqual(
      [found.status, found.tx_hash, found.amount_atomic],
      ['confirmed', hash, parseEther('0.25')],
    );
    // The one whose nonce was used where the node has no state any more is not booked, nor guessed:
    // it stays exported (the merchant page shows it awaiting), the others are booked.
    const stuck = rows.find((r) => r.address === unseen.address)!;
    assert.equal(stuck.status, 'exported');
    assert.notEqual(stuck.tx_hash, unseenHash);
    assert.deepEqual(report, { confirmed: 1, failed: 0, reviews: 0, dropped: 0, waiting: 1 });
  });
});
