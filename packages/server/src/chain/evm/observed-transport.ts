/**
 * The one seam where the server's JSON-RPC calls to a chain's node are measured: a viem transport
 * wrapped so that each request (retries included, as the caller waits for them) reports its method,
 * duration and failure to an observer — the metrics' `crypto_checkout_rpc_*` families.
 * @module
 */
import type { Transport } from 'viem';
import type { RpcObserver } from '../../metrics.js';

/**
 * `transport`, reporting every request to `observe` under the chain's key; `transport` itself when
 * there is no observer (metrics off: nothing is wrapped).
 * @example createPublicClient({ transport: observedTransport(http(url), 'base', metrics.observeRpc) })
 */
export function observedTransport<T extends Transport>(
  transport: T,
  chain: string,
  observe: RpcObserver | undefined,
): T {
  if (!observe) return transport;
  const wrapped: Transport = (options) => {
    const built = transport(options);
    // The same signature as the wrapped one: viem's generic request type cannot be restated here.
    const request = (async (args: { method: string }, requestOptions?: unknown) => {
      const started = performance.now();
      let failed = true;
      try {
        const result: unknown = await (built.request as (a: unknown, o?: unknown) => Promise<unknown>)(
          args,
          requestOptions,
        );
        failed = false;
        return result;
      } finally {
        observe(chain, args.method, (performance.now() - started) / 1000, failed);
      }
    }) as typeof built.request;
    return { ...built, request };
  };
  return wrapped as T;
}
