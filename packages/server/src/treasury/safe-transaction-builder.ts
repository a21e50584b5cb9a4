/**
 * Safe Transaction Builder batch files: the JSON that the Safe{Wallet} Transaction Builder app
 * imports, so that a merchant's Safe (its owners, on their own devices) can send a batch. Used by
 * `sweep --export` on forwarder-mode chains: the treasury Safe can sweep its deposit addresses itself
 * without any relayer. The checksum is the app's: keccak256 of the file serialized with sorted keys
 * and `meta.name` set to null.
 */
import { keccak256, stringToHex, type Address, type Hex } from 'viem';

/** A contract method as the Transaction Builder describes it when it encodes the call itself. */
export interface SafeContractMethod {
  inputs: { name: string; type: string; internalType: string }[];
  name: string;
  payable: boolean;
}

/**
 * One transaction of a batch file: either raw `data`, or a method and its inputs (`data` null) that
 * the Transaction Builder encodes and shows field by field.
 */
export interface SafeBatchTransaction {
  to: Address;
  /** Wei, decimal string. */
  value: string;
  data: Hex | null;
  contractMethod: SafeContractMethod | null;
  contractInputsValues: Record<string, string> | null;
}

/** A Transaction Builder batch file (version 1.0). */
export interface SafeBatchFile {
  version: '1.0';
  chainId: string;
  createdAt: number;
  meta: {
    name: string;
    description: string;
    txBuilderVersion: string;
    createdFromSafeAddress: Address;
    createdFromOwnerAddress: string;
    checksum: Hex;
  };
  transactions: SafeBatchTransaction[];
}

/**
 * The app's canonical serialization: each object as `{["k1","k2",…]v1,v2,…,}` with keys sorted,
 * arrays as `[a,b]`, anything else as JSON (`undefined` as null).
 */
function serialize(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(serialize).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    return `{${JSON.stringify(keys)}${keys.map((key) => `${serialize(record[key])},`).join('')}}`;
  }
  return JSON.stringify(value === undefined ? null : value);
}

/** The checksum the Transaction Builder checks on import. */
export function safeBatchChecksum(
  file: Omit<SafeBatchFile, 'meta'> & { meta: Omit<SafeBatchFile['meta'], 'checksum'> },
): Hex {
  return keccak256(stringToHex(serialize({ ...file, meta: { ...file.meta, name: null } })));
}

/**
 * Builds a batch file for `safe` on `chainId` with `transactions`.
 * @example safeBatchFile({ chainId: 8453, safe, name: 'Sweep deposits', description: '…', transactions: [{ to, value: 0n, data }] })
 */
export function safeBatchFile(options: {
  chainId: number;
  safe: Address;
  name: string;
  description: string;
  transactions: (
    | { to: Address; value: bigint; data: Hex }
    | { to: Address; value: bigint; method: SafeContractMethod; inputs: Record<string, string> }
  )[];
  /** The owner the file is meant for, if known (the app shows it). */
  owner?: string;
  createdAt?: number;
}): SafeBatchFile {
  const file = {
    version: '1.0' as const,
    chainId: String(options.chainId),
    createdAt: options.createdAt ?? Date.now(),
    meta: {
      name: options.name,
      description: options.description,
      txBuilderVersion: '1.16.5',
      createdFromSafeAddress: options.safe,
      createdFromOwnerAddress: options.owner ?? '',
    },
    transactions: options.transactions.map((t) => ({
      to: t.to,
      value: t.value.toString(),
      ...('data' in t
        ? { data: t.data, contractMethod: null, contractInputsValues: null }
        : { data: null, contractMethod: t.method, contractInputsValues: t.inputs }),
    })),
  };
  return { ...file, meta: { ...file.meta, checksum: safeBatchChecksum(file) } };
}
