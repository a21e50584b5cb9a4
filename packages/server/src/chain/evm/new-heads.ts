/**
 * A `newHeads` subscription over WebSocket that stays up: it tells the chain watcher about each new
 * block as the node announces it, reconnects with exponential backoff when the socket drops or cannot
 * be opened, and says at every change whether blocks are detected by the subscription or only by the
 * watcher's polling. Also the rule that gives a node on this machine a WebSocket URL when none is set.
 * @module
 */
import { webSocket } from 'viem';
import type { DetectionMode } from '../family.js';

/** How new blocks are detected (defined with the seam, `../family.ts`). */
export type { DetectionMode };

/** First pause before reconnecting a dropped or refused socket, in ms; it doubles up to the maximum. */
const MIN_RECONNECT_MS = 500;
/** Longest pause between reconnection attempts, in ms. */
const MAX_RECONNECT_MS = 30_000;
/** How long opening the socket and `eth_subscribe` may take before the attempt counts as failed, in ms. */
const SUBSCRIBE_TIMEOUT_MS = 10_000;

/** What {@link watchNewHeads} needs. */
export interface WatchNewHeadsOptions {
  /** The node's WebSocket endpoint (`ws://` or `wss://`). */
  url: string;
  /** Called with the block number of each announced head. */
  onHead: (blockNumber: number) => void;
  /**
   * Called when the mode changes: `subscription` once subscribed, `polling` when the socket could not
   * be opened or dropped (`error` says why). Not called again for each failed reconnection attempt.
   */
  onModeChange: (mode: DetectionMode, error?: unknown) => void;
  /** First reconnection pause, in ms (tests shorten it). */
  minReconnectMs?: number;
}

/** A running subscription (see {@link watchNewHeads}). */
export interface NewHeadsWatch {
  /** The current mode. */
  mode(): DetectionMode;
  /** Stops reconnecting and closes the socket. */
  close(): void;
}

/**
 * Subscribes to `newHeads` at `url` and keeps the subscription up: a refused or dropped socket is
 * retried after 0.5 s, 1 s, 2 s … up to 30 s, and the mode stays `polling` until it is back. Each
 * attempt gets a socket of its own (viem caches sockets by key, and a dead one must not be reused).
 * @example const heads = watchNewHeads({ url: 'ws://127.0.0.1:8545', onHead: wake, onModeChange: log }); … heads.close();
 */
export function watchNewHeads(options: WatchNewHeadsOptions): NewHeadsWatch {
  const minReconnectMs = options.minReconnectMs ?? MIN_RECONNECT_MS;
  let mode: DetectionMode = 'polling';
  let closed = false;
  let attempts = 0;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let closeSocket: (() => void) | undefined;

  const setMode = (next: DetectionMode, error?: unknown) => {
    if (next === mode) return;
    mode = next;
    options.onModeChange(next, error);
  };

  async function connect() {
    if (closed) return;
    attempts += 1;
    const transport = webSocket(options.url, {
      key: `new-heads-${attempts}`,
      reconnect: false, // reconnection is done here, with backoff and a mode to report
      keepAlive: { interval: 15_000 },
    })({ retryCount: 0 });
    let failed = false;
    let rpc: { close(): void } | undefined;
    // Runs once per attempt, whichever of open, subscribe, data or close fails first.
    const fail = (cause: unknown) => {
      if (failed || closed) return;
      // The socket reports an Event, not an Error: keep its message, which says what went wrong.
      const error =
        cause instanceof Error
          ? cause
          : new Error((cause as { message?: string } | null)?.message || 'the WebSocket failed');
      failed = true;
      rpc?.close();
      closeSocket = undefined;
      const firstFailure = failures === 0 && mode === 'polling' && attempts === 1;
      failures += 1;
      if (firstFailure) options.onModeChange('polling', error);
      setMode('polling', error);
      const delay = Math.min(MAX_RECONNECT_MS, minReconnectMs * 2 ** Math.min(failures - 1, 16));
      // Unref'd: a pending reconnection never keeps the process alive (the watcher's own loop does).
      timer = setTimeout(() => void connect(), delay).unref();
    };
    let deadline: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        (async () => {
          rpc = await transport.value!.getRpcClient();
          closeSocket = () => rpc?.close();
          if (closed) return closeSocket();
          await transport.value!.subscribe({
            params: ['newHeads'],
            onData: (data: { result?: { number?: string } }) => {
              const number = data.result?.number;
              if (number !== undefined) options.onHead(Number(BigInt(number)));
            },
            onError: fail,
          });
        })(),
        new Promise<never>((_, reject) => {
          deadline = setTimeout(
            () => reject(new Error(`no newHeads subscription within ${SUBSCRIBE_TIMEOUT_MS} ms`)),
            SUBSCRIBE_TIMEOUT_MS,
          ).unref();
        }),
      ]);
      if (closed || failed) return;
      failures = 0;
      setMode('subscription');
    } catch (error) {
      fail(error);
    } finally {
      clearTimeout(deadline);
    }
  }

  void connect();
  return {
    mode: () => mode,
    close() {
      closed = true;
      clearTimeout(timer);
      closeSocket?.();
    },
  };
}

/** Host names that are this machine. */
const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * The WebSocket URL a chain's watcher subscribes at: `ws_url` when set; otherwise, for a node on
 * this machine (localhost, 127.x.x.x, [::1]), the RPC URL with `ws:`/`wss:` for `http:`/`https:`,
 * since local nodes (anvil, hardhat) serve WebSocket on their HTTP port; otherwise none (a remote
 * provider's WebSocket URL usually differs from its HTTP one, so it is never guessed). A derived URL
 * that does not answer costs nothing but a reconnection attempt now and then: polling carries on.
 * @example webSocketUrlFor({ rpc_url: 'http://127.0.0.1:8545' }); // 'ws://127.0.0.1:8545/'
 */
export function webSocketUrlFor(chain: { rpc_url: string; ws_url?: string | undefined }): string | null {
  if (chain.ws_url) return chain.ws_url;
  const url = new URL(chain.rpc_url);
  if (!LOOPBACK_HOST.test(url.hostname)) return null;
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}
