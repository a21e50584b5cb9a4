/**
 * Unsigned TRON transactions, as java-tron's HTTP API writes them (`visible: false`): `raw_data`
 * (one contract, the reference block, the expiry, the fee limit), `raw_data_hex` (the protobuf
 * encoding of `raw_data`, what a signer hashes) and `txID` (sha256 of those bytes). TronLink, TronWeb's
 * `trx.sign`, Ledger's TRON app and `wallet/broadcasttransaction` all take this shape once signed.
 *
 * The encoding is done by protobufjs from the messages of TRON's own `.proto` files
 * (tronprotocol/protocol `core/Tron.proto`, `core/contract/balance_contract.proto`,
 * `core/contract/smart_contract.proto`), copied below with their field numbers and only the fields
 * these transactions use: protobuf is written by a library, never by hand. protobufjs is imported on
 * first use, so the server's start-up never loads it: only the CLI's export commands do.
 *
 * A transaction names a recent block (`ref_block_bytes`: bytes 6–7 of its height, `ref_block_hash`:
 * bytes 8–15 of its id), which java-tron checks is one of its last 65 536 blocks, and expires at
 * `expiration` (ms), which may be at most 24 h after the node's head block time: sign and broadcast
 * before then, or export again.
 * @module
 */
import { createHash } from 'node:crypto';
import type { Type } from 'protobufjs';
import { tronAddressToHex } from './address.js';
import { parseNowBlock, TronApiError, TRON_API_TIMEOUT_MS, type TronBlockHeader } from './solid-head.js';

/** The longest a TRON transaction may live after its reference block, by java-tron's rule (24 h). */
export const TRON_MAX_EXPIRATION_MS = 24 * 60 * 60 * 1_000;

/** How long an exported transaction lives by default: 12 h, well inside TRON's 24 h limit. */
export const TRON_DEFAULT_EXPIRATION_MS = 12 * 60 * 60 * 1_000;

// The messages of TRON's protocol these transactions need, as tronprotocol/protocol defines them
// (field numbers unchanged; fields not used here left out, which protobuf allows).
const TRON_PROTO = `
syntax = "proto3";
package protocol;
message Any { string type_url = 1; bytes value = 2; }
message TransferContract { bytes owner_address = 1; bytes to_address = 2; int64 amount = 3; }
message TriggerSmartContract {
  bytes owner_address = 1; bytes contract_address = 2; int64 call_value = 3; bytes data = 4;
  int64 call_token_value = 5; int64 token_id = 6;
}
message Contract { ContractType type = 1; Any parameter = 2; int32 Permission_id = 5;
  enum ContractType { AccountCreateContract = 0; TransferContract = 1; TriggerSmartContract = 31; } }
message raw {
  bytes ref_block_bytes = 1; int64 ref_block_num = 3; bytes ref_block_hash = 4; int64 expiration = 8;
  bytes data = 10; repeated Contract contract = 11; int64 timestamp = 14; int64 fee_limit = 18;
}
`;

interface Messages {
  raw: Type;
  Any: Type;
  TransferContract: Type;
  TriggerSmartContract: Type;
}
let messages: Promise<Messages> | undefined;

/** The protobuf types, parsed once, on first use. */
function tronMessages(): Promise<Messages> {
  messages ??= import('protobufjs').then(({ default: protobuf }) => {
    const { root } = protobuf.parse(TRON_PROTO, { keepCase: true });
    const type = (name: string) => root.lookupType(`protocol.${name}`);
    return {
      raw: type('raw'),
      Any: type('Any'),
      TransferContract: type('TransferContract'),
      TriggerSmartContract: type('TriggerSmartContract'),
    };
  });
  return messages;
}

/** A TRX transfer: `amount` sun from `owner` to `to` (both `T…`). */
export interface TransferContractInput {
  type: 'TransferContract';
  owner: string;
  to: string;
  /** Sun (1 TRX = 1 000 000 sun). */
  amount: bigint;
}

/** A smart-contract call: `data` (ABI-encoded, `0x…`) to `contract`, from `owner` (both `T…`). */
export interface TriggerSmartContractInput {
  type: 'TriggerSmartContract';
  owner: string;
  contract: string;
  data: `0x${string}`;
  /** The most TRX (sun) the call may burn for energy; java-tron requires it for a contract call. */
  feeLimit: bigint;
}

/** The reference block and lifetime of a transaction. */
export interface TronTransactionTiming {
  /** The block the transaction names (the head at export time). */
  refBlock: TronBlockHeader;
  /** When the transaction was made (ms), `raw_data.timestamp`: the reference block's time, as java-tron's own builder does. */
  timestamp: number;
  /** When it expires (ms), `raw_data.expiration`; at most 24 h after the reference block. */
  expiration: number;
}

/** An unsigned TRON transaction in java-tron's JSON form (`visible: false`: addresses as `41…` hex). */
export interface UnsignedTronTransaction {
  visible: false;
  /** sha256 of `raw_data_hex`: the transaction id, and what the owner's key signs. */
  txID: string;
  raw_data: {
    contract: [
      {
        parameter: { value: Record<string, string | number>; type_url: string };
        type: 'TransferContract' | 'TriggerSmartContract';
      },
    ];
    ref_block_bytes: string;
    ref_block_hash: string;
    expiration: number;
    timestamp: number;
    fee_limit?: number;
  };
  /** The protobuf encoding of `raw_data`. */
  raw_data_hex: string;
}

/** TRON's hex spelling of a `T…` address: `41` and the 20 bytes. */
export function tronHexAddress(address: string): string {
  return `41${tronAddressToHex(address).slice(2).toLowerCase()}`;
}

/** A bigint that must fit protobuf's int64 as a JS number (amounts in sun are far below 2^53). */
function int64(value: bigint, what: string): number {
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER))
    throw new RangeError(`${what} out of range: ${value}`);
  return Number(value);
}

/**
 * Builds one unsigned transaction: `raw_data` and its protobuf bytes (`raw_data_hex`), and its
 * `txID`. Throws a RangeError on an amount outside int64's safe range or an expiry more than 24 h
 * after the reference block.
 * @example const tx = await buildTronTransaction({ type: 'TransferContract', owner, to, amount: 1_000_000n }, timing);
 */
export async function buildTronTransaction(
  contract: TransferContractInput | TriggerSmartContractInput,
  timing: TronTransactionTiming,
): Promise<UnsignedTronTransaction> {
  const types = await tronMessages();
  const { refBlock, timestamp, expiration } = timing;
  if (expiration - refBlock.time.getTime() > TRON_MAX_EXPIRATION_MS || expiration <= timestamp)
    throw new RangeError(
      'a TRON transaction expires after it is made and at most 24 h after its reference block',
    );
  // java-tron's BlockCapsule.BlockId: 8 bytes of height then 24 of hash; a transaction names
  // bytes 6–7 (ref_block_bytes) and bytes 8–15 (ref_block_hash) of it.
  const refBlockBytes = refBlock.hash.slice(12, 16);
  const refBlockHash = refBlock.hash.slice(16, 32);
  let value: Record<string, string | number>;
  let encoded: Uint8Array;
  if (contract.type === 'TransferContract') {
    value = {
      amount: int64(contract.amount, 'amount'),
      owner_address: tronHexAddress(contract.owner),
      to_address: tronHexAddress(contract.to),
    };
    encoded = types.TransferContract.encode({
      owner_address: Buffer.from(value.owner_address as string, 'hex'),
      to_address: Buffer.from(value.to_address as string, 'hex'),
      amount: value.amount,
    }).finish();
  } else {
    value = {
      data: contract.data.slice(2).toLowerCase(),
      owner_address: tronHexAddress(contract.owner),
      contract_address: tronHexAddress(contract.contract),
    };
    encoded = types.TriggerSmartContract.encode({
      owner_address: Buffer.from(value.owner_address as string, 'hex'),
      contract_address: Buffer.from(value.contract_address as string, 'hex'),
      data: Buffer.from(value.data as string, 'hex'),
    }).finish();
  }
  const typeUrl = `type.googleapis.com/protocol.${contract.type}`;
  const feeLimit =
    contract.type === 'TriggerSmartContract' ? int64(contract.feeLimit, 'fee limit') : undefined;
  const rawBytes = types.raw
    .encode({
      ref_block_bytes: Buffer.from(refBlockBytes, 'hex'),
      ref_block_hash: Buffer.from(refBlockHash, 'hex'),
      expiration,
      contract: [
        {
          type: contract.type === 'TransferContract' ? 1 : 31,
          parameter: { type_url: typeUrl, value: encoded },
        },
      ],
      timestamp,
      ...(feeLimit !== undefined ? { fee_limit: feeLimit } : {}),
    })
    .finish();
  const rawDataHex = Buffer.from(rawBytes).toString('hex');
  return {
    visible: false,
    txID: createHash('sha256').update(rawBytes).digest('hex'),
    raw_data: {
      contract: [{ parameter: { value, type_url: typeUrl }, type: contract.type }],
      ref_block_bytes: refBlockBytes,
      ref_block_hash: refBlockHash,
      expiration,
      timestamp,
      ...(feeLimit !== undefined ? { fee_limit: feeLimit } : {}),
    },
    raw_data_hex: rawDataHex,
  };
}

/**
 * Reads the head block from a java-tron HTTP API (`POST /wallet/getnowblock`), the reference block
 * of the transactions an export builds. Only the host is named in an error: a provider's URL may
 * carry a key.
 * @example const head = await fetchNowBlock('https://api.trongrid.io');
 */
export async function fetchNowBlock(httpApiUrl: string): Promise<TronBlockHeader> {
  const url = `${httpApiUrl.replace(/\/+$/, '')}/wallet/getnowblock`;
  const response = await fetch(url, {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/json' },
    body: '{}',
    signal: AbortSignal.timeout(TRON_API_TIMEOUT_MS),
  });
  if (!response.ok)
    throw new TronApiError(
      `the TRON HTTP API at ${new URL(url).host} answered ${response.status} to /wallet/getnowblock`,
    );
  return parseNowBlock(await response.json());
}
