/**
 * `GET /v1/sessions/:id/events` — Server-Sent Events. The client secret may come in the query
 * (`?client_secret=`) because `EventSource` cannot send headers; it is redacted from logs.
 * - Without `Last-Event-ID` the stream starts with the newest event (the current state).
 * - With `Last-Event-ID: n` it replays every event after n, then goes on live: no gaps, no repeats.
 * - A heartbeat comment keeps idle connections open through proxies.
 * - After an event whose session is in a terminal status the response ends; a reconnect after that
 *   answers 204, which tells `EventSource` to stop reconnecting.
 * - When the server shuts down (`server.close()`), every open stream gets `retry: 5000` and ends.
 * - A session holds at most `maxStreamsPerSession` streams (429 `rate_limited` beyond) and the process
 *   at most `maxStreams` (503 `overloaded`), both with `Retry-After`: an open stream holds a socket,
 *   buffers and a place in the session feed, so an unbounded number would exhaust the process.
 * - An idle stream costs no database query: the session feed (`sessions/session-feed.ts`) wakes a
 *   session's streams when an event of it commits, on any instance (`NOTIFY`), with one read for all.
 * @module
 */
import type { FastifyBaseLogger } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { isSessionSettled, type SessionEvent, type SessionStatus } from '@crypto-checkout/protocol';
import type { Authenticator } from '../../../auth.js';
import { OverloadedError, RateLimitedError } from '../../../errors.js';
import { empty, errors, raw, security } from '../../../openapi.js';
import type { FeedSubscriber, SessionFeed } from '../../../sessions/session-feed.js';
import type { SessionService } from '../../../sessions/session-service.js';
import type { SessionStore, StoredEvent } from '../../../store/session-store.js';
import { pathOf } from '../../../logger.js';
import { sessionAccessHook, sessionAccessOf } from '../../auth-hooks.js';
import { startEventStream, type EventStreamOutput } from './event-stream-socket.js';
import { sessionIdParams } from './index.js';

/**
 * The `retry:` hint a stream ends with when the server shuts down: `EventSource` reconnects after
 * this long (with `Last-Event-ID`, so nothing is missed), by when a restarted server is usually up;
 * behind a load balancer another instance answers anyway.
 */
export const SHUTDOWN_RETRY_MS = 5_000;

type SettledState = { status: SessionStatus; watch_until: string | null };
const settled = (state: SettledState) => isSessionSettled(state, new Date());

/** What the event stream needs. */
export interface SessionEventRoutesOptions {
  auth: Authenticator;
  sessions: SessionService;
  store: SessionStore;
  /** Wakes the streams of a session when it has new events (one read for all of them). */
  feed: SessionFeed;
  /** How often a stream sends a heartbeat comment, in ms. */
  heartbeatMs: number;
  /** Streams open at once for one session; more answer 429 `rate_limited`. */
  maxStreamsPerSession: number;
  /** Streams open at once in this process; more answer 503 `overloaded`. */
  maxStreams: number;
  /** Counts the open streams (the metrics' `crypto_checkout_sse_streams_open`); optional. */
  streamsGauge?: { inc(): void; dec(): void } | undefined;
}

/** Sent before a stream ends for a shutdown, and every heartbeat: one buffer for all streams. */
const SHUTDOWN_RETRY = Buffer.from(`retry: ${SHUTDOWN_RETRY_MS}\n\n`);
const HEARTBEAT = Buffer.from(': heartbeat\n\n');
/** The route as the request log names it (Fastify's `routeOptions.url`). */
const EVENTS_ROUTE = '/v1/sessions/:id/events';

/**
 * How long one encoding of an event serves every stream it goes to: its `server_time` (the buyer's
 * clock correction) is then at most this old. The feed hands the same event object to every stream
 * of the session, so a change is serialized once, not once per stream.
 */
const SHARED_ENCODING_MS = 1_000;
const encodings = new WeakMap<StoredEvent, { at: number; bytes: Buffer }>();

/** The `id:`/`data:` frame of an event, shared by every stream it is sent to at about the same time. */
function encodeEvent(event: StoredEvent): Buffer {
  const now = Date.now();
  const cached = encodings.get(event);
  if (cached && now - cached.at < SHARED_ENCODING_MS) return cached.bytes;
  const message: SessionEvent = {
    seq: event.seq,
    type: event.type,
    created_at: event.created_at.toISOString(),
    session: { ...(event.payload as SessionEvent['session']), server_time: new Date(now).toISOString() },
  };
  const bytes = Buffer.from(`id: ${event.seq}\ndata: ${JSON.stringify(message)}\n\n`);
  encodings.set(event, { at: now, bytes });
  return bytes;
}

/** What every open stream of the route shares: one object, referenced by each stream. */
interface StreamRoute {
  feed: SessionFeed;
  log: FastifyBaseLogger;
  /** The open streams (heartbeat, shutdown, the process cap). */
  open: Set<EventStream>;
  /** Open streams by session id, for the per-session cap. */
  bySession: Map<string, number>;
  gauge: { inc(): void; dec(): void } | undefined;
}

/**
 * One open event stream. A class, not closures: thousands are open at once, and every closure
 * costs a context and a function object a stream (and, under tsx, a `name` property store each).
 * It is the feed's subscriber: the feed hands it the session's new events, read once for all its
 * streams here; nothing until it has sent where it starts (`lastSeq` is Infinity until then).
 */
class EventStream implements FeedSubscriber {
  ready = false;
  closed = false;
  /** Counted in the caps and the gauge (undone once, on close). */
  counted = false;
  /** Only what the heartbeat's check needs, not the whole event. */
  last: SettledState | null = null;
  out: EventStreamOutput | null = null;
  /** For the request log line of a detached stream. */
  requestId = '';
  path = '';
  startedAt = 0;

  constructor(
    private readonly route: StreamRoute,
    private readonly sessionId: string,
    public lastSent: number,
  ) {}

  get lastSeq(): number {
    return this.ready ? this.lastSent : Infinity;
  }

  deliver(events: StoredEvent[]): void {
    for (const event of events) this.send(event);
  }

  send(event: StoredEvent): void {
    if (this.closed || event.seq <= this.lastSent) return;
    this.out?.write(encodeEvent(event));
    this.lastSent = event.seq;
    const { status, watch_until } = event.payload as SettledState;
    this.last = { status, watch_until };
    if (settled(this.last)) this.close();
  }

  /** A heartbeat; an expired session whose watch window ended while the stream was open: nothing can come. */
  beat(): void {
    if (this.last && settled(this.last)) this.close();
    else this.out?.write(HEARTBEAT);
  }

  endForShutdown(): void {
    if (!this.closed) this.out?.write(SHUTDOWN_RETRY);
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const { route, sessionId } = this;
    route.feed.unsubscribe(sessionId, this);
    if (this.counted) {
      route.gauge?.dec();
      route.open.delete(this);
      const left = (route.bySession.get(sessionId) ?? 1) - 1;
      if (left > 0) route.bySession.set(sessionId, left);
      else route.bySession.delete(sessionId);
    }
    this.out?.end();
    // Fastify logs a request when its response ends; a detached stream's response never does in
    // Fastify's eyes, so the route writes the same line (the path without the query: its secret).
    if (this.out?.detached)
      route.log.info(
        {
          request_id: this.requestId,
          session_id: sessionId,
          method: 'GET',
          route: EVENTS_ROUTE,
          path: this.path,
          status: 200,
          ms: Math.round(performance.now() - this.startedAt),
        },
        'request',
      );
  }
}

/** The `Retry-After` of a stream refused by a cap, in seconds. */
const STREAM_CAP_RETRY_SECONDS = 5;

/** An event's `seq`; empty counts as none. */
const lastEventIdSchema = z.string().regex(/^(\d{1,9})?$/, 'must be a non-negative integer');

const eventsQuerySchema = z.object({
  client_secret: z
    .string()
    .describe(
      "The session's client secret; `EventSource` cannot send headers. Redacted from the logs. " +
        'Alternatively send `Authorization: Bearer`.',
    )
    .optional(),
  last_event_id: lastEventIdSchema
    .describe('Resume after this event, like the `Last-Event-ID` header.')
    .optional(),
});

const eventsHeadersSchema = z.looseObject({
  'last-event-id': lastEventIdSchema
    .describe('The `seq` of the last event received; the stream resumes after it.')
    .optional(),
});

/** The event stream of a session; register with the prefix `/v1/sessions`. */
export const sessionEventRoutes: FastifyPluginAsyncZod<SessionEventRoutesOptions> = async (app, options) => {
  const { auth, sessions, store, feed, heartbeatMs, maxStreamsPerSession, maxStreams, streamsGauge } =
    options;
  app.addHook('onRequest', sessionAccessHook(auth, sessions, { clientSecretInQuery: true }));
  // Open streams never finish by themselves: closing the server ends them first (preClose runs
  // before it waits for requests in flight), each with a hint to reconnect.
  const route: StreamRoute = {
    feed,
    // The server's logger, for the request line of a detached stream: not the request's own, which
    // would stay alive (with its bound level functions) as long as the stream.
    log: app.log,
    open: new Set(),
    bySession: new Map(),
    gauge: streamsGauge,
  };
  let shuttingDown = false;
  // One timer beats for every open stream (not one per stream: thousands may be open).
  let heartbeat: NodeJS.Timeout | undefined;
  const startHeartbeat = () => {
    heartbeat ??= setInterval(() => {
      if (!route.open.size) {
        clearInterval(heartbeat);
        heartbeat = undefined;
      }
      for (const stream of route.open) stream.beat();
    }, heartbeatMs);
  };
  app.addHook('preClose', async () => {
    shuttingDown = true;
    for (const stream of route.open) stream.endForShutdown();
  });
  app.addHook('onClose', async () => {
    clearInterval(heartbeat);
    await feed.close();
  });

  app.get(
    '/:id/events',
    {
      schema: {
        operationId: 'streamSessionEvents',
        tags: ['Sessions'],
        summary: "Follow a session's status (Server-Sent Events)",
        description:
          'A `text/event-stream`: each event has `id: <seq>` and `data: <SessionEvent as JSON>` ' +
          '(see the `SessionEvent` schema). Without `Last-Event-ID` it starts with the newest event; with ' +
          'it, every later event is replayed first. The stream ends after a terminal status; a reconnect ' +
          'then answers 204, which stops `EventSource`.',
        security: security('clientSecretQuery', 'clientSecret', 'secretKey'),
        params: sessionIdParams,
        querystring: eventsQuerySchema,
        headers: eventsHeadersSchema,
        response: {
          200: raw('text/event-stream', 'The event stream. Each `data:` line is a `SessionEvent` (JSON).', {
            example: 'retry: 3000\n\nid: 3\ndata: {"seq":3,"type":"session.processing",…}\n\n',
          }),
          204: empty('The session is over (terminal status) and every event was sent.'),
          ...errors(400, 401, 403, 404, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const { bundle } = sessionAccessOf(request);
      const id = bundle.session.id;
      // Both are checked by the schemas; '' counts as absent, as EventSource never sends it.
      const lastHeader = request.headers['last-event-id'] || request.query.last_event_id || undefined;
      const stream = new EventStream(route, id, lastHeader === undefined ? 0 : Number(lastHeader));
      // Followed before the first read, so that an event committed after it is announced to the feed
      // (which then reads it for this stream too: `catchUp` below).
      await feed.subscribe(id, stream);
      let first: (StoredEvent | null)[];
      try {
        first = lastHeader ? await store.eventsAfter(id, stream.lastSent) : [await store.latestEvent(id)];
      } catch (error) {
        feed.unsubscribe(id, stream);
        throw error;
      }
      const initial = first.filter((e): e is StoredEvent => e !== null);
      if (!initial.length && isSessionSettled(sessions.buyerView(bundle), new Date())) {
        feed.unsubscribe(id, stream);
        return reply.status(204).send(null);
      }
      // The caps, checked here and counted below with nothing awaited in between.
      const held = route.bySession.get(id) ?? 0;
      if (held >= maxStreamsPerSession) {
        feed.unsubscribe(id, stream);
        throw new RateLimitedError(
          `this session has ${held} event streams open, the most it may; close one (or wait for it to end) and reconnect`,
          STREAM_CAP_RETRY_SECONDS,
        );
      }
      if (route.open.size >= maxStreams) {
        feed.unsubscribe(id, stream);
        throw new OverloadedError(
          'this server holds as many event streams as it takes; reconnect in a few seconds',
          STREAM_CAP_RETRY_SECONDS,
        );
      }

      reply.hijack();
      // An open stream keeps only its own fields and the connection, taken out of the HTTP server
      // (event-stream-socket.ts): not Node's or Fastify's request and response, nor the session as
      // loaded for the access check, which Fastify's response listener would keep until the end.
      request.sessionAccess = null;
      stream.requestId = request.id;
      stream.path = pathOf(request.url);
      stream.startedAt = performance.now() - reply.elapsedTime;
      stream.out = startEventStream(
        request.raw,
        reply.raw,
        {
          ...reply.getHeaders(),
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          'x-accel-buffering': 'no',
        },
        'retry: 3000\n\n',
        stream.close.bind(stream),
      );
      if (shuttingDown) return stream.endForShutdown();
      route.open.add(stream);
      startHeartbeat();
      route.bySession.set(id, held + 1);
      streamsGauge?.inc();
      stream.counted = true;

      for (const event of initial) stream.send(event);
      stream.ready = true;
      // An event announced (or read for other streams) while this one read its start: read it.
      if (!stream.closed) feed.catchUp(id, stream);
    },
  );
};
