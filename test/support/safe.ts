/**
 * Test support: a real Safe (Safe{Wallet} smart account 1.5.0, from the published
 * `@safe-global/safe-smart-account` build artifacts) on anvil, owned 1-of-1 by a test key, and the
 * way the Safe{Wallet} Transaction Builder executes an imported batch: every transaction of the
 * file packed into one `MultiSendCallOnly.multiSend` call, made by the Safe with `DELEGATECALL`,
 * signed by the owner over the hash the Safe itself computes. Nothing here comes from the server's
 * code, so a batch file the server wrote is checked by the Safe contracts themselves.
 * @module
 */
import { createRequire } from 'node:module';
import {
  concat,
  encodeAbiParameters,
  encodeFunctionData,
  encodePacked,
  getContractAddress,
  keccak256,
  pad,
  parseAbiParameters,
  parseEther,
  size,
  zeroAddress,
  type Abi,
  type Address,
  type Hash,
  type Hex,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount, sign, serializeSignature } from 'viem/accounts';
import { createWalletClient, http } from 'viem';
import { foundry } from 'viem/chains';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sweepCommand } from '../../packages/server/src/cli/sweep-command.js';
import { DEFAULT_FORWARDER_FACTORY } from '../../packages/server/src/treasury/forwarder-address.js';
import { ensureForwarderFactory } from '../../packages/server/src/treasury/forwarder-factory.js';
import type { SafeBatchFile } from '../../packages/server/src/treasury/safe-transaction-builder.js';
import { testSecretBox } from './app.js';
import { devClients } from './chain.js';
import type { Stack } from './stack.js';

const require = createRequire(import.meta.url);
const artifact = (path: string) =>
  require(`@safe-global/safe-smart-account/build/artifacts/contracts/${path}`) as { abi: Abi; bytecode: Hex };
const SAFE = artifact('SafeL2.sol/SafeL2.json');
const PROXY = artifact('proxies/SafeProxy.sol/SafeProxy.json');
const FACTORY = artifact('proxies/SafeProxyFactory.sol/SafeProxyFactory.json');
const MULTI_SEND = artifact('libraries/MultiSendCallOnly.sol/MultiSendCallOnly.json');

/** One call of a batch, as the Transaction Builder hands it to MultiSend. */
export interface SafeCall {
  to: Address;
  value: bigint;
  data: Hex;
}

/** A 1-of-1 Safe whose address is known before anything is deployed (so a config can name it). */
export interface TestSafe {
  /** The Safe (proxy) address: the merchant's treasury. */
  address: Address;
  /** The owner's address. */
  owner: Address;
  /** Deploys the singleton, the proxy factory, MultiSendCallOnly and this Safe on the node. */
  deploy(rpcUrl: string): Promise<void>;
  /** Executes `calls` from the Safe through MultiSendCallOnly, signed by the owner; returns the tx hash. */
  execute(rpcUrl: string, calls: SafeCall[]): Promise<Hash>;
}

/**
 * A Safe for a test: a fresh deployer and owner key, and the addresses their deployments will have
 * (the deployer's nonces 0–2, then the factory's CREATE2 proxy).
 */
export function testSafe(): TestSafe {
  const deployer = privateKeyToAccount(generatePrivateKey());
  const ownerKey = generatePrivateKey();
  const owner = privateKeyToAccount(ownerKey);
  const singleton = getContractAddress({ from: deployer.address, nonce: 0n });
  const factory = getContractAddress({ from: deployer.address, nonce: 1n });
  const multiSend = getContractAddress({ from: deployer.address, nonce: 2n });
  const initializer = encodeFunctionData({
    abi: SAFE.abi,
    functionName: 'setup',
    args: [[owner.address], 1n, zeroAddress, '0x', zeroAddress, zeroAddress, 0n, zeroAddress],
  });
  const saltNonce = 0n;
  // SafeProxyFactory.createProxyWithNonce: CREATE2 with salt keccak(keccak(initializer) ‖ saltNonce)
  // over the proxy's creation code followed by the singleton as a 32-byte word.
  const address = getContractAddress({
    opcode: 'CREATE2',
    from: factory,
    salt: keccak256(encodePacked(['bytes32', 'uint256'], [keccak256(initializer), saltNonce])),
    bytecode: concat([PROXY.bytecode, pad(singleton)]),
  });

  return {
    address,
    owner: owner.address,
    async deploy(rpcUrl) {
      const { public: pub, test } = devClients(rpcUrl);
      await test.setBalance({ address: deployer.address, value: parseEther('10') });
      const wallet = createWalletClient({ chain: foundry, transport: http(rpcUrl), account: deployer });
      for (const [k, bytecode] of [SAFE.bytecode, FACTORY.bytecode, MULTI_SEND.bytecode].entries()) {
        const hash = await wallet.sendTransaction({ chain: null, data: bytecode, nonce: k });
        const receipt = await pub.waitForTransactionReceipt({ hash, pollingInterval: 50 });
        if (receipt.status !== 'success') throw new Error(`deploying Safe contract ${k} reverted`);
      }
      const hash = await wallet.writeContract({
        chain: null,
        address: factory,
        abi: FACTORY.abi,
        functionName: 'createProxyWithNonce',
        args: [singleton, initializer, saltNonce],
      });
      await pub.waitForTransactionReceipt({ hash, pollingInterval: 50 });
      if (size((await pub.getCode({ address })) ?? '0x') === 0)
        throw new Error(`no Safe at the predicted address ${address}`);
    },
    async execute(rpcUrl, calls) {
      const { public: pub, wallet } = devClients(rpcUrl);
      // MultiSend's encoding: operation (uint8, 0 = call) ‖ to ‖ value ‖ data length ‖ data, per call.
      const packed = concat(
        calls.map((c) =>
          encodePacked(
            ['uint8', 'address', 'uint256', 'uint256', 'bytes'],
            [0, c.to, c.value, BigInt(size(c.data)), c.data],
          ),
        ),
      );
      const data = encodeFunctionData({ abi: MULTI_SEND.abi, functionName: 'multiSend', args: [packed] });
      const nonce = (await pub.readContract({ address, abi: SAFE.abi, functionName: 'nonce' })) as bigint;
      const tx = [multiSend, 0n, data, 1, 0n, 0n, 0n, zeroAddress, zeroAddress] as const;
      // The hash the Safe itself computes (EIP-712), signed by the owner: r ‖ s ‖ v (27/28).
      const safeTxHash = (await pub.readContract({
        address,
        abi: SAFE.abi,
        functionName: 'getTransactionHash',
        args: [...tx, nonce],
      })) as Hash;
      const signature = serializeSignature(await sign({ hash: safeTxHash, privateKey: ownerKey }));
      const hash = await wallet.writeContract({
        chain: null,
        address,
        abi: SAFE.abi,
        functionName: 'execTransaction',
        args: [...tx, signature],
      });
      const receipt = await pub.waitForTransactionReceipt({ hash, pollingInterval: 50 });
      if (receipt.status !== 'success') throw new Error(`execTransaction reverted (${hash})`);
      // A Safe whose inner call fails still mines the transaction: it emits ExecutionFailure.
      const failure = keccak256(new TextEncoder().encode('ExecutionFailure(bytes32,uint256)'));
      if (
        receipt.logs.some(
          (log) => log.address.toLowerCase() === address.toLowerCase() && log.topics[0] === failure,
        )
      )
        throw new Error(`the Safe's batch failed (ExecutionFailure in ${hash})`);
      return hash;
    },
  };
}

/** ABI-encodes a call from a Transaction Builder entry given as `contractMethod` + `contractInputsValues`. */
export function encodeBuilderMethod(
  method: { name: string; inputs: { name: string; type: string }[] },
  values: Record<string, string>,
): Hex {
  const types = method.inputs.map((i) => i.type).join(',');
  const selector = keccak256(new TextEncoder().encode(`${method.name}(${types})`)).slice(0, 10) as Hex;
  const args = method.inputs.map((i) => {
    const raw = values[i.name];
    if (raw === undefined) throw new Error(`no value for ${i.name}`);
    return /int/.test(i.type) ? BigInt(raw) : raw;
  });
  return concat([selector, encodeAbiParameters(parseAbiParameters(types), args)]);
}

/**
 * The Transaction Builder's import check, transcribed from its source (safe-react-apps,
 * apps/tx-builder/src/lib/checksum.ts), apart from the server's code: every object written as
 * `{<sorted keys as JSON>v1,v2,…,}`, arrays as `[a,b]`, `undefined` as null; `meta.name` null and no
 * `meta.checksum`; keccak-256.
 */
export function txBuilderChecksum(file: { meta: Record<string, unknown> }): string {
  const write = (value: unknown): string => {
    if (Array.isArray(value)) return `[${value.map(write).join(',')}]`;
    if (value && typeof value === 'object') {
      const keys = Object.keys(value).sort();
      return `{${JSON.stringify(keys)}${keys.map((k) => `${write((value as Record<string, unknown>)[k])},`).join('')}}`;
    }
    return JSON.stringify(value ?? null);
  };
  const { checksum: _omit, ...meta } = file.meta;
  void _omit;
  return keccak256(new TextEncoder().encode(write({ ...file, meta: { ...meta, name: null } })));
}

/**
 * Deploys the forwarder factory if it is not there yet, runs `sweep --export <file>` on the stack's
 * forwarder-mode chain as the CLI would, and returns the file it wrote, parsed.
 */
export async function exportSweepFile(stack: Stack): Promise<SafeBatchFile> {
  const { public: pub, wallet } = devClients(stack.rpcUrl);
  await ensureForwarderFactory(pub, wallet, DEFAULT_FORWARDER_FACTORY);
  const dir = await mkdtemp(join(tmpdir(), 'cc-safe-batch-'));
  try {
    const path = join(dir, 'batch.json');
    const context = {
      config: stack.config,
      db: stack.server.app.store.db,
      secrets: testSecretBox,
      print: () => undefined,
    };
    await sweepCommand.run(context, { export: path }, []);
    return JSON.parse(await readFile(path, 'utf8')) as SafeBatchFile;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
