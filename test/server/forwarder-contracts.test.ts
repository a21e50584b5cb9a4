import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
  createWalletClient,
  encodeAbiParameters,
  encodeFunctionData,
  getContractAddress,
  http,
  keccak256,
  parseEther,
  type Address,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import {
  CONTRACTS_MODULE,
  TEST_TOKEN_MODULE,
  renderContractsModule,
  renderTestTokenModule,
} from '../../scripts/build-contracts.js';
import {
  DEFAULT_FORWARDER_FACTORY,
  DETERMINISTIC_DEPLOYER,
  forwarderAddress,
} from '../../packages/server/src/treasury/forwarder-address.js';
import {
  depositForwarderBytecode,
  forwarderFactoryAbi,
} from '../../packages/server/src/treasury/forwarder-contracts.js';
import { encodeSweep, ensureForwarderFactory } from '../../packages/server/src/treasury/forwarder-factory.js';
import { deployTestToken, devClients, startAnvil, type Anvil } from '../support/chain.js';
import { testTokenAbi } from '../support/contracts/test-token.js';
import { deployNoReturnToken, mintTo, sendCoinTo, tokenBalance } from '../support/forwarders.js';

const sum = (values: bigint[]) => values.reduce((a, b) => a + b, 0n);

test('the committed contract artifacts are what the pinned compiler makes of the committed sources', async () => {
  assert.equal(await renderContractsModule(), readFileSync(CONTRACTS_MODULE, 'utf8'));
  assert.equal(await renderTestTokenModule(), readFileSync(TEST_TOKEN_MODULE, 'utf8'));
});

test('deposit addresses computed in TypeScript are the CREATE2 addresses viem computes', () => {
  const treasury = privateKeyToAccount(generatePrivateKey()).address;
  for (const index of [0, 1, 7, 2 ** 31 - 1]) {
    const expected = getContractAddress({
      opcode: 'CREATE2',
      from: DEFAULT_FORWARDER_FACTORY,
      salt: keccak256(
        encodeAbiParameters([{ type: 'address' }, { type: 'uint256' }], [treasury, BigInt(index)]),
      ),
      bytecode: `${depositForwarderBytecode}${encodeAbiParameters([{ type: 'address' }], [treasury]).slice(2)}`,
    });
    assert.equal(forwarderAddress(DEFAULT_FORWARDER_FACTORY, treasury, index), expected);
  }
  // The treasury is part of the address: another treasury, other addresses.
  const other = privateKeyToAccount(generatePrivateKey()).address;
  assert.notEqual(
    forwarderAddress(DEFAULT_FORWARDER_FACTORY, other, 0),
    forwarderAddress(DEFAULT_FORWARDER_FACTORY, treasury, 0),
  );
  assert.throws(() => forwarderAddress(DEFAULT_FORWARDER_FACTORY, treasury, -1), RangeError);
});

describe('forwarder sweeps on anvil', () => {
  let anvil: Anvil;
  let pub: ReturnType<typeof devClients>['public'];
  let usdc: Address;
  let usdt: Address;
  // The relayer: a fresh key holding only gas money, as in production.
  const relayerAccount = privateKeyToAccount(generatePrivateKey());
  let relayer: ReturnType<
    typeof createWalletClient<ReturnType<typeof http>, typeof foundry, typeof relayerAccount>
  >;
  const treasury = privateKeyToAccount(generatePrivateKey()).address;
  const factory = DEFAULT_FORWARDER_FACTORY;
  let nextIndex = 0;
  const fresh = (n: number) => Array.from({ length: n }, () => nextIndex++);
  const at = (index: number) => forwarderAddress(factory, treasury, index);

  const sweep = async (indexes: number[], tokens: Address[], as = relayer, to: Address = treasury) => {
    const hash = await as.sendTransaction({
      to: factory,
      data: encodeSweep({ factory, treasury: to, indexes, tokens }),
    });
    return pub.waitForTransactionReceipt({ hash, pollingInterval: 50 });
  };

  before(async () => {
    anvil = await startAnvil();
    pub = devClients(anvil.rpcUrl).public;
    usdc = await deployTestToken(anvil.rpcUrl);
    usdt = await deployNoReturnToken(anvil.rpcUrl);
    relayer = createWalletClient({ chain: foundry, transport: http(anvil.rpcUrl), account: relayerAccount });
    await sendCoinTo(anvil.rpcUrl, [relayerAccount.address], [parseEther('10')]);
  });
  after(() => anvil?.stop());

  test('the relayer deploys the factory at its deterministic address through the proxy, once', async () => {
    assert.notEqual(await pub.getCode({ address: DETERMINISTIC_DEPLOYER }), undefined, 'anvil has the proxy');
    const hash = await ensureForwarderFactory(pub, relayer, factory);
    assert.ok(hash, 'deployed now');
    assert.ok(((await pub.getCode({ address: factory })) ?? '0x').length > 2);
    assert.equal(await ensureForwarderFactory(pub, relayer, factory), null, 'a second call finds it there');
    for (const index of [0, 5, 123_456]) {
      const onChain = await pub.readContract({
        address: factory,
        abi: forwarderFactoryAbi,
        functionName: 'forwarderAddress',
        args: [treasury, BigInt(index)],
      });
      assert.equal(onChain, at(index), `the factory agrees on deposit address ${index}`);
    }
  });

  test('USDC, USDT-shaped (no return value) and coin paid into undeployed addresses reach the treasury to the unit', async () => {
    const indexes = fresh(12);
    const addresses = indexes.map(at);
    for (const address of addresses)
      assert.equal(await pub.getCode({ address }), undefined, 'nothing deployed before');
    const usdcAmounts = addresses.map((_, k) => 1_000_000n + BigInt(k));
    const usdtAmounts = addresses.map((_, k) => 2_000_000n + BigInt(k * 3));
    const coinAmounts = addresses.map((_, k) => parseEther('0.01') + BigInt(k));
    await mintTo(anvil.rpcUrl, usdc, addresses, usdcAmounts);
    // Half the addresses hold USDT too: a token it does not hold costs a balanceOf, moves nothing.
    await mintTo(anvil.rpcUrl, usdt, addresses.slice(0, 6), usdtAmounts.slice(0, 6));
    // Coin sent before deployment goes along when the forwarder is created.
    await sendCoinTo(anvil.rpcUrl, addresses, coinAmounts);
    const coinBefore = await pub.getBalance({ address: treasury });

    const receipt = await sweep(indexes, [usdc, usdt]);
    assert.equal(receipt.status, 'success');
    assert.equal(await tokenBalance(anvil.rpcUrl, usdc, treasury), sum(usdcAmounts));
    assert.equal(await tokenBalance(anvil.rpcUrl, usdt, treasury), sum(usdtAmounts.slice(0, 6)));
    assert.equal((await pub.getBalance({ address: treasury })) - coinBefore, sum(coinAmounts));
    for (const address of addresses) {
      assert.equal(await tokenBalance(anvil.rpcUrl, usdc, address), 0n);
      assert.equal(await pub.getBalance({ address }), 0n);
      // Created and destroyed in one transaction: no code, nonce 0, as if never there.
      assert.equal(await pub.getCode({ address }), undefined);
      assert.equal(await pub.getTransactionCount({ address }), 0);
    }
  });

  test('an address paid again after its sweep is swept again (the forwarder left nothing behind)', async () => {
    const [index] = fresh(1);
    const address = at(index!);
    await mintTo(anvil.rpcUrl, usdc, [address], [5_000_000n]);
    const before = await tokenBalance(anvil.rpcUrl, usdc, treasury);
    assert.equal((await sweep([index!], [usdc])).status, 'success');
    await mintTo(anvil.rpcUrl, usdt, [address], [7_000_001n]);
    await sendCoinTo(anvil.rpcUrl, [address], [123_456_789n]);
    const coin = await pub.getBalance({ address: treasury });
    const usdtBefore = await tokenBalance(anvil.rpcUrl, usdt, treasury);
    assert.equal((await sweep([index!], [usdt])).status, 'success');
    assert.equal((await tokenBalance(anvil.rpcUrl, usdc, treasury)) - before, 5_000_000n);
    assert.equal((await tokenBalance(anvil.rpcUrl, usdt, treasury)) - usdtBefore, 7_000_001n);
    assert.equal((await pub.getBalance({ address: treasury })) - coin, 123_456_789n);
  });

  test('the relayer cannot send deposits anywhere but the treasury', async () => {
    const indexes = fresh(4);
    const addresses = indexes.map(at);
    const amounts = addresses.map((_, k) => 3_000_000n + BigInt(k));
    await mintTo(anvil.rpcUrl, usdc, addresses, amounts);
    await mintTo(anvil.rpcUrl, usdt, addresses, amounts);
    await sendCoinTo(anvil.rpcUrl, addresses, amounts);
    const thief = relayerAccount.address;
    const thiefCoin = await pub.getBalance({ address: thief });

    // 1. A sweep naming the relayer as treasury: other addresses (empty), nothing of ours moves.
    const redirected = await sweep(indexes, [usdc, usdt], relayer, thief);
    assert.equal(redirected.status, 'success');
    assert.equal(await tokenBalance(anvil.rpcUrl, usdc, thief), 0n);
    assert.equal(await tokenBalance(anvil.rpcUrl, usdt, thief), 0n);
    for (const [k, address] of addresses.entries()) {
      assert.equal(await tokenBalance(anvil.rpcUrl, usdc, address), amounts[k]);
      assert.equal(await pub.getBalance({ address }), amounts[k]);
    }

    // 2. Calls to the deposit addresses themselves (no code: nothing runs) with transfer calldata.
    for (const address of addresses) {
      const hash = await relayer.sendTransaction({
        to: address,
        data: encodeFunctionData({ abi: testTokenAbi, functionName: 'transfer', args: [thief, amounts[0]!] }),
      });
      await pub.waitForTransactionReceipt({ hash });
    }
    // 3. Pulling the tokens directly: no allowance was ever given.
    await assert.rejects(
      relayer.writeContract({
        address: usdc,
        abi: testTokenAbi,
        functionName: 'transferFrom',
        args: [addresses[0]!, thief, amounts[0]!],
      }),
      /allowance/,
    );
    // 4. Creating the forwarder code with the relayer as treasury at the deposit address is impossible:
    //    through the proxy the address differs (another deployer), so it lands elsewhere, empty.
    const forgedCode =
      `${depositForwarderBytecode}${encodeAbiParameters([{ type: 'address' }], [thief]).slice(2)}` as const;
    const forgedHash = await relayer.sendTransaction({
      to: DETERMINISTIC_DEPLOYER,
      data: `0x${'00'.repeat(32)}${forgedCode.slice(2)}`,
      gas: 1_000_000n,
    });
    await pub.waitForTransactionReceipt({ hash: forgedHash });
    const forgedAddress = getContractAddress({
      opcode: 'CREATE2',
      from: DETERMINISTIC_DEPLOYER,
      salt: `0x${'00'.repeat(32)}`,
      bytecode: forgedCode,
    });
    assert.ok(!addresses.includes(forgedAddress));
    // 5. The factory's token hook read outside a sweep lists nothing.
    assert.deepEqual(
      await pub.readContract({ address: factory, abi: forwarderFactoryAbi, functionName: 'sweepTokens' }),
      [],
    );

    for (const [k, address] of addresses.entries()) {
      assert.equal(
        await tokenBalance(anvil.rpcUrl, usdc, address),
        amounts[k],
        'still at the deposit address',
      );
      assert.equal(await tokenBalance(anvil.rpcUrl, usdt, address), amounts[k]);
    }
    assert.equal(await tokenBalance(anvil.rpcUrl, usdc, thief), 0n);
    assert.ok((await pub.getBalance({ address: thief })) < thiefCoin, 'the relayer only spent its own gas');

    // Anyone may sweep — here the development payer, not the relayer — and it all reaches the treasury.
    const usdcBefore = await tokenBalance(anvil.rpcUrl, usdc, treasury);
    const usdtBefore = await tokenBalance(anvil.rpcUrl, usdt, treasury);
    const stranger = devClients(anvil.rpcUrl).wallet;
    const hash = await stranger.sendTransaction({
      chain: null,
      to: factory,
      data: encodeSweep({ factory, treasury, indexes, tokens: [usdc, usdt] }),
    });
    assert.equal((await pub.waitForTransactionReceipt({ hash })).status, 'success');
    assert.equal((await tokenBalance(anvil.rpcUrl, usdc, treasury)) - usdcBefore, sum(amounts));
    assert.equal((await tokenBalance(anvil.rpcUrl, usdt, treasury)) - usdtBefore, sum(amounts));
  });

  test('a sweep whose token transfer fails reverts as a whole: nothing half-moved', async () => {
    const indexes = fresh(2);
    const addresses = indexes.map(at);
    await mintTo(anvil.rpcUrl, usdc, addresses, [1n, 2n]);
    // An address that is not a token in the list: balanceOf on an account without code fails.
    const notAToken = privateKeyToAccount(generatePrivateKey()).address;
    const before = await tokenBalance(anvil.rpcUrl, usdc, treasury);
    await assert.rejects(sweep(indexes, [usdc, notAToken]));
    assert.equal(await tokenBalance(anvil.rpcUrl, usdc, treasury), before);
    assert.equal(await tokenBalance(anvil.rpcUrl, usdc, addresses[0]!), 1n);
  });
});
