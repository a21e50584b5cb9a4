import type {
  ListWebhookAttemptsQuery,
  ListWebhookEventsQuery,
  WebhookAttempt,
  WebhookAttemptList,
  WebhookEvent,
  WebhookEventList,
  WebhookPayload,
} from '@crypto-checkout/protocol';
import { InvalidRequestError } from '../errors.js';
import { inMode } from './in-mode.js';
import type { AttemptRecord, DeliveryRecord, EventRecord, ModeScope, WebhookStore } from './webhook-store.js';

/** Encodes a position in a list (`kind` keeps an event cursor from being used for attempts). */
function encodeCursor(kind: 'e' | 'a', seq: string): string {
  return Buffer.from(`${kind}1:${seq}`, 'utf8').toString('base64url');
}

/** The largest `seq` a cursor may hold: PostgreSQL's `bigint`, which a larger one would overflow. */
const MAX_SEQ = 9_223_372_036_854_775_807n;

/** Decodes a cursor of {@link encodeCursor}; one of another list, or out of `bigint` range, answers 400. */
function decodeCursor(kind: 'e' | 'a', cursor: string): string {
  const match = new RegExp(`^${kind}1:(\\d{1,19})$`).exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match || BigInt(match[1]!) > MAX_SEQ) {
    throw InvalidRequestError.field(
      'cursor',
      'is not a cursor of this list; pass next_cursor of the previous page unchanged',
    );
  }
  return match[1]!;
}

function toEvent(e: EventRecord, deliveries: DeliveryRecord[]): WebhookEvent {
  return {
    id: e.id,
    type: e.type as WebhookEvent['type'],
    livemode: e.livemode,
    session_id: e.session_id,
    created_at: e.created_at.toISOString(),
    payload: JSON.parse(e.body) as WebhookPayload,
    deliveries: deliveries.map((d) => ({
      endpoint_id: d.endpoint_id,
      status: d.status,
      attempts: d.attempts,
      next_attempt_at: d.status === 'pending' ? (d.next_attempt_at?.toISOString() ?? null) : null,
      last_attempt_at: d.last_attempt_at?.toISOString() ?? null,
      last_status_code: d.last_status_code,
      last_error: d.last_error,
    })),
  };
}

function toAttempt(a: AttemptRecord): WebhookAttempt {
  return {
    id: a.id,
    event_id: a.event_id,
    endpoint_id: a.endpoint_id,
    url: a.url,
    attempted_at: a.attempted_at.toISOString(),
    status_code: a.status_code,
    succeeded: a.succeeded,
    error: a.error,
    latency_ms: a.latency_ms,
    response_excerpt: a.response_excerpt,
  };
}

/** The event log: events with their deliveries, and every attempt, for the API. */
export class WebhookEvents {
  private readonly store: WebhookStore;

  constructor(options: { store: WebhookStore }) {
    this.store = options.store;
  }

  /** A page of a mode's events, newest first. */
  async list(query: ListWebhookEventsQuery, livemode: boolean): Promise<WebhookEventList> {
    const beforeSeq = query.cursor ? decodeCursor('e', query.cursor) : null;
    const rows = await this.store.listEvents(livemode, query, { limit: query.limit + 1, beforeSeq });
    const page = rows.slice(0, query.limit);
    const deliveries = await this.store.deliveriesOf(page.map((e) => e.id));
    const hasMore = rows.length > query.limit;
    return {
      data: page.map((e) =>
        toEvent(
          e,
          deliveries.filter((d) => d.event_id === e.id),
        ),
      ),
      has_more: hasMore,
      next_cursor: hasMore ? encodeCursor('e', page.at(-1)!.seq) : null,
    };
  }

  /** One event; 404 when there is none, 403 when it is of the other mode. */
  async get(id: string, mode: ModeScope): Promise<WebhookEvent> {
    const event = inMode(await this.store.getEvent(this.store.db, id, null), mode, `webhook event ${id}`);
    return toEvent(event, await this.store.deliveriesOf([event.id]));
  }

  /** A page of an event's attempts (to every endpoint), newest first. */
  async attempts(id: string, mode: ModeScope, query: ListWebhookAttemptsQuery): Promise<WebhookAttemptList> {
    const event = inMode(await this.store.getEvent(this.store.db, id, null), mode, `webhook event ${id}`);
    const beforeSeq = query.cursor ? decodeCursor('a', query.cursor) : null;
    const rows = await this.store.listAttempts(event.id, { limit: query.limit + 1, beforeSeq });
    const page = rows.slice(0, query.limit);
    const hasMore = rows.length > query.limit;
    return {
      data: page.map(toAttempt),
      has_more: hasMore,
      next_cursor: hasMore ? encodeCursor('a', page.at(-1)!.seq) : null,
    };
  }
}
