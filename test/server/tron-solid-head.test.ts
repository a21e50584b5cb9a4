/**
 * TRON's solidified head, read from java-tron's HTTP API as recorded in `test/support/tron-fixtures/`
 * and served locally: the answers a node gives when synced, not yet synced, failing, or down.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
  parseNowBlock,
  solidHeadReader,
  TronApiError,
} from '../../packages/server/src/chain/tron/solid-head.js';
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

  test('falls back to the JSON-RPC finalized tag without an HTTP API, and refuses to run with neither', async () => {
    assert.equal(await solidHeadReader({ httpApiUrl: null, readFinalized: async () => 7 })(), 7);
    assert.throws(() => solidHeadReader({ httpApiUrl: null }), TronApiError);
  });
});
