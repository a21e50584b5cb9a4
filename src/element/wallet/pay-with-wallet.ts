/**
 * The steps of paying a session from a wallet, with viem over the wallet's EIP-1193 provider: get
 * onto the session's chain, read the balances, build the transfer, follow its receipt. The element's
 * wallet panel calls them in that order; sending itself is one `eth_sendTransaction` the panel makes
 * straight from the buyer's tap.
 * @module
 */
import {
  createClient,
  custom,
  encodeFunctionData,
  hexToBigInt,
  hexToNumber,
  numberToHex,
  type Address,
  type Client,
  type Hash,
  type Hex,
} from 'viem';
import { addChain, switchChain } from 'viem/actions';
import type { PaymentInstructions } from '@crypto-checkout/protocol';
import { chainToAdd } from './chains.js';
import { isUnknownChain, isUserRejection, WalletError, type Eip1193Provider } from './eip1193.js';

const erc20Abi = [
  {
    type: 'function',
    name: 'transfer',
    stateMutability: 'nonpayable',
    inputs: [
      { name: 'to', type: 'address' },
      { name: 'amount', type: 'uint256' },
    ],
    outputs: [{ name: '', type: 'bool' }],
  },
  {
    type: 'function',
    name: 'balanceOf',
    stateMutability: 'view',
    inputs: [{ name: 'owner', type: 'address' }],
    outputs: [{ name: '', type: 'uint256' }],
  },
] as const;

/** The transaction the wallet is asked to send, in `eth_sendTransaction`'s JSON form. */
export interface PaymentTransaction {
  from: Address;
  to: Address;
  /** Wei, for a native payment. */
  value?: Hex;
  /** `transfer(depositAddress, amount)`, for a token payment. */
  data?: Hex;
}

/**
 * A viem client over the wallet. No retries: a request the buyer declined must not be asked again,
 * and a failed send must not be repeated behind the buyer's back.
 */
export function walletClient(provider: Eip1193Provider): Client {
  return createClient({ transport: custom(provider as Parameters<typeof custom>[0], { retryCount: 0 }) });
}

/**
 * The transfer that pays `amountAtomic` of the session's token from `from`: a native transfer to the
 * deposit address, or the token contract's `transfer(depositAddress, amountAtomic)`.
 * @example paymentTransaction(payment, 10_000_000n, '0xabc…') // { from, to: token, data: '0xa9059cbb…' }
 */
export function paymentTransaction(
  payment: PaymentInstructions,
  amountAtomic: bigint,
  from: Address,
): PaymentTransaction {
  const to = payment.address as Address;
  return payment.kind === 'native' || !payment.token_address
    ? { from, to, value: numberToHex(amountAtomic) }
    : {
        from,
        to: payment.token_address as Address,
        data: encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [to, amountAtomic] }),
      };
}

/**
 * The EIP-155 id of an EVM payment. Browser wallets here speak EIP-1193 only, so the element offers
 * them for EVM payments alone; anything else reaching the wallet code is refused, not guessed at.
 */
export function evmChainId(payment: PaymentInstructions): number {
  if (payment.family !== 'evm' || payment.chain_id === null) {
    throw new WalletError('wallet_wrong_network', `a browser wallet cannot pay on ${payment.network}`);
  }
  return payment.chain_id;
}

/**
 * Gets the wallet onto the session's chain: nothing when it is there already, else
 * `wallet_switchEthereumChain`, and `wallet_addEthereumChain` first when the wallet does not know the
 * chain (4902). Throws a {@link WalletError} `wallet_wrong_network` when the buyer refuses, or the
 * chain cannot be added; rethrows any other error of the wallet.
 */
export async function ensureChain(client: Client, payment: PaymentInstructions): Promise<void> {
  const id = evmChainId(payment);
  const current = async () => hexToNumber((await client.request({ method: 'eth_chainId' })) as Hex);
  if ((await current()) === id) return;
  const refused = (cause: unknown) =>
    new WalletError('wallet_wrong_network', `the wallet did not switch to chain ${id}: ${String(cause)}`);
  try {
    await switchChain(client, { id: id });
  } catch (error) {
    if (isUserRejection(error)) throw refused(error);
    if (!isUnknownChain(error)) throw error;
    const chain = chainToAdd(id, payment.network, payment.explorer_url);
    if (!chain) throw refused(error);
    try {
      // Wallets switch to a chain they have just added (EIP-3085); switch again for those that do not.
      await addChain(client, { chain });
      if ((await current()) !== id) await switchChain(client, { id: id });
    } catch (again) {
      throw isUserRejection(again) || isUnknownChain(again) ? refused(again) : again;
    }
  }
  if ((await current()) !== id) throw refused('it stayed on another chain');
}

/** Balances read from the wallet's node; a field is `undefined` when the wallet could not tell. */
export interface Funds {
  /** Token units held, for a token payment. */
  token?: bigint;
  /** Native coin held, in wei. */
  native?: bigint;
  /** The least the transaction's network fee can cost (gas estimate × gas price), in wei. */
  fee?: bigint;
}

/**
 * Reads what the wallet holds and what the network fee will be at least. Never throws: whatever a
 * wallet cannot answer stays `undefined`, and the buyer is then not warned about it.
 */
export async function readFunds(
  client: Client,
  tx: PaymentTransaction,
  payment: PaymentInstructions,
): Promise<Funds> {
  const quiet = <T>(request: Promise<unknown>, map: (value: Hex) => T) =>
    request.then(
      (value) => (typeof value === 'string' && value.startsWith('0x') ? map(value as Hex) : undefined),
      () => undefined,
    );
  const req = client.request as (args: { method: string; params?: unknown[] }) => Promise<unknown>;
  const [native, token, gas, price] = await Promise.all([
    quiet(req({ method: 'eth_getBalance', params: [tx.from, 'latest'] }), hexToBigInt),
    payment.token_address
      ? quiet(
          req({
            method: 'eth_call',
            params: [
              {
                to: payment.token_address,
                data: encodeFunctionData({ abi: erc20Abi, functionName: 'balanceOf', args: [tx.from] }),
              },
              'latest',
            ],
          }),
          (value) => (value === '0x' ? undefined : hexToBigInt(value)),
        )
      : undefined,
    quiet(req({ method: 'eth_estimateGas', params: [tx] }), hexToBigInt),
    quiet(req({ method: 'eth_gasPrice' }), hexToBigInt),
  ]);
  return { native, token, fee: gas !== undefined && price !== undefined ? gas * price : undefined };
}

/**
 * What stops the payment, judged from {@link readFunds}: too little of the token or coin
 * (`wallet_insufficient_funds`), no coin for the fee (`wallet_no_gas`), or `null` when it should go
 * through (or the wallet could not tell).
 * @example fundsProblem(usdcPayment, 10_000_000n, { token: 4_000_000n }) // 'wallet_insufficient_funds'
 */
export function fundsProblem(
  payment: PaymentInstructions,
  amountAtomic: bigint,
  funds: Funds,
): 'wallet_insufficient_funds' | 'wallet_no_gas' | null {
  const fee = funds.fee ?? 0n;
  if (payment.token_address) {
    if (funds.token !== undefined && funds.token < amountAtomic) return 'wallet_insufficient_funds';
    // Without an estimate, an empty native balance still cannot pay any fee.
    if (funds.native !== undefined && (funds.native === 0n || funds.native < fee)) return 'wallet_no_gas';
    return null;
  }
  if (funds.native === undefined) return null;
  if (funds.native < amountAtomic) return 'wallet_insufficient_funds';
  if (funds.native < amountAtomic + fee) return 'wallet_no_gas';
  return null;
}

/**
 * Follows a sent transaction until it is mined: `'success'`, `'reverted'`, or `undefined` when the
 * wallet stops answering or `signal` aborts. Polls `eth_getTransactionReceipt` every `interval` ms.
 */
export async function waitForReceipt(
  client: Client,
  hash: Hash,
  signal: AbortSignal,
  interval = 1000,
): Promise<'success' | 'reverted' | undefined> {
  let failures = 0;
  while (!signal.aborted) {
    try {
      const receipt = (await client.request({
        method: 'eth_getTransactionReceipt',
        params: [hash],
      })) as { status?: Hex } | null;
      failures = 0;
      if (receipt?.status) return receipt.status === '0x1' ? 'success' : 'reverted';
    } catch {
      if (++failures >= 5) return undefined;
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
  return undefined;
}
