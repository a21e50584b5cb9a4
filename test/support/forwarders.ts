/**
 * Test support for forwarder-mode sweeps on anvil: deploy the USDT-shaped token, fund deposit
 * addresses with tokens and coin, read balances. Shared by test/server/forwarder-*.test.ts and
 * bench/sweeps.ts.
 */
import { parseUnits, type Address, type Hash } from 'viem';
import { devClients } from './chain.js';
import { noReturnTokenAbi, noReturnTokenBytecode } from './contracts/no-return-token.js';
import { testTokenAbi } from './contracts/test-token.js';

/** Deploys the test-only NoReturnToken ("USDT", 6 decimals: transfer returns nothing). */
export async function deployNoReturnToken(rpcUrl: string, symbol = 'USDT', decimals = 6): Promise<Address> {
  const { public: pub, wallet } = devClients(rpcUrl);
  const hash = await wallet.deployContract({
    chain: null,
    abi: noReturnTokenAbi,
    bytecode: noReturnTokenBytecode,
    args: [`Test ${symbol}`, symbol, decimals],
  });
  return (await pub.waitForTransactionReceipt({ hash, pollingInterval: 50 })).contractAddress!;
}

/**
 * Mints `amounts[k]` atomic units of `token` to `addresses[k]` (both test tokens share `mint`), all
 * sent at once and awaited together: a fast way to fund many deposit addresses.
 */
export async function mintTo(rpcUrl: string, token: Address, addresses: Address[], amounts: bigint[]) {
  const { account, public: pub, wallet } = devClients(rpcUrl);
  let nonce = await pub.getTransactionCount({ address: account.address, blockTag: 'pending' });
  const hashes: Hash[] = [];
  for (const [k, to] of addresses.entries()) {
    hashes.push(
      await wallet.writeContract({
        chain: null,
        address: token,
        abi: testTokenAbi,
        functionName: 'mint',
        args: [to, amounts[k]!],
        nonce: nonce++,
      }),
    );
  }
  for (const hash of hashes) await pub.waitForTransactionReceipt({ hash, pollingInterval: 50 });
}

/** Sends `amounts[k]` wei to `addresses[k]` from the development payer, all at once. */
export async function sendCoinTo(rpcUrl: string, addresses: Address[], amounts: bigint[]) {
  const { account, public: pub, wallet } = devClients(rpcUrl);
  let nonce = await pub.getTransactionCount({ address: account.address, blockTag: 'pending' });
  const hashes: Hash[] = [];
  for (const [k, to] of addresses.entries()) {
    hashes.push(await wallet.sendTransaction({ chain: null, to, value: amounts[k]!, nonce: nonce++ }));
  }
  for (const hash of hashes) await pub.waitForTransactionReceipt({ hash, pollingInterval: 50 });
}

/** The ERC-20 balance of `owner` at `token`, in atomic units. */
export function tokenBalance(rpcUrl: string, token: Address, owner: Address): Promise<bigint> {
  return devClients(rpcUrl).public.readContract({
    address: token,
    abi: testTokenAbi,
    functionName: 'balanceOf',
    args: [owner],
  });
}

/** `n` distinct atomic amounts of about `whole` units of a 6-decimal token (so sums are checkable). */
export function amountsOf(n: number, whole = '10', decimals = 6): bigint[] {
  return Array.from({ length: n }, (_, k) => parseUnits(whole, decimals) + BigInt(k * 1_001 + 7));
}
