import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { parseEther, type Address, type Hash } from 'viem';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import type { Session } from '@crypto-checkout/protocol';
import { startChainWatcher, type ChainWatcher } from '../../packages/server/src/chain/evm/chain-watcher.js';
import { startServer, type RunningServer } from '../../packages/server/src/server.js';
import {
  deployTestToken,
  devClients,
  freePort,
  sendDevPayment,
  startAnvil,
  type Anvil,
} from '../support/chain.js';
import { buildTestApp, FAKE_USDC, type TestApp } from '../support/app.js';
import { startStack, type Stack } from '../support/stack.js';
import { choose, view, waitFor } from '../support/wait.js';
import { teeLogger, testLogger } from '../support/logs.js';

const CHAIN_ID = 31337;

const randomAddress = (): Address => privateKeyToAccount(generatePrivateKey()).address;

describe('chain watcher on a live anvil chain', () => {
  let stack: Stack;
  let pub: ReturnType<typeof devClients>['public'];

  const statusIs = (id: string, status: Session['status']) => async () => {
    const s = await view(stack.apiUrl, stack.secretKey, id);
    return s.status === status ? s : null;
  };
  const receipt = (hash: string) => pub.getTransactionReceipt({ hash: hash as Hash });
  /** Waits until the watcher has processed every block up to `block`. */
  const processedThrough = (block: bigint) =>
    waitFor(
      async () => ((await stack.server.app.store.getCursor(stack.server.db, CHAIN_ID)) ?? -1) >= block,
      10_000,
      `the watcher to process block ${block}`,
    );
  const storedTransfers = async (id: string) => (await stack.server.app.sessions.load(id))!.transfers;

  before(async () => {
    stack = await startStack();
    pub = devClients(stack.rpcUrl).public;
  });
  after(() => stack?.stop());

  test('a USDC payment goes open → processing (1/2) → paid after one more block, with tx, log and block recorded', async () => {
    const session = await stack.createSession();
    const buyer = await choose(stack.apiUrl, session, 'usdc@anvil');
    assert.equal(buyer.status, 'open');
    assert.equal(buyer.payment!.amount_due_atomic, '10000000');
    const address = buyer.payment!.address;

    const hash = await stack.pay(address, '10');
    const mined = await receipt(hash);
    const processing = await waitFor(statusIs(session.id, 'processing'), 10_000, 'processing');
    assert.equal(processing.transfers.length, 1);
    const seen = processing.transfers[0]!;
    assert.equal(seen.confirmations, 1);
    assert.equal(seen.tx_hash, hash);
    assert.equal(seen.log_index, mined.logs[0]!.logIndex);
    assert.equal(seen.block_number, Number(mined.blockNumber));
    assert.equal(seen.block_hash, mined.blockHash);
    assert.equal(seen.amount_atomic, '10000000');
    assert.equal(seen.from?.toLowerCase(), devClients(stack.rpcUrl).account.address.toLowerCase());
    assert.equal(processing.amount_received, '0');
    assert.equal(processing.paid_at, null);

    await stack.mine(1);
    const paid = await waitFor(statusIs(session.id, 'paid'), 10_000, 'paid');
    assert.equal(paid.transfers.length, 1);
    assert.equal(paid.transfers[0]!.confirmations, 2);
    assert.equal(paid.amount_received, '10');
    assert.equal(paid.amount_remaining, '0');
    assert.ok(paid.paid_at);
    const events = await stack.server.app.store.eventsAfter(session.id, 0);
    assert.deepEqual(
      events.map((e) => e.type),
      ['session.open', 'session.updated', 'session.processing', 'session.paid'],
    );
  });

  test('a native ETH payment (10 USD at 2000 USD/ETH = 0.005 ETH) is detected and paid', async () => {
    const session = await stack.createSession();
    const buyer = await choose(stack.apiUrl, session, 'eth@anvil');
    assert.equal(buyer.payment!.kind, 'native');
    assert.equal(buyer.payment!.amount_due, '0.005');
    assert.equal(buyer.payment!.amount_due_atomic, parseEther('0.005').toString());

    const hash = await stack.pay(buyer.payment!.address, '0.005', 'eth');
    const mined = await receipt(hash);
    const processing = await waitFor(statusIs(session.id, 'processing'), 10_000, 'processing');
    assert.deepEqual(
      processing.transfers.map((t) => [t.tx_hash, t.log_index, t.block_number, t.confirmations]),
      [[hash, null, Number(mined.blockNumber), 1]],
    );
    await stack.mine(1);
    const paid = await waitFor(statusIs(session.id, 'paid'), 10_000, 'paid');
    assert.equal(paid.amount_received, '0.005');
    assert.equal(paid.transfers[0]!.block_hash, mined.blockHash);
  });

  test('an underpayment is underpaid with the amount remaining, and a top-up to the same address pays it', async () => {
    const session = await stack.createSession();
    const buyer = await choose(stack.apiUrl, session, 'usdc@anvil');
    const address = buyer.payment!.address;

    await stack.pay(address, '4');
    await stack.mine(1);
    const underpaid = await waitFor(statusIs(session.id, 'underpaid'), 10_000, 'underpaid');
    assert.equal(underpaid.amount_received, '4');
    assert.equal(underpaid.amount_remaining, '6');
    assert.equal(underpaid.paid_at, null);

    await stack.pay(address, '2.5');
    await stack.mine(1);
    const stillShort = await waitFor(
      async () => {
        const s = await view(stack.apiUrl, stack.secretKey, session.id);
        return s.status === 'underpaid' && s.amount_received === '6.5' ? s : null;
      },
      10_000,
      'underpaid with 6.5 received',
    );
    assert.equal(stillShort.amount_remaining, '3.5');

    await stack.pay(address, '3.5');
    await stack.mine(1);
    const paid = await waitFor(statusIs(session.id, 'paid'), 10_000, 'paid');
    assert.equal(paid.amount_received, '10');
    assert.equal(paid.amount_remaining, '0');
    assert.deepEqual(
      paid.transfers.map((t) => t.amount),
      ['4', '2.5', '3.5'],
    );
  });

  test('transfers to an address that is not a deposit address are ignored', async () => {
    const session = await stack.createSession();
    await choose(stack.apiUrl, session, 'usdc@anvil');
    const other = randomAddress();
    await stack.pay(other, '10');
    await stack.pay(other, '1', 'eth');
    await stack.mine(2);
    await processedThrough(await pub.getBlockNumber({ cacheTime: 0 }));
    const s = await view(stack.apiUrl, stack.secretKey, session.id);
    assert.equal(s.status, 'open');
    assert.deepEqual(s.transfers, []);
    assert.deepEqual(await storedTransfers(session.id), []);
  });

  test('another token sent to the deposit address does not count toward a USDC session', async () => {
    const dai = await deployTestToken(stack.rpcUrl, { symbol: 'DAI', decimals: 18 });
    const session = await stack.createSession();
    const buyer = await choose(stack.apiUrl, session, 'usdc@anvil');
    const address = buyer.payment!.address as Address;

    const daiHash = await sendDevPayment(stack.rpcUrl, address, '10', { address: dai, decimals: 18 });
    await stack.mine(2);
    await processedThrough((await receipt(daiHash)).blockNumber + 2n);
    const untouched = await view(stack.apiUrl, stack.secretKey, session.id);
    assert.equal(untouched.status, 'open');
    assert.deepEqual(untouched.transfers, []);

    // The same address still takes USDC, and only the USDC transfer counts.
    const usdcHash = await stack.pay(address, '10');
    await stack.mine(1);
    const paid = await waitFor(statusIs(session.id, 'paid'), 10_000, 'paid');
    assert.deepEqual(
      paid.transfers.map((t) => t.tx_hash),
      [usdcHash],
    );
    assert.deepEqual(
      (await storedTransfers(session.id)).map((t) => t.token_address),
      [stack.usdc.toLowerCase()],
    );
  });

  test('zero-value and reverted transfers to a deposit address are ignored', async () => {
    const { wallet, test: testClient } = devClients(stack.rpcUrl);
    const usdcSession = await stack.createSession();
    const usdcAddress = (await choose(stack.apiUrl, usdcSession, 'usdc@anvil')).payment!.address as Address;
    const ethSession = await stack.createSession();
    const ethAddress = (await choose(stack.apiUrl, ethSession, 'eth@anvil')).payment!.address as Address;

    // A zero-value ERC-20 Transfer log and a zero-value native transfer.
    await stack.pay(usdcAddress, '0');
    await stack.pay(ethAddress, '0', 'eth');
    // A native transfer that reverts: put code that always reverts (PUSH1 0 PUSH1 0 REVERT) at the
    // deposit address for one transaction. The value goes nowhere, so it must not count.
    await testClient.setCode({ address: ethAddress, bytecode: '0x60006000fd' });
    const revertedHash = await wallet.sendTransaction({
      to: ethAddress,
      value: parseEther('0.005'),
      gas: 100_000n,
    });
    const reverted = await pub.waitForTransactionReceipt({ hash: revertedHash, pollingInterval: 50 });
    assert.equal(reverted.status, 'reverted');
    await testClient.setCode({ address: ethAddress, bytecode: '0x' });
    await stack.mine(2);
    await processedThrough(reverted.blockNumber + 2n);

    for (const id of [usdcSession.id, ethSession.id]) {
      const s = await view(stack.apiUrl, stack.secretKey, id);
      assert.equal(s.status, 'open', id);
      assert.deepEqual(s.transfers, []);
      assert.deepEqual(await storedTransfers(id), []);
    }

    // A real payment to the same address afterwards is found: the watcher did not skip the address.
    const good = await stack.pay(ethAddress, '0.005', 'eth');
    await stack.mine(1);
    const paid = await waitFor(statusIs(ethSession.id, 'paid'), 10_000, 'paid');
    assert.deepEqual(
      paid.transfers.map((t) => t.tx_hash),
      [good],
    );
  });
});

describe('chain watcher restart', () => {
  let stack: Stack;
  let second: RunningServer | undefined;
  let dataDir: string;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cc-watcher-'));
    stack = await startStack({ config: { data_dir: dataDir } });
  });
  after(async () => {
    await second?.stop();
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('resumes from the stored cursor: a payment made while the server was down is found and counted once', async () => {
    const session = await stack.createSession();
    const buyer = await choose(stack.apiUrl, session, 'usdc@anvil');
    const head = await devClients(stack.rpcUrl).public.getBlockNumber({ cacheTime: 0 });
    await waitFor(
      async () => ((await stack.server.app.store.getCursor(stack.server.db, CHAIN_ID)) ?? -1) >= head,
      10_000,
      'the first server to reach the head',
    );
    await stack.server.stop();

    const hash = await stack.pay(buyer.payment!.address, '10');
    await stack.mine(3);

    second = await startServer(stack.config, { logger: testLogger() });
    const cursorAtStart = await second.app.store.getCursor(second.db, CHAIN_ID);
    const paymentBlock = Number(
      (await devClients(stack.rpcUrl).public.getTransactionReceipt({ hash: hash as Hash })).blockNumber,
    );
    assert.ok(
      cursorAtStart !== null && cursorAtStart < paymentBlock,
      `cursor ${cursorAtStart} before ${paymentBlock}`,
    );

    const server = second;
    const paid = await waitFor(
      async () => {
        const s = await view(server.url, stack.secretKey, session.id);
        return s.status === 'paid' ? s : null;
      },
      10_000,
      'paid after restart',
    );
    assert.deepEqual(
      paid.transfers.map((t) => [t.tx_hash, t.block_number, t.confirmations]),
      [[hash, paymentBlock, 4]],
    );

    // Scanning again (another tick, another restart) does not count it twice.
    await server.watchers[0]!.syncOnce();
    const bundle = await server.app.sessions.load(session.id);
    assert.equal(bundle!.transfers.length, 1);
    assert.equal(bundle!.transfers[0]!.amount_atomic, 10_000_000n);
    const types = (await server.app.store.eventsAfter(session.id, 0)).map((e) => e.type);
    assert.deepEqual(types, ['session.open', 'session.updated', 'session.paid']);
  });
});

describe('chain watcher without a node', () => {
  let app: TestApp;
  let watcher: ChainWatcher | undefined;
  let anvil: Anvil | undefined;
  let port: number;
  const logs: {
    level: number;
    msg: string;
    failures?: number;
    err?: { type: string; message: string; stack: string };
  }[] = [];

  before(async () => {
    port = await freePort();
    app = await buildTestApp({
      chains: [
        {
          key: 'anvil',
          id: CHAIN_ID,
          name: 'Anvil (local)',
          rpc_url: `http://127.0.0.1:${port}`,
          confirmations: 1,
          polling_interval_ms: 50,
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

  test('keeps retrying with a warning while the node is unreachable, then catches up when it answers', async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) logs.push(JSON.parse(line));
        done();
      },
    });
    watcher = startChainWatcher({
      chain: app.config.chains[0]!,
      sessions: app.sessions,
      logger: teeLogger('info', sink),
    });
    const warnings = () =>
      logs.filter((l) => l.msg === 'chain watcher could not sync; retrying with backoff');
    await waitFor(() => warnings().length >= 3, 10_000, 'three warnings');
    assert.deepEqual(
      warnings()
        .slice(0, 3)
        .map((l) => l.failures),
      [1, 2, 3],
    );
    // The whole error, through pino's serializer: its type, message and stack, not the message alone.
    assert.ok(
      warnings().every(
        (l) => l.level === 40 && l.err && l.err.type && l.err.message && l.err.stack?.includes('\n'),
      ),
      JSON.stringify(warnings()[0]),
    );
    await assert.rejects(watcher.syncOnce());
    assert.equal(await app.store.getCursor(app.store.db, CHAIN_ID), null);

    // The node comes up on that port: the watcher recovers by itself and then sees payments.
    anvil = await startAnvil({ port });
    const usdc = await deployTestToken(anvil.rpcUrl); // the dev account's first contract: FAKE_USDC
    assert.equal(usdc.toLowerCase(), FAKE_USDC);
    await waitFor(() => logs.some((l) => l.msg === 'chain watcher recovered'), 15_000, 'recovery');
    const session = await app.createSession({ amount: '5.00' });
    const buyer = await app.sessions.choosePayment(session.id, 'usdc@anvil');
    await sendDevPayment(anvil.rpcUrl, buyer.payment!.address as Address, '5', {
      address: usdc,
      decimals: 6,
    });
    await waitFor(
      async () => (await app.sessions.load(session.id))!.session.status === 'paid',
      10_000,
      'paid after recovery',
    );
  });
});
