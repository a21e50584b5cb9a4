/**
 * Keyless sweeps in xpub mode: builds the unsigned EIP-1559 transactions that move what each
 * deposit address holds (tokens, then the rest of its coin) to the merchant's treasury, for the
 * merchant to sign in their own wallet, which holds the keys of the xpub's children. The server
 * never sees a private key; it only reads balances, nonces and fees.
 */
import {
  encodeFunctionData,
  keccak256,
  serializeTransaction,
  type Address,
  type Hex,
  type PublicClient,
  type TransactionSerializableEIP1559,
} from 'viem';
import type { HDKey } from '@scure/bip32';
import { deriveDepositAddress } from '../chain/evm/derive-address.js';
import type { ChainConfig } from '../config.js';
import type { SweepRecord, SweepStore } from '../store/sweep-store.js';

/** The export's format name and version, first in the file so that a reader can check it. */
export const SWEEP_EXPORT_FORMAT = 'crypto-checkout.sweep-export';

/** One unsigned transaction of a {@link SweepExport}. */
export interface ExportedTransaction {
  /** The deposit address that signs it. */
  from: Address;
  /** Its child index under the configured xpub (the wallet account m/…/index). */
  derivation_index: number;
  asset: string;
  /** Token contract, `null` for the native coin. */
  token_address: Address | null;
  /** What reaches the treasury, atomic units (decimal string). */
  amount_atomic: string;
  /** The unsigned transaction, EIP-2718 serialized (type 2): what a wallet signs. */
  unsigned_tx: Hex;
  /** The same fields, readable; numbers as decimal strings. */
  tx: {
    type: 'eip1559';
    chainId: number;
    nonce: number;
    to: Address;
    value: string;
    data: Hex;
    gas: string;
    maxFeePerGas: string;
    maxPriorityFeePerGas: string;
  };
}

/** The file `sweep --export` writes for an xpub-mode chain. */
export interface SweepExport {
  format: typeof SWEEP_EXPORT_FORMAT;
  version: 1;
  chain_id: number;
  chain: string;
  /** Where every transaction sends. */
  to: Address;
  created_at: string;
  /** The chain's head block when the file was made: no transaction of it can be mined before. */
  block_number: number;
  transactions: ExportedTransaction[];
  /**
   * Addresses holding tokens without coin enough for gas: send each `needs_wei` first (and export
   * again), or their token transactions cannot be mined.
   */
  needs_gas: { address: Address; derivation_index: number; needs_wei: string }[];
}

const ERC20_ABI = [
  {
    type: 'function',
    name: 'balanceOf',
    stateMutability: 'view',
    inputs: [{ name: 'owner', type: 'address' }],
    outputs: [{ name: '', type: 'uint256' }],
  },
  {
    type: 'function',
    name: 'transfer',
    stateMutability: 'nonpayable',
    inputs: [
      { name: 'to', type: 'address' },
      { name: 'value', type: 'uint256' },
    ],
    outputs: [{ name: '', type: 'bool' }],
  },
] as const;

/** The gas a plain coin transfer to an account without code takes. */
const NATIVE_TRANSFER_GAS = 21_000n;

/**
 * Builds the export for `chain`: for each xpub deposit address with confirmed transfers, one
 * transaction per token it holds (`transfer(to, balance)`), then one sending its coin less what all
 * its transactions may pay in gas. Addresses that hold tokens but too little coin for gas are listed
 * in `needs_gas` instead of getting transactions that could not be mined.
 * @example const file = await buildXpubSweepExport({ chain, store, client, xpub, to: treasury });
 */
export async function buildXpubSweepExport(options: {
  chain: ChainConfig;
  store: SweepStore;
  client: PublicClient;
  xpub: HDKey;
  to: Address;
  now?: Date;
}): Promise<SweepExport> {
  const { chain, store, client, xpub, to } = options;
  const head = Number(await client.getBlockNumber());
  const candidates = (await store.candidates(chain.id, head - chain.confirmations + 1)).filter(
    (c) => deriveDepositAddress(xpub, c.derivation_index).toLowerCase() === c.address,
  );
  const fees = await client.estimateFeesPerGas();
  const byAddress = new Map<Address, { index: number; tokens: { symbol: string; token: Address }[] }>();
  for (const c of candidates) {
    const entry = byAddress.get(c.address) ?? { index: c.derivation_index, tokens: [] };
    if (c.token_address) entry.tokens.push({ symbol: c.token_symbol, token: c.token_address });
    byAddress.set(c.address, entry);
  }
  const transactions: ExportedTransaction[] = [];
  const needsGas: SweepExport['needs_gas'] = [];
  for (const [lower, { index, tokens }] of byAddress) {
    const from = deriveDepositAddress(xpub, index);
    let nonce = await client.getTransactionCount({ address: from, blockTag: 'pending' });
    const coin = await client.getBalance({ address: from });
    const planned: Omit<ExportedTransaction, 'unsigned_tx' | 'tx'>[] = [];
    const bodies: { to: Address; data: Hex; value: bigint; gas: bigint }[] = [];
    for (const { symbol, token } of tokens) {
      const balance = await client.readContract({
        address: token,
        abi: ERC20_ABI,
        functionName: 'balanceOf',
        args: [lower],
      });
      if (balance === 0n) continue;
      const data = encodeFunctionData({ abi: ERC20_ABI, functionName: 'transfer', args: [to, balance] });
      const gas = await client.estimateGas({ account: from, to: token, data });
      planned.push({
        from,
        derivation_index: index,
        asset: symbol,
        token_address: token,
        amount_atomic: balance.toString(),
      });
      bodies.push({ to: token, data, value: 0n, gas });
    }
    const tokenGasCost = bodies.reduce((sum, b) => sum + b.gas * fees.maxFeePerGas, 0n);
    if (tokenGasCost > coin) {
      needsGas.push({ address: from, derivation_index: index, needs_wei: (tokenGasCost - coin).toString() });
      continue;
    }
    const rest = coin - tokenGasCost - NATIVE_TRANSFER_GAS * fees.maxFeePerGas;
    if (chain.native && rest > 0n) {
      planned.push({
        from,
        derivation_index: index,
        asset: chain.native.symbol,
        token_address: null,
        amount_atomic: rest.toString(),
      });
      bodies.push({ to, data: '0x', value: rest, gas: NATIVE_TRANSFER_GAS });
    }
    for (const [k, body] of bodies.entries()) {
      const tx: TransactionSerializableEIP1559 = {
        type: 'eip1559',
        chainId: chain.id,
        nonce: nonce++,
        to: body.to,
        value: body.value,
        data: body.data,
        gas: body.gas,
        maxFeePerGas: fees.maxFeePerGas,
        maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      };
      transactions.push({
        ...planned[k]!,
        unsigned_tx: serializeTransaction(tx),
        tx: {
          type: 'eip1559',
          chainId: chain.id,
          nonce: tx.nonce!,
          to: body.to,
          value: body.value.toString(),
          data: body.data,
          gas: body.gas.toString(),
          maxFeePerGas: fees.maxFeePerGas.toString(),
          maxPriorityFeePerGas: fees.maxPriorityFeePerGas.toString(),
        },
      });
    }
  }
  return {
    format: SWEEP_EXPORT_FORMAT,
    version: 1,
    chain_id: chain.id,
    chain: chain.key,
    to,
    created_at: (options.now ?? new Date()).toISOString(),
    block_number: head,
    transactions,
    needs_gas: needsGas,
  };
}

/**
 * The `sweeps` rows of an export's transactions (status `exported`, migration 29), for
 * {@link SweepStore.recordExport}: until the signed transaction is found on chain its hash is
 * unknown (it depends on the signature), so each row's `tx_hash` is the keccak of the unsigned
 * transaction, `relayer_address` the deposit address that signs it and `raw_tx` the unsigned
 * transaction. The xpub sweep watch (xpub-sweep-watch.ts) finds what used each nonce and books it.
 * @example await store.recordExport(chain.id, exportRecords(file), file.block_number);
 */
export function exportRecords(file: SweepExport, now = new Date()): SweepRecord[] {
  return file.transactions.map((t) => {
    const from = t.from.toLowerCase() as Address;
    return {
      chain_id: file.chain_id,
      tx_hash: keccak256(t.unsigned_tx),
      address: from,
      derivation_index: t.derivation_index,
      token_symbol: t.asset,
      token_address: (t.token_address?.toLowerCase() as Address | undefined) ?? null,
      treasury_address: file.to.toLowerCase() as Address,
      planned_atomic: BigInt(t.amount_atomic),
      amount_atomic: null,
      status: 'exported',
      batch_deposits: 1,
      tx_gas_used: null,
      gas_share: null,
      effective_gas_price: null,
      block_number: null,
      relayer_address: from,
      nonce: t.tx.nonce,
      raw_tx: t.unsigned_tx,
      created_at: now,
      updated_at: now,
    };
  });
}
