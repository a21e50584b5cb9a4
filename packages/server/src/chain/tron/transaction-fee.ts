/**
 * Reads what a TRON transaction really burned, in sun, from the node's HTTP API:
 * `POST {http_api_url}/walletsolidity/gettransactioninfobyid {"value": txid}` → java-tron's
 * `TransactionInfo`, whose `fee` is the total burned — energy (`receipt.energy_fee`), bandwidth
 * when the sender had no free bandwidth left (`receipt.net_fee`), a new account's activation (1 TRX),
 * a memo's fee, a multi-signature's fee.
 *
 * The Ethereum-compatible JSON-RPC does not say as much: its receipt's `gasUsed × effectiveGasPrice`
 * is only the energy, so a ledger booked from it misses the bandwidth and activation burns and
 * `reconcile` finds the difference.
 *
 * One request per transaction, on the solidity endpoint: it answers only for solidified
 * transactions, which is what the treasury watch books. Not `gettransactioninfobyblocknum`: that
 * answers every transaction of a block (a mainnet block holds hundreds, with their logs: hundreds of
 * kilobytes), while the watch needs the few its addresses sent.
 *
 * Also the contract type of a transaction (`/walletsolidity/gettransactionbyid`): the JSON-RPC shows a
 * TRC-10 transfer's token amount as `value`, like TRX, so TRX into the treasury from outside is
 * booked only for a `TransferContract`.
 * @module
 */
import { TRON_API_TIMEOUT_MS, TronApiError } from './solid-head.js';

/** The fields of java-tron's `TransactionInfo` read here (protobuf's JSON leaves out zero fields). */
export interface TronTransactionInfo {
  /** The transaction id, 64 hex digits. */
  id: string;
  /** Total sun burned; 0 when the transaction burned nothing (staked or free resources). */
  fee: bigint;
  /** Sun burned for energy. */
  energy_fee: bigint;
  /** Sun burned for bandwidth. */
  net_fee: bigint;
  /** The block it is in. */
  blockNumber: number;
}

/** A field java-tron writes as a JSON number (int64), absent when zero. */
function sun(value: unknown, field: string): bigint {
  if (value === undefined) return 0n;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw new TronApiError(`the TRON HTTP API answered a transaction info with an invalid ${field}`);
  return BigInt(value);
}

/**
 * Parses an answer of `/walletsolidity/gettransactioninfobyid` for `txid`. Throws
 * {@link TronApiError} when the node reported an error (`{"Error": …}`), or does not know the
 * transaction (yet): java-tron answers `{}` for a transaction that is not solidified or not on
 * its chain.
 * @example parseTransactionInfo(await response.json(), txid).fee // 5797020n
 */
export function parseTransactionInfo(body: unknown, txid: string): TronTransactionInfo {
  const info = body as Record<string, unknown> | null;
  if (typeof info?.Error === 'string')
    throw new TronApiError(`the TRON HTTP API reported an error: ${info.Error.slice(0, 200)}`);
  if (!info || typeof info !== 'object' || info.id === undefined)
    throw new TronApiError(`the TRON HTTP API has no solidified transaction ${txid} (yet)`);
  if (typeof info.id !== 'string' || info.id.toLowerCase() !== txid.toLowerCase())
    throw new TronApiError(`the TRON HTTP API answered another transaction than ${txid}`);
  const receipt = (info.receipt ?? {}) as Record<string, unknown>;
  const blockNumber = info.blockNumber ?? 0;
  if (!Number.isSafeInteger(blockNumber))
    throw new TronApiError('the TRON HTTP API answered a transaction info without a valid blockNumber');
  return {
    id: info.id.toLowerCase(),
    fee: sun(info.fee, 'fee'),
    energy_fee: sun(receipt.energy_fee, 'receipt.energy_fee'),
    net_fee: sun(receipt.net_fee, 'receipt.net_fee'),
    blockNumber: blockNumber as number,
  };
}

/** Options of the HTTP API readers here. */
interface ReaderOptions {
  /** Base URL of the node's HTTP API (the chain's `http_api_url`). */
  httpApiUrl: string;
  /** Headers for every request (TronGrid's `TRON-PRO-API-KEY`); never logged. */
  headers?: Record<string, string>;
  /** Request timeout, ms. */
  timeoutMs?: number;
}

/**
 * `POST {httpApiUrl}/{node}/{endpoint} {"value": txid}` → the answer's JSON (`walletsolidity`: the
 * solidified chain; `wallet`: the full node's, blocks not solidified yet included); throws
 * {@link TronApiError} when the node does not answer or answers an HTTP error.
 */
function solidityPost(
  options: ReaderOptions,
  endpoint: string,
  node: 'walletsolidity' | 'wallet' = 'walletsolidity',
): (txid: string) => Promise<unknown> {
  const url = `${options.httpApiUrl.replace(/\/+$/, '')}/${node}/${endpoint}`;
  return async (value) => {
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/json', ...options.headers },
        body: JSON.stringify({ value }),
        signal: AbortSignal.timeout(options.timeoutMs ?? TRON_API_TIMEOUT_MS),
      });
    } catch (error) {
      // Only the host: a provider's URL may carry a key.
      throw new TronApiError(
        `the TRON HTTP API at ${new URL(url).host} did not answer /${node}/${endpoint}: ${(error as Error).message}`,
      );
    }
    if (!response.ok)
      throw new TronApiError(
        `the TRON HTTP API at ${new URL(url).host} answered ${response.status} to /${node}/${endpoint}`,
      );
    return response.json();
  };
}

/**
 * A function that returns what a solidified transaction burned, in sun (`TransactionInfo.fee`), from
 * the HTTP API at `httpApiUrl`. It throws {@link TronApiError} when the node cannot answer (an
 * error, a timeout, not solidified yet): the caller must not guess a fee, and retries later.
 * @example const fee = await transactionFeeReader({ httpApiUrl: 'https://api.trongrid.io' })(txid); // 345000n
 */
export function transactionFeeReader(options: ReaderOptions): (txid: string) => Promise<bigint> {
  const post = solidityPost(options, 'gettransactioninfobyid');
  return async (txid) => {
    const value = txid.replace(/^0x/, '').toLowerCase();
    return parseTransactionInfo(await post(value), value).fee;
  };
}

/**
 * Parses an answer of `/walletsolidity/gettransactionbyid` for `txid`: the type of its (first and
 * only) contract, e.g. `TransferContract` (TRX) or `TransferAssetContract` (a TRC-10 token). Throws
 * {@link TronApiError} on an error, or for a transaction the node does not have (`{}`).
 * @example parseTransactionContractType(await response.json(), txid) // 'TransferContract'
 */
export function parseTransactionContractType(body: unknown, txid: string): string {
  const tx = body as Record<string, unknown> | null;
  if (typeof tx?.Error === 'string')
    throw new TronApiError(`the TRON HTTP API reported an error: ${tx.Error.slice(0, 200)}`);
  if (!tx || typeof tx !== 'object' || tx.txID === undefined)
    throw new TronApiError(`the TRON HTTP API has no solidified transaction ${txid} (yet)`);
  if (typeof tx.txID !== 'string' || tx.txID.toLowerCase() !== txid.toLowerCase())
    throw new TronApiError(`the TRON HTTP API answered another transaction than ${txid}`);
  const contract = (
    (tx.raw_data as { contract?: unknown } | undefined)?.contract as unknown[] | undefined
  )?.[0] as { type?: unknown } | undefined;
  if (typeof contract?.type !== 'string')
    throw new TronApiError(`the TRON HTTP API answered transaction ${txid} without a contract type`);
  return contract.type;
}

/**
 * A function that returns the contract type of a transaction from the HTTP API at `httpApiUrl`
 * (`/walletsolidity/gettransactionbyid`, or `/wallet/gettransactionbyid` with `node: 'wallet'`). java-tron's JSON-RPC cannot say it: its
 * `eth_getBlockByNumber` gives a TRC-10 transfer (`TransferAssetContract`) the token amount as
 * `value`, as if it were TRX. Throws {@link TronApiError} when the node cannot answer.
 * @example await transactionContractTypeReader({ httpApiUrl: 'https://api.trongrid.io' })(txid) // 'TransferContract'
 */
export function transactionContractTypeReader(
  options: ReaderOptions & {
    /** `wallet` for a transaction not solidified yet (the payment watcher's); default `walletsolidity`. */
    node?: 'walletsolidity' | 'wallet';
  },
): (txid: string) => Promise<string> {
  const post = solidityPost(options, 'gettransactionbyid', options.node);
  return async (txid) => {
    const value = txid.replace(/^0x/, '').toLowerCase();
    return parseTransactionContractType(await post(value), value);
  };
}
