/**
 * Reads TRON's solidified head: the newest block that 2/3 + 1 of the 27 super representatives have
 * built on (about 19 blocks, ~57 s, behind the head), after which TRON never reverts a block. The
 * TRON watcher counts a transfer as paid once its block is solid.
 *
 * Two sources, as java-tron offers them:
 * - the HTTP API, `POST {http_api_url}/walletsolidity/getnowblock` → `{ blockID, block_header:
 *   { raw_data: { number, parentHash, timestamp, … } } }` (java-tron `GetNowBlockServlet` on the
 *   solidity port, proxied under `/walletsolidity` by a full node and by TronGrid);
 * - the Ethereum-compatible JSON-RPC, `eth_getBlockByNumber("finalized", false)`, where the node
 *   supports that tag.
 * @module
 */

/** Thrown when the node's answer is not a block header as java-tron writes it. */
export class TronApiError extends Error {
  override name = 'TronApiError';
}

/** How long one request to the HTTP API may take, in ms. */
export const TRON_API_TIMEOUT_MS = 5_000;

/** A block header as java-tron's HTTP API writes it (only the fields used here). */
export interface TronBlockHeader {
  /** Block height. */
  number: number;
  /** `blockID`: the block hash, 64 hex digits (the first 16 are the height). */
  hash: string;
  /** When the block was produced. */
  time: Date;
}

/**
 * Parses the answer of `/wallet/getnowblock` or `/walletsolidity/getnowblock`: the fields a
 * java-tron node always writes for a block (`blockID`, `block_header.raw_data.number`, `timestamp`).
 * Block 0 (genesis) writes no `number`, as protobuf leaves out zero fields in JSON.
 * @example parseNowBlock(await (await fetch(url, { method: 'POST' })).json()).number // 66987627
 */
export function parseNowBlock(body: unknown): TronBlockHeader {
  const block = body as {
    blockID?: unknown;
    block_header?: { raw_data?: Record<string, unknown> };
    Error?: unknown;
  };
  // java-tron's servlets answer a failure with status 200 and {"Error": "<class> : <message>"}.
  if (typeof block?.Error === 'string') {
    throw new TronApiError(`the TRON HTTP API reported an error: ${block.Error.slice(0, 200)}`);
  }
  const raw = block?.block_header?.raw_data;
  if (typeof block?.blockID !== 'string' || !/^[0-9a-f]{64}$/.test(block.blockID) || !raw) {
    throw new TronApiError('the TRON HTTP API did not answer with a block (no blockID/block_header)');
  }
  const number = raw.number ?? 0;
  const timestamp = raw.timestamp ?? 0;
  if (!Number.isSafeInteger(number) || (number as number) < 0 || !Number.isSafeInteger(timestamp)) {
    throw new TronApiError('the TRON HTTP API answered a block without a valid number/timestamp');
  }
  return { number: number as number, hash: block.blockID, time: new Date(timestamp as number) };
}

/** What {@link solidHeadReader} needs. */
export interface SolidHeadOptions {
  /** Base URL of the node's HTTP API (`https://api.trongrid.io`, `http://127.0.0.1:8090`), or null. */
  httpApiUrl: string | null;
  /** Headers for every request (TronGrid's `TRON-PRO-API-KEY`); never logged. */
  headers?: Record<string, string>;
  /**
   * Reads `eth_getBlockByNumber("finalized")` through the chain's JSON-RPC client; used when there
   * is no HTTP API URL.
   */
  readFinalized?: () => Promise<number>;
  /** Request timeout, ms. */
  timeoutMs?: number;
}

/**
 * A function that returns the current solidified block number: from the HTTP API when
 * `httpApiUrl` is set, else from the JSON-RPC `finalized` tag. Throws when neither answers, so the
 * watcher backs off rather than counting a block as solid that is not.
 * @example const solid = await solidHeadReader({ httpApiUrl: 'https://api.trongrid.io' })();
 */
export function solidHeadReader(options: SolidHeadOptions): () => Promise<number> {
  const { httpApiUrl, readFinalized } = options;
  if (httpApiUrl) {
    const url = `${httpApiUrl.replace(/\/+$/, '')}/walletsolidity/getnowblock`;
    return async () => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/json', ...options.headers },
        body: '{}',
        signal: AbortSignal.timeout(options.timeoutMs ?? TRON_API_TIMEOUT_MS),
      });
      if (!response.ok) {
        // Only the host: a provider's URL may carry a key.
        throw new TronApiError(
          `the TRON HTTP API at ${new URL(url).host} answered ${response.status} to /walletsolidity/getnowblock`,
        );
      }
      return parseNowBlock(await response.json()).number;
    };
  }
  if (readFinalized) return readFinalized;
  throw new TronApiError('a TRON chain needs http_api_url or a JSON-RPC node that answers the finalized tag');
}
