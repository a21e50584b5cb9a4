/**
 * A counting JSON-RPC proxy: put it between a backend and its node to count the chain calls the
 * backend makes (each call of a batch counts), by method. Nothing is changed on the way.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running {@link startRpcCounter} proxy. */
export interface RpcCounter {
  /** Give this to the backend as its `rpc_url`. */
  url: string;
  /** Calls forwarded so far. */
  calls: number;
  /** Calls forwarded so far, by JSON-RPC method. */
  byMethod: Map<string, number>;
  close(): Promise<void>;
}

/**
 * Starts a proxy on 127.0.0.1 (port 0) that forwards every POST to `target` and counts its calls.
 * @example const counter = await startRpcCounter(anvil.rpcUrl); … counter.calls
 */
export async function startRpcCounter(target: string): Promise<RpcCounter> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      try {
        const parsed = JSON.parse(body.toString()) as { method?: string } | { method?: string }[];
        for (const call of Array.isArray(parsed) ? parsed : [parsed]) {
          counter.calls += 1;
          const method = call.method ?? '?';
          counter.byMethod.set(method, (counter.byMethod.get(method) ?? 0) + 1);
        }
      } catch {
        // Not JSON: forwarded as it is, for the node to refuse.
      }
      fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
        .then(async (answer) => {
          res.writeHead(answer.status, { 'content-type': 'application/json' });
          res.end(Buffer.from(await answer.arrayBuffer()));
        })
        .catch(() => {
          res.writeHead(502);
          res.end();
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const counter: RpcCounter = {
    url: `http://127.0.0.1:${port}`,
    calls: 0,
    byMethod: new Map(),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return counter;
}
