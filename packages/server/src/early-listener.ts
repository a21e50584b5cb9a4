/**
 * The API port, opened at the very start of `main.ts`, before the database and the app: the process
 * accepts connections within a few hundred milliseconds of its start, and the connections made
 * before the app is ready are held — accepted, not read — and handed to the app's HTTP server once it
 * listens, which then answers them in order. Systemd's socket activation does the same for a service
 * that is still starting. A client therefore never sees "connection refused" from a starting
 * process (a restart of a single instance, a health check racing the start); a request merely waits
 * for the start to finish. `GET /ready` answers only once the app is ready, so a load balancer that
 * checks it sends no traffic before then. The same listening socket is handed over (no gap in which
 * the port is closed), and a port already taken fails the start at once.
 * @module
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** A port opened before the app is ready (see {@link listenEarly}). */
export interface EarlyListener {
  /** Where it listens (the port the system chose when asked for port 0). */
  readonly address: AddressInfo;
  /** The listening socket, for the app's server: `listen({ handle })` takes it over, without a gap. */
  readonly handle: object;
  /** Connections accepted so far and still held. */
  readonly held: number;
  /**
   * Hands the connections held so far to `server`, which has taken over {@link handle}: it reads and
   * answers them as if it had accepted them. Every later connection reaches `server` directly.
   */
  handOver(server: { emit(event: 'connection', socket: Socket): boolean }): void;
  /** Closes the port and every held connection (a start that failed). */
  close(): Promise<void>;
}

/**
 * Listens on `host`:`port` at once and holds every connection until {@link EarlyListener.handOver}.
 * Rejects as `net.Server#listen` does (a port already taken: `EADDRINUSE`).
 * @example const early = await listenEarly({ host: '127.0.0.1', port: 8787 }); … app.listen({ handle: early.handle }); early.handOver(app.server);
 */
export function listenEarly({ host, port }: { host: string; port: number }): Promise<EarlyListener> {
  const held = new Map<Socket, { forget: () => void; fail: () => void }>();
  // pauseOnConnect: the kernel's accepted socket is not read until the app's server takes it.
  const server: Server = createServer({ pauseOnConnect: true }, (socket) => {
    // A client that gives up while held is forgotten; its socket closes as usual.
    const handlers = { forget: () => held.delete(socket), fail: () => socket.destroy() };
    held.set(socket, handlers);
    socket.once('close', handlers.forget);
    socket.on('error', handlers.fail);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      let handedOver = false;
      resolve({
        address: server.address() as AddressInfo,
        // The listening socket's own handle (libuv's TCP handle, `net.Server#_handle`): what
        // `net.Server#listen({ handle })` takes over. Node documents the handle form of `listen`;
        // the field holding it is Node's, stable since the cluster module relies on it.
        handle: (server as unknown as { _handle: object })._handle,
        get held() {
          return held.size;
        },
        handOver(target) {
          handedOver = true;
          for (const [socket, { forget, fail }] of held) {
            socket.off('close', forget).off('error', fail);
            target.emit('connection', socket);
            socket.resume();
          }
          held.clear();
        },
        close() {
          for (const socket of held.keys()) socket.destroy();
          held.clear();
          // Once handed over, the handle is the app's: closing it is the app's job.
          if (handedOver) return Promise.resolve();
          return new Promise<void>((done) => server.close(() => done()));
        },
      });
    });
  });
}
