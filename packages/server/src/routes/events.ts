import type { FastifyInstance } from 'fastify';
import { isSessionSettled, type SessionEvent, type SessionStatus } from '@crypto-checkout/protocol';
import { bearerToken } from '../auth.js';
import type { Authenticator } from '../auth.js';
import { ApiError } from '../errors.js';
import type { SessionBus } from '../sessions/session-bus.js';
import type { SessionService } from '../sessions/session-service.js';
import type { SessionStore, StoredEvent } from '../store/session-store.js';
import { loadSessionFor } from './session-access.js';

/** How often a stream re-reads the database, for events written by another instance. */
const POLL_MS = 2_000;
/**
 * The `retry:` hint a stream ends with when the server shuts down: `EventSource` reconnects after
 * this long (with `Last-Event-ID`, so nothing is missed), by when a restarted server is usually up;
 * behind a load balancer another instance answers anyway.
 */
export const SHUTDOWN_RETRY_MS = 5_000;

/**
 * `GET /v1/sessions/:id/events` — Server-Sent Events. The client secret comes in the query
 * (`?client_secret=`) because `EventSource` cannot send headers; it is redacted from logs.
 * - Without `Last-Event-ID` the stream starts with the newest event (the current state).
 * - With `Last-Event-ID: n` it replays every event after n, then goes on live: no gaps, no repeats.
 * - A heartbeat comment keeps idle connections open through proxies.
 * - After an event whose session is in a terminal status the response ends; a reconnect after that
 *   answers 204, which tells `EventSource` to stop reconnecting.
 * - When the server shuts down (`server.close()`), every open stream gets `retry: 5000` and ends.
 */
export function registerEventRoutes(
  server: FastifyInstance,
  deps: {
    auth: Authenticator;
    sessions: SessionService;
    store: SessionStore;
    bus: SessionBus;
    heartbeatMs: number;
  },
): void {
  const { auth, sessions, store, bus, heartbeatMs } = deps;
  // Open streams never finish by themselves: closing the server ends them first (preClose runs
  // before it waits for requests in flight), each with a hint to reconnect.
  const openStreams = new Set<() => void>();
  let shuttingDown = false;
  server.addHook('preClose', async () => {
    shuttingDown = true;
    for (const end of openStreams) end();
  });

  server.get<{ Params: { id: string }; Querystring: { client_secret?: string; last_event_id?: string } }>(
    '/v1/sessions/:id/events',
    async (request, reply) => {
      const token = request.query.client_secret ?? bearerToken(request.headers.authorization);
      const { bundle } = await loadSessionFor(sessions, request.params.id, token, auth);
      const id = bundle.session.id;
      const lastHeader = request.headers['last-event-id'] ?? request.query.last_event_id;
      let lastSent = 0;
      if (lastHeader !== undefined && lastHeader !== '') {
        if (!/^\d{1,9}$/.test(String(lastHeader))) {
          throw new ApiError(400, 'invalid_request', 'Last-Event-ID must be a non-negative integer');
        }
        lastSent = Number(lastHeader);
      }
      const first = lastHeader ? await store.eventsAfter(id, lastSent) : [await store.latestEvent(id)];
      const initial = first.filter((e): e is StoredEvent => e !== null);
      const settled = (e: StoredEvent) =>
        isSessionSettled(e.payload as { status: SessionStatus; watch_until: string | null }, new Date());
      if (!initial.length && isSessionSettled(sessions.buyerView(bundle), new Date())) {
        return reply.status(204).send();
      }

      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      raw.write('retry: 3000\n\n');

      let closed = false;
      let last: StoredEvent | null = null;
      let pumping: Promise<void> | null = null;
      let again = false;
      const cleanups: (() => void)[] = [];
      const close = () => {
        if (closed) return;
        closed = true;
        for (const cleanup of cleanups) cleanup();
        raw.end();
      };
      const send = (event: StoredEvent) => {
        const message: SessionEvent = {
          seq: event.seq,
          type: event.type,
          created_at: event.created_at.toISOString(),
          session: { ...(event.payload as SessionEvent['session']), server_time: new Date().toISOString() },
        };
        raw.write(`id: ${event.seq}\ndata: ${JSON.stringify(message)}\n\n`);
        lastSent = event.seq;
        last = event;
        if (settled(event)) close();
      };
      // One reader at a time; a notification during a read triggers one more read.
      const pump = () => {
        if (closed) return;
        if (pumping) {
          again = true;
          return;
        }
        pumping = (async () => {
          do {
            again = false;
            const events = await store.eventsAfter(id, lastSent);
            for (const event of events) if (!closed) send(event);
          } while (again && !closed);
        })()
          .catch((error: unknown) => {
            request.log.warn({ err: error }, 'event stream read failed; the next poll retries');
          })
          .finally(() => {
            pumping = null;
          });
      };

      const endForShutdown = () => {
        if (!closed) raw.write(`retry: ${SHUTDOWN_RETRY_MS}\n\n`);
        close();
        // The connection goes too (after the end of the response): kept alive it would hold the close.
        request.raw.socket?.end();
      };
      if (shuttingDown) return endForShutdown();
      openStreams.add(endForShutdown);
      cleanups.push(() => openStreams.delete(endForShutdown));
      request.raw.on('close', close);
      cleanups.push(bus.subscribe(id, pump));
      const poll = setInterval(pump, POLL_MS);
      const heartbeat = setInterval(() => {
        // An expired session whose watch window ends while the stream is open: nothing can come.
        if (last && settled(last)) return close();
        raw.write(': heartbeat\n\n');
      }, heartbeatMs);
      cleanups.push(
        () => clearInterval(poll),
        () => clearInterval(heartbeat),
      );

      for (const event of initial) if (!closed) send(event);
      pump();
    },
  );
}
