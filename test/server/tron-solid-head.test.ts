/**
 * TRON's solidified head, read from java-tron's HTTP API as recorded in `test/support/tron-fixtures/`
 * and served locally: the answers a node gives when synced, not yet synced, failing, or down; and
 * what a transaction burned (`/walletsolidity/gettransactioninfobyid`) and its contract type
 * (`/walletsolidity/gettransactionbyid`), likewise.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
  parseNowBlock,
  solidHeadReader,
  TronApiError,
} from '../../packages/server/src/chain/tron/solid-head.js';
import { tronDialect } from '../../packages/server/src/chain/tron/chain-watcher.js';
import {
  parseTransactionContractType,
  parseTransactionInfo,
  transactionContractTypeReader,
  transactionFeeReader,
} from '../../packages/server/src/chain/tron/transaction-fee.js';
import type { ChainConfig } from '../../packages/server/src/config.js';
import type { PublicClient } from 'viem';
import { startTronHttpApi, type TronHttpApi } from '../support/tron-http-api.js';

const recorded = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../support/tron-fixtures/${name}`, import.meta.url), 'utf8'));

describe('TRON solidified head', () => {
  let api: TronHttpApi;
  before(async () => (api = await startTronHttpApi()));
  after(() => api.close());

  test("parses java-tron's block as recorded: height, blockID and time", () => {
    const head = parseNowBlock(recorded('wallet-getnowblock.json'));
    assert.equal(head.number, 66_987_627);
    assert.equal(head.hash, '0000000003fe266bf6b6d392f654dc2e5011601546ed04623d9fcc4e9d439a25');
    assert.equal(head.time.toISOString(), new Date(1_777_445_307_000).toISOString());
    // The recorded blockID starts with its height, as java-tron's BlockId does.
    assert.equal(Number.parseInt(head.hash.slice(0, 16), 16), head.number);
  });

  test('reads the solidified height from /walletsolidity/getnowblock, as the node moves it', async () => {
    const read = solidHeadReader({ httpApiUrl: `${api.url}/` });
    assert.equal(await read(), 66_987_608);
    api.setSolid(42);
    assert.equal(await read(), 42);
    assert.equal(api.count('/walletsolidity/getnowblock'), 2);
    assert.equal(api.count('/wallet/getnowblock'), 0, 'the head block is not the solid one');
  });

  test('a node without a solid block, a servlet error and a 503 are errors, never a height', async () => {
    const read = solidHeadReader({ httpApiUrl: api.url });
    api.setSolid('not-synced');
    await assert.rejects(
      read(),
      (error: Error) => error instanceof TronApiError && /no blockID/.test(error.message),
    );
    api.setSolid('error');
    await assert.rejects(read(), /reported an error: class java.lang.NullPointerException/);
    api.setSolid({ status: 503 });
    await assert.rejects(read(), /answered 503/);
  });

  test('a genesis block without number (protobuf leaves out zeros) is height 0', () => {
    const genesis = structuredClone(recorded('walletsolidity-getnowblock.json')) as {
      block_header: { raw_data: { number?: number } };
    };
    delete genesis.block_header.raw_data.number;
    assert.equal(parseNowBlock(genesis).number, 0);
  });

  test('the watcher counts up to solid + confirmations − 1 with finality solidified, to the head with confirmations', async () => {
    const chain = { http_api_url: api.url, confirmations: 20 } as ChainConfig;
    // No JSON-RPC call is made while the HTTP API answers.
    const client = {} as PublicClient;
    api.setSolid(1_000);
    const solid = tronDialect(chain, client);
    assert.equal(await solid.countableHead!(1_030), 1_019, 'a block counts 20 only once it is solid');
    assert.equal(await solid.countableHead!(1_010), 1_010, 'never past the head');
    api.setSolid('not-synced');
    await assert.rejects(
      solid.countableHead!(1_030),
      TronApiError,
      'no solid head: the tick fails and retries',
    );
    assert.equal(tronDialect({ ...chain, finality: 'confirmations' }, client).countableHead, undefined);
    // TRON's spelling of what the node writes as 0x…
    assert.equal(
      solid.address('0xa614f803b6fd780986a42c78ec9c7f77e6ded13c'),
      'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t',
    );
    assert.equal(
      solid.contract('TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t').toLowerCase(),
      '0xa614f803b6fd780986a42c78ec9c7f77e6ded13c',
    );
    assert.equal(solid.txHash(`0x${'ab'.repeat(32)}`), 'ab'.repeat(32));
    assert.equal(solid.subscribe, false);
  });

  test('falls back to the JSON-RPC finalized tag without an HTTP API, and refuses to run with neither', async () => {
    assert.equal(await solidHeadReader({ httpApiUrl: null, readFinalized: async () => 7 })(), 7);
    assert.throws(() => solidHeadReader({ httpApiUrl: null }), TronApiError);
  });
});

describe('what a TRON transaction burned', () => {
  let api: TronHttpApi;
  before(async () => (api = await startTronHttpApi()));
  after(() => api.close());

  test("reads the total burned (`fee`) from java-tron's recorded answers: energy and bandwidth, an activation", () => {
    const trc20 = recorded('walletsolidity-gettransactioninfobyid-trc20.json') as { id: string };
    const info = parseTransactionInfo(trc20, trc20.id.toUpperCase());
    assert.deepEqual(
      [info.fee, info.energy_fee, info.net_fee, info.blockNumber],
      [5_797_020n, 5_452_020n, 345_000n, 45_153_601],
    );
    assert.equal(info.fee, info.energy_fee + info.net_fee, 'the recorded total is energy plus bandwidth');
    const activation = recorded('walletsolidity-gettransactioninfobyid-activation.json') as { id: string };
    const created = parseTransactionInfo(activation, activation.id);
    assert.deepEqual([created.fee, created.energy_fee, created.net_fee], [1_000_000n, 0n, 0n]);
  });

  test('an unknown or unsolidified transaction ({}), an error, another id or a bad fee are errors, never a fee', async () => {
    const id = 'ab'.repeat(32);
    assert.throws(
      () => parseTransactionInfo(recorded('walletsolidity-gettransactioninfobyid-not-found.json'), id),
      /no solidified transaction/,
    );
    assert.throws(() => parseTransactionInfo(recorded('walletsolidity-error.json'), id), TronApiError);
    const trc20 = recorded('walletsolidity-gettransactioninfobyid-trc20.json') as Record<string, unknown>;
    assert.throws(() => parseTransactionInfo(trc20, id), /another transaction/);
    assert.throws(() => parseTransactionInfo({ ...trc20, fee: -1 }, String(trc20.id)), /invalid fee/);
    assert.throws(() => parseTransactionInfo({ ...trc20, fee: '5797020' }, String(trc20.id)), /invalid fee/);
    const read = transactionFeeReader({ httpApiUrl: `${api.url}/` });
    await assert.rejects(read(`0x${id}`), /no solidified transaction/);
    api.setTransactionInfo('error');
    await assert.rejects(read(id), /reported an error/);
    api.setTransactionInfo({ status: 503 });
    await assert.rejects(read(id), /answered 503/);
    assert.equal(api.count('/walletsolidity/gettransactioninfobyid'), 3, 'one request per question');
    await assert.rejects(transactionFeeReader({ httpApiUrl: 'http://127.0.0.1:9' })(id), /did not answer/);
  });
  test("a transaction's contract type: TRX (TransferContract) or a TRC-10 token; {}, an error or another id are errors", async () => {
    for (const [file, type] of [
      ['walletsolidity-gettransactionbyid-trx.json', 'TransferContract'],
      ['walletsolidity-gettransactionbyid-trc10.json', 'TransferAssetContract'],
    ] as const) {
      const tx = recorded(file) as { txID: string };
      assert.equal(parseTransactionContractType(tx, tx.txID.toUpperCase()), type);
      assert.throws(() => parseTransactionContractType(tx, 'ab'.repeat(32)), /another transaction/);
      assert.throws(
        () => parseTransactionContractType({ ...tx, raw_data: {} }, tx.txID),
        /without a contract type/,
      );
    }
    const id = 'ab'.repeat(32);
    assert.throws(
      () =>
        parseTransactionContractType(recorded('walletsolidity-gettransactioninfobyid-not-found.json'), id),
      /no solidified transaction/,
    );
    assert.throws(
      () => parseTransactionContractType(recorded('walletsolidity-error.json'), id),
      TronApiError,
    );
    // The stand-in without a chain knows no transaction: `{}`.
    await assert.rejects(
      transactionContractTypeReader({ httpApiUrl: api.url })(`0x${id}`),
      /no solidified transaction/,
    );
    await assert.rejects(
      transactionContractTypeReader({ httpApiUrl: 'http://127.0.0.1:9' })(id),
      /did not answer/,
    );
  });
});
