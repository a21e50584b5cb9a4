import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import {
  createPublicClient,
  createTestClient,
  createWalletClient,
  http,
  parseUnits,
  type Address,
  type Hash,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import { testTokenAbi, testTokenBytecode } from './contracts/test-token.js';
import { DEV_PAYER_KEY } from './dev-accounts.js';

// In a module of its own so that the browser's dev wallet (dev-wallet.ts) can import it too.
export { DEV_PAYER_KEY };

/** Path of the anvil binary shipped inside the `@foundry-rs/anvil-<platform>-<arch>` npm package. */
export function anvilBinary(): string {
  const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch as string] ?? process.arch;
  const platform = process.platform === 'win32' ? 'win32' : process.platform;
  const require = createRequire(import.meta.url);
  const pkg = require.resolve(`@foundry-rs/anvil-${platform}-${arch}/package.json`);
  return join(dirname(pkg), 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil');
}

/**
 * A port on 127.0.0.1 where nothing listens right now, for tests of a node that is not there (yet).
 * Another process may take it before it is used: everything the tests start listens on port 0 instead
 * and says which port it got.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A running anvil node. */
export interface Anvil {
  rpcUrl: string;
  wsUrl: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** How to start anvil. */
export interface AnvilOptions {
  /** Port to listen on; default: a free one. Pass the old port to restart a stopped node in place. */
  port?: number;
  /** Seconds between blocks (interval mining); default: automine, one block per transaction. */
  blockTime?: number;
  /**
   * A file that keeps the chain across restarts (`--state`): loaded at start when it exists, written
   * when the node stops (`stop()` sends SIGTERM, which writes it; SIGKILL would not). Block hashes,
   * transactions and logs survive the reload unchanged.
   */
  state?: string;
  /** More command-line arguments for anvil, e.g. `['--no-mining']`. */
  args?: string[];
}

/**
 * Starts a real anvil node (automine unless `blockTime` seconds is given) and waits until it answers.
 * @example const anvil = await startAnvil(); ...; await anvil.stop();
 * @example // stop the node and bring it back with the same chain on the same port
 * const anvil = await startAnvil({ state: '/tmp/chain.json' });
 * await anvil.stop();
 * const again = await startAnvil({ port: anvil.port, state: '/tmp/chain.json' });
 */
export async function startAnvil(options: AnvilOptions = {}): Promise<Anvil> {
  // Port 0 lets the system choose, and anvil says which in its "Listening on" line: no probing for a
  // free port that someone else may take before anvil binds it.
  const args = ['--host', '127.0.0.1', '--port', String(options.port ?? 0)];
  if (options.blockTime) args.push('--block-time', String(options.blockTime));
  if (options.state) args.push('--state', options.state);
  if (options.args) args.push(...options.args);
  const child = spawn(anvilBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`anvil did not start within 15 s: ${stderr}`)), 15_000);
    const onData = (chunk: Buffer) => {
      stdout += chunk.toString();
      const listening = /Listening on 127\.0\.0\.1:(\d+)/.exec(stdout);
      if (!listening) return;
      clearTimeout(timer);
      // From here on anvil logs every RPC call: read and drop it, so that the pipe never fills.
      child.stdout!.off('data', onData).resume();
      resolve(Number(listening[1]));
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`anvil exited with ${code}: ${stderr}${stdout.slice(-500)}`));
    });
  });
  const rpcUrl = `http://127.0.0.1:${port}`;
  return {
    rpcUrl,
    wsUrl: `ws://127.0.0.1:${port}`,
    port,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Clients for a local anvil node, acting as the well-known development payer. */
export function devClients(rpcUrl: string) {
  const account = privateKeyToAccount(DEV_PAYER_KEY);
  const transport = http(rpcUrl);
  return {
    account,
    public: createPublicClient({ chain: foundry, transport }),
    wallet: createWalletClient({ chain: foundry, transport, account }),
    test: createTestClient({ chain: foundry, mode: 'anvil', transport }),
  };
}

/**
 * Deploys the development-only TestToken ("USDC", 6 decimals) and mints `mint` whole tokens to the
 * development payer. Returns the token's address.
 */
export async function deployTestToken(
  rpcUrl: string,
  options: { symbol?: string; decimals?: number; mint?: string } = {},
): Promise<Address> {
  const { account, public: pub, wallet } = devClients(rpcUrl);
  const decimals = options.decimals ?? 6;
  const symbol = options.symbol ?? 'USDC';
  // `chain: null`: the node says which chain it is, so this works on any local chain id.
  const hash = await wallet.deployContract({
    chain: null,
    abi: testTokenAbi,
    bytecode: testTokenBytecode,
    args: [`Test ${symbol}`, symbol, decimals],
  });
  const receipt = await pub.waitForTransactionReceipt({ hash, pollingInterval: 50 });
  const address = receipt.contractAddress!;
  const mint = await wallet.writeContract({
    chain: null,
    address,
    abi: testTokenAbi,
    functionName: 'mint',
    args: [account.address, parseUnits(options.mint ?? '1000000', decimals)],
  });
  await pub.waitForTransactionReceipt({ hash: mint, pollingInterval: 50 });
  return address;
}

/**
 * Sends a real payment from the development payer: `amount` whole units (decimal string) of the
 * ERC-20 at `token`, or of the native coin when `token` is null. Waits until it is mined.
 */
export async function sendDevPayment(
  rpcUrl: string,
  to: Address,
  amount: string,
  token: { address: Address; decimals: number } | null,
): Promise<Hash> {
  const { public: pub, wallet } = devClients(rpcUrl);
  const hash = token
    ? await wallet.writeContract({
        chain: null,
        address: token.address,
        abi: testTokenAbi,
        functionName: 'transfer',
        args: [to, parseUnits(amount, token.decimals)],
      })
    : await wallet.sendTransaction({ chain: null, to, value: parseUnits(amount, 18) });
  await pub.waitForTransactionReceipt({ hash, pollingInterval: 50 });
  return hash;
}
