import type { WebhookEventFilter } from '@crypto-checkout/protocol';
import { lockForTransaction } from '../store/advisory-locks.js';
import { Store, type Database, type Queryable } from '../store/database.js';
import type { SecretBox } from '../store/secret-box.js';
import { secretContext } from '../store/secrets-at-rest.js';

/** A webhook endpoint as stored, secrets included. */
export interface EndpointRecord {
  id: string;
  livemode: boolean;
  url: string;
  description: string | null;
  events: WebhookEventFilter;
  enabled: boolean;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
}

/** A webhook event (outbox row). `body` is the exact JSON text every attempt sends. */
export interface EventRecord {
  id: string;
  /** Insertion order, as an integer string (pagination). */
  seq: string;
  livemode: boolean;
  type: string;
  session_id: string | null;
  session_seq: number | null;
  body: string;
  created_at: Date;
}

/** One event's delivery to one endpoint. */
export interface DeliveryRecord {
  event_id: string;
  endpoint_id: string;
  status: 'pending' | 'succeeded' | 'failed' | 'canceled';
  attempts: number;
  next_attempt_at: Date | null;
  claim_token: string | null;
  last_attempt_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
}

/** One HTTP attempt. */
export interface AttemptRecord extends AttemptOutcome {
  seq: string;
  event_id: string;
  endpoint_id: string;
}

/** A delivery a worker has claimed, with what it needs to send it. */
export interface ClaimedDelivery {
  event_id: string;
  endpoint_id: string;
  /** Attempts including the one about to be made. */
  attempts: number;
  claim_token: string;
  /** The session the event is about (its logs carry it); `null` for a test event. */
  session_id?: string | null;
  body: string;
  url: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
  /** The endpoint's mode: the SSRF guard is stricter for live endpoints. */
  livemode: boolean;
  /** Whether the endpoint still takes deliveries (it may have been disabled since the claim was queued). */
  active: boolean;
}

/** What became of an attempt, to record. */
export interface AttemptOutcome {
  id: string;
  url: string;
  attempted_at: Date;
  status_code: number | null;
  succeeded: boolean;
  error: string | null;
  latency_ms: number;
  response_excerpt: string | null;
}

/** The delivery's state after an attempt. */
export type DeliveryUpdate =
  | { status: 'succeeded' | 'failed' | 'canceled' }
  | { status: 'pending'; next_attempt_at: Date; uncount?: boolean };

/** `true`/`false`: one mode's rows only; `null`: any mode (the operator's CLI). */
export type ModeScope = boolean | null;

const ENDPOINT_COLUMNS = `id, livemode, url, description, events, enabled, secret, previous_secret,
  previous_secret_expires_at, created_at, updated_at, deleted_at`;
// `seq::text AS seq` shadows the column: ORDER BY must qualify it (text sorts '10' before '9').
const EVENT_COLUMNS = 'id, seq::text AS seq, livemode, type, session_id, session_seq, body, created_at';
const DELIVERY_COLUMNS = `event_id, endpoint_id, status, attempts, next_attempt_at, claim_token, last_attempt_at,
  last_status_code, last_error, created_at, updated_at`;
const ATTEMPT_COLUMNS = `id, seq::text AS seq, event_id, endpoint_id, url, attempted_at, status_code, succeeded,
  error, latency_ms, response_excerpt`;

/** Every webhook query, in one place. Methods taking a `Queryable` run in the caller's transaction. */
export class WebhookStore extends Store {
  constructor(
    db: Database,
    /** Seals signing secrets on write and opens them on read: the table never holds them in clear. */
    private readonly secrets: SecretBox,
  ) {
    super(db);
  }

  /** An endpoint's secret (or previous secret) as stored. */
  private sealed(id: string, column: 'secret' | 'previous_secret', value: string | null): string | null {
    return value === null ? null : this.secrets.seal(value, secretContext('webhook_endpoints', column, id));
  }

  /** An endpoint's secret (or previous secret) as stored, opened. */
  private opened(id: string, column: 'secret' | 'previous_secret', value: string | null): string | null {
    return value === null ? null : this.secrets.open(value, secretContext('webhook_endpoints', column, id));
  }

  /** A row with its secrets opened. */
  private withSecrets<R extends { secret: string; previous_secret: string | null }>(id: string, row: R): R {
    return {
      ...row,
      secret: this.opened(id, 'secret', row.secret)!,
      previous_secret: this.opened(id, 'previous_secret', row.previous_secret),
    };
  }

  /** Inserts a new endpoint. */
  async insertEndpoint(q: Queryable, e: EndpointRecord): Promise<void> {
    await q.query(
      `INSERT INTO webhook_endpoints (${ENDPOINT_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)`,
      [
        e.id,
        e.livemode,
        e.url,
        e.description,
        JSON.stringify(e.events),
        e.enabled,
        this.sealed(e.id, 'secret', e.secret),
        this.sealed(e.id, 'previous_secret', e.previous_secret),
        e.previous_secret_expires_at,
        e.created_at,
        e.updated_at,
        e.deleted_at,
      ],
    );
  }

  /** Endpoints not deleted, oldest first. */
  async listEndpoints(mode: ModeScope): Promise<EndpointRecord[]> {
    const { rows } = await this.db.query<EndpointRecord>(
      `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints
       WHERE deleted_at IS NULL AND ($1::boolean IS NULL OR livemode = $1) ORDER BY created_at, id`,
      [mode],
    );
    return rows.map((row) => this.withSecrets(row.id, row));
  }

  /**
   * Makes endpoint creations take turns until `tx` ends, so that two concurrent ones cannot both
   * pass the per-mode limit.
   */
  async lockEndpointCreation(tx: Queryable): Promise<void> {
    await lockForTransaction(tx, 'webhook_endpoint_creation');
  }

  /** How many endpoints (not deleted) a mode has. */
  async countEndpoints(q: Queryable, livemode: boolean): Promise<number> {
    const { rows } = await q.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM webhook_endpoints WHERE deleted_at IS NULL AND livemode = $1',
      [livemode],
    );
    return rows[0]!.n;
  }

  /** An endpoint that is not deleted, or `null`; `forUpdate` locks its row. */
  async getEndpoint(
    q: Queryable,
    id: string,
    mode: ModeScope,
    forUpdate = false,
  ): Promise<EndpointRecord | null> {
    const { rows } = await q.query<EndpointRecord>(
      `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints
       WHERE id = $1 AND deleted_at IS NULL AND ($2::boolean IS NULL OR livemode = $2)${forUpdate ? ' FOR UPDATE' : ''}`,
      [id, mode],
    );
    return rows[0] ? this.withSecrets(id, rows[0]) : null;
  }

  /** Writes every mutable field of an endpoint. */
  async saveEndpoint(q: Queryable, e: EndpointRecord): Promise<void> {
    await q.query(
      `UPDATE webhook_endpoints SET url = $2, description = $3, events = $4, enabled = $5, secret = $6,
         previous_secret = $7, previous_secret_expires_at = $8, updated_at = $9, deleted_at = $10
       WHERE id = $1`,
      [
        e.id,
        e.url,
        e.description,
        JSON.stringify(e.events),
        e.enabled,
        this.sealed(e.id, 'secret', e.secret),
        this.sealed(e.id, 'previous_secret', e.previous_secret),
        e.previous_secret_expires_at,
        e.updated_at,
        e.deleted_at,
      ],
    );
  }

  /** Cancels an endpoint's pending deliveries (it was disabled or deleted); returns how many. */
  async cancelPending(q: Queryable, endpointId: string, now: Date): Promise<number> {
    const { rows } = await q.query(
      `UPDATE webhook_deliveries SET status = 'canceled', next_attempt_at = NULL, claim_token = NULL, updated_at = $2
       WHERE endpoint_id = $1 AND status = 'pending' RETURNING event_id`,
      [endpointId, now],
    );
    return rows.length;
  }

  /** Ids of the enabled endpoints of a mode whose filter takes `type`. */
  async endpointsFor(q: Queryable, livemode: boolean, type: string): Promise<string[]> {
    const { rows } = await q.query<{ id: string }>(
      `SELECT id FROM webhook_endpoints
       WHERE livemode = $1 AND enabled AND deleted_at IS NULL
         AND (events @> '["*"]'::jsonb OR events @> jsonb_build_array($2::text))
       ORDER BY id`,
      [livemode, type],
    );
    return rows.map((row) => row.id);
  }

  /**
   * The enabled endpoints of a mode whose filter names `type` itself (`["*"]` does not count): for
   * opt-in types such as `ledger.entry_created`, which would flood a catch-all receiver.
   */
  async endpointsNaming(q: Queryable, livemode: boolean, type: string): Promise<string[]> {
    const { rows } = await q.query<{ id: string }>(
      `SELECT id FROM webhook_endpoints
       WHERE livemode = $1 AND enabled AND deleted_at IS NULL AND events @> jsonb_build_array($2::text)
       ORDER BY id`,
      [livemode, type],
    );
    return rows.map((row) => row.id);
  }

  /** Inserts an event (the outbox row); its `seq` comes from the database. */
  async insertEvent(q: Queryable, e: Omit<EventRecord, 'seq'>): Promise<void> {
    await q.query(
      `INSERT INTO webhook_events (id, livemode, type, session_id, session_seq, body, created_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7)`,
      [e.id, e.livemode, e.type, e.session_id, e.session_seq, e.body, e.created_at],
    );
  }

  /**
   * Queues `eventId` for each endpoint, due at `now`. A delivery that exists already starts over
   * (redelivery): pending again, its attempt count reset, any claim on it void.
   */
  async queueDeliveries(q: Queryable, eventId: string, endpointIds: string[], now: Date): Promise<void> {
    if (!endpointIds.length) return;
    await q.query(
      `INSERT INTO webhook_deliveries (event_id, endpoint_id, status, attempts, next_attempt_at, created_at, updated_at)
       SELECT $1, endpoint_id, 'pending', 0, $3, $3, $3 FROM unnest($2::text[]) AS endpoint_id
       ON CONFLICT (event_id, endpoint_id) DO UPDATE
         SET status = 'pending', attempts = 0, next_attempt_at = $3, claim_token = NULL, updated_at = $3`,
      [eventId, endpointIds, now],
    );
  }

  /**
   * Claims up to `limit` due deliveries for one worker: moves their `next_attempt_at` to
   * `leaseUntil` and sets `claimToken`, in one statement. `SKIP LOCKED` lets several instances
   * claim at once without waiting for or taking each other's rows; if a worker dies mid-attempt its
   * rows fall due again when the lease runs out (at-least-once).
   */
  async claimDue(now: Date, limit: number, leaseUntil: Date, claimToken: string): Promise<ClaimedDelivery[]> {
    const { rows } = await this.db.query<ClaimedDelivery>(
      `WITH due AS (
         SELECT event_id, endpoint_id FROM webhook_deliveries
         WHERE status = 'pending' AND next_attempt_at <= $1
         ORDER BY next_attempt_at
         LIMIT $2
         FOR UPDATE SKIP LOCKED
       )
       UPDATE webhook_deliveries d
         SET next_attempt_at = $3, claim_token = $4, attempts = d.attempts + 1, updated_at = $1
       FROM due, webhook_events ev, webhook_endpoints ep
       WHERE d.event_id = due.event_id AND d.endpoint_id = due.endpoint_id
         AND ev.id = d.event_id AND ep.id = d.endpoint_id
       RETURNING d.event_id, d.endpoint_id, d.attempts, d.claim_token, ev.session_id, ev.body, ep.url, ep.secret,
         ep.previous_secret, ep.previous_secret_expires_at, ep.livemode, (ep.enabled AND ep.deleted_at IS NULL) AS active`,
      [now, limit, leaseUntil, claimToken],
    );
    return rows.map((row) => this.withSecrets(row.endpoint_id, row));
  }

  /**
   * Stores an attempt and, if the claim still holds, the delivery's new state, in one transaction.
   * A claim no longer holds when the delivery was requeued (redelivered) or canceled meanwhile: the
   * attempt is logged all the same, the newer state stays.
   */
  async recordAttempt(
    claim: ClaimedDelivery,
    outcome: AttemptOutcome | null,
    update: DeliveryUpdate,
  ): Promise<void> {
    await this.db.transaction(async (tx) => {
      if (outcome) {
        await tx.query(
          `INSERT INTO webhook_attempts (id, event_id, endpoint_id, url, attempted_at, status_code, succeeded, error,
             latency_ms, response_excerpt)
           VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
          [
            outcome.id,
            claim.event_id,
            claim.endpoint_id,
            outcome.url,
            outcome.attempted_at,
            outcome.status_code,
            outcome.succeeded,
            outcome.error,
            outcome.latency_ms,
            outcome.response_excerpt,
          ],
        );
      }
      const pending = update.status === 'pending';
      await tx.query(
        `UPDATE webhook_deliveries SET status = $4, next_attempt_at = $5, claim_token = NULL,
           attempts = attempts - $6::int,
           last_attempt_at = COALESCE($7, last_attempt_at),
           last_status_code = CASE WHEN $7::timestamptz IS NULL THEN last_status_code ELSE $8 END,
           last_error = CASE WHEN $7::timestamptz IS NULL THEN last_error ELSE $9 END,
           updated_at = now()
         WHERE event_id = $1 AND endpoint_id = $2 AND claim_token = $3`,
        [
          claim.event_id,
          claim.endpoint_id,
          claim.claim_token,
          update.status,
          pending ? update.next_attempt_at : null,
          pending && update.uncount ? 1 : 0,
          outcome?.attempted_at ?? null,
          outcome?.status_code ?? null,
          outcome?.error ?? null,
        ],
      );
    });
  }

  /** An event, or `null` when there is none in this mode. */
  async getEvent(q: Queryable, id: string, mode: ModeScope): Promise<EventRecord | null> {
    const { rows } = await q.query<EventRecord>(
      `SELECT ${EVENT_COLUMNS} FROM webhook_events WHERE id = $1 AND ($2::boolean IS NULL OR livemode = $2)`,
      [id, mode],
    );
    return rows[0] ?? null;
  }

  /** Events of a mode, newest first, after `beforeSeq` (exclusive), narrowed by session and type. */
  async listEvents(
    livemode: boolean,
    filter: { session_id?: string | undefined; type?: string | undefined },
    page: { limit: number; beforeSeq?: string | null },
  ): Promise<EventRecord[]> {
    const { rows } = await this.db.query<EventRecord>(
      `SELECT ${EVENT_COLUMNS} FROM webhook_events
       WHERE livemode = $1 AND ($2::text IS NULL OR session_id = $2) AND ($3::text IS NULL OR type = $3)
         AND ($4::bigint IS NULL OR seq < $4::bigint)
       ORDER BY webhook_events.seq DESC LIMIT $5`,
      [livemode, filter.session_id ?? null, filter.type ?? null, page.beforeSeq ?? null, page.limit],
    );
    return rows;
  }

  /** The events caused by a session's stored events, by session event seq (tests, diagnostics). */
  async eventsOfSession(q: Queryable, sessionId: string): Promise<EventRecord[]> {
    const { rows } = await q.query<EventRecord>(
      `SELECT ${EVENT_COLUMNS} FROM webhook_events WHERE session_id = $1 ORDER BY webhook_events.seq`,
      [sessionId],
    );
    return rows;
  }

  /** Endpoints an event was queued for that are still enabled. */
  async activeEndpointsOf(q: Queryable, eventId: string): Promise<string[]> {
    const { rows } = await q.query<{ endpoint_id: string }>(
      `SELECT d.endpoint_id FROM webhook_deliveries d JOIN webhook_endpoints ep ON ep.id = d.endpoint_id
       WHERE d.event_id = $1 AND ep.enabled AND ep.deleted_at IS NULL ORDER BY d.endpoint_id`,
      [eventId],
    );
    return rows.map((row) => row.endpoint_id);
  }

  /** Deliveries of these events, by endpoint id. */
  async deliveriesOf(eventIds: string[]): Promise<DeliveryRecord[]> {
    if (!eventIds.length) return [];
    const { rows } = await this.db.query<DeliveryRecord>(
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE event_id = ANY($1::text[])
       ORDER BY event_id, created_at, endpoint_id`,
      [eventIds],
    );
    return rows;
  }

  /** Attempts of an event, newest first, after `beforeSeq` (exclusive). */
  async listAttempts(
    eventId: string,
    page: { limit: number; beforeSeq?: string | null },
  ): Promise<AttemptRecord[]> {
    const { rows } = await this.db.query<AttemptRecord>(
      `SELECT ${ATTEMPT_COLUMNS} FROM webhook_attempts
       WHERE event_id = $1 AND ($2::bigint IS NULL OR seq < $2::bigint)
       ORDER BY webhook_attempts.seq DESC LIMIT $3`,
      [eventId, page.beforeSeq ?? null, page.limit],
    );
    return rows;
  }

  /**
   * How many deliveries are due at `now` and not delivered (pending, not claimed by a worker), counted
   * up to `upTo` only: `GET /ready` needs to know whether the backlog passes its bound, and a large
   * backlog must not make the probe slow.
   */
  async countDue(now: Date, upTo: number): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (
         SELECT 1 FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $1 LIMIT $2
       ) due`,
      [now, upTo],
    );
    return rows[0]!.n;
  }
}
