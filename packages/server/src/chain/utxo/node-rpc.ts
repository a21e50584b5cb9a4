/**
 * A small JSON-RPC client for a Bitcoin Core–compatible node (Bitcoin Core ≥ 24, Litecoin Core 0.21):
 * basic auth from the URL's user info (never logged, never in an error), one request per call,
 * and amounts kept exact: the node prints them as decimals with 8 places, which `JSON.parse` would
 * turn into floats, so they are read as strings from the response text.
 * @module
 */
import type { RpcObserver } from '../../metrics.js';

/** An error the node answered (`code` is Bitcoin Core's RPC error code, e.g. -18 wallet not found). */
export class NodeRpcError extends Error {
  override name = 'NodeRpcError';
  constructor(
    readonly method: string,
    readonly code: number,
    message: string,
  ) {
    super(`${method}: ${message} (code ${code})`);
  }
}

/** The node could not be reached, or answered something that is not JSON-RPC. */
export class NodeUnreachableError extends Error {
  override name = 'NodeUnreachableError';
}

/** Calls one method of the node (or of one of its wallets). */
export type NodeRpc = <T = unknown>(method: string, params?: unknown[], wallet?: string) => Promise<T>;

/** Fields whose values are amounts: rewritten to strings before parsing. */
const AMOUNT_FIELDS = /"(amount|fee|balance|value)":\s*(-?\d+(?:\.\d+)?)/g;

/**
 * A client for the node at `url` (`http://user:password@host:port`). `observe` is told about each
 * call (the metrics), as the EVM clients do.
 * @example const rpc = nodeRpc('http://cc:secret@127.0.0.1:19443'); await rpc<number>('getblockcount')
 */
export function nodeRpc(
  url: string,
  options: { timeoutMs?: number; chain?: string; observe?: RpcObserver | undefined } = {},
): NodeRpc {
  const parsed = new URL(url);
  const auth =
    parsed.username || parsed.password
      ? `Basic ${Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString('base64')}`
      : null;
  parsed.username = '';
  parsed.password = '';
  const base = parsed.toString().replace(/\/$/, '');
  let id = 0;
  return async <T>(method: string, params: unknown[] = [], wallet?: string): Promise<T> => {
    const started = performance.now();
    let ok = false;
    try {
      const target = wallet ? `${base}/wallet/${encodeURIComponent(wallet)}` : base;
      let response: Response;
      try {
        response = await fetch(target, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
          body: JSON.stringify({ jsonrpc: '1.0', id: ++id, method, params }),
          signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
        });
      } catch (error) {
        throw new NodeUnreachableError(`${method}: the node did not answer (${(error as Error).message})`);
      }
      if (response.status === 401 || response.status === 403) {
        throw new NodeUnreachableError(
          `${method}: the node refused the RPC credentials (HTTP ${response.status})`,
        );
      }
      const text = await response.text();
      let body: { result?: T; error?: { code: number; message: string } | null };
      try {
        body = JSON.parse(text.replace(AMOUNT_FIELDS, '"$1":"$2"')) as typeof body;
      } catch {
        throw new NodeUnreachableError(
          `${method}: the node answered HTTP ${response.status} without JSON-RPC`,
        );
      }
      if (body.error) throw new NodeRpcError(method, body.error.code, body.error.message);
      ok = true;
      return body.result as T;
    } finally {
      options.observe?.(options.chain ?? 'utxo', method, (performance.now() - started) / 1000, !ok);
    }
  };
}
