import { EventEmitter } from 'node:events';
import {
  WEBHOOK_REVIEW_EVENT_TYPE,
  WEBHOOK_TEST_EVENT_TYPE,
  type Session,
  type SessionWebhookPayload,
  type TestWebhookPayload,
  type WebhookSessionEventType,
} from '@crypto-checkout/protocol';
import { NotFoundError, WebhookEndpointDisabledError } from '../errors.js';
import type { StatusChangeHook } from '../sessions/session-service.js';
import type { Queryable } from '../store/database.js';
import { inMode } from './in-mode.js';
import { newWebhookId } from './webhook-ids.js';
import type { ModeScope, WebhookStore } from './webhook-store.js';

/**
 * The session as a webhook carries it: the merchant view without the client secret, the checkout URL
 * (whose fragment is the client secret) and the server time.
 */
function webhookSession(session: Session): SessionWebhookPayload['data'] {
  const { client_secret: _secret, checkout_url: _url, server_time: _time, ...data } = session;
  return data;
}

/**
 * The outbox: it turns status changes into webhook events and queues one delivery per endpoint
 * that wants them. {@link statusHook} runs inside the transaction of the status change, so the
 * event exists if and only if the change committed. It also queues test events and redeliveries.
 */
export class WebhookOutbox {
  readonly #queued = new EventEmitter();

  private readonly store: WebhookStore;
  private readonly clock: () => Date;

  constructor(options: { store: WebhookStore; clock?: (() => Date) | undefined }) {
    this.store = options.store;
    this.clock = options.clock ?? (() => new Date());
  }

  /**
   * The hook for `SessionService.onStatusChange`: stores `session.<status>` when the status changed
   * and `session.needs_review` when review reasons were added (both, in that order, when both
   * happened), each with the merchant view at that moment, and queues them for every enabled endpoint
   * of the session's mode whose filter takes them. If it throws, the change rolls back with it.
   */
  readonly statusHook: StatusChangeHook = async (tx, change) => {
    const types: WebhookSessionEventType[] = [];
    if (change.status_changed) types.push(`session.${change.session.status}`);
    if (change.new_review_reasons.length) types.push(WEBHOOK_REVIEW_EVENT_TYPE);
    for (const type of types) {
      const payload: SessionWebhookPayload = {
        type,
        timestamp: change.at.toISOString(),
        data: webhookSession(change.session),
      };
      await this.enqueue(tx, {
        type,
        livemode: change.session.livemode,
        session_id: change.session.id,
        // One webhook per stored session event is tied to it (unique); a review event that rides
        // along with a status change is not.
        session_seq: type === WEBHOOK_REVIEW_EVENT_TYPE && change.status_changed ? null : change.event.seq,
        body: JSON.stringify(payload),
        at: change.at,
        endpointIds: await this.store.endpointsFor(tx, change.session.livemode, type),
      });
    }
  };

  /**
   * Stores an event and queues its deliveries in the caller's transaction. Call {@link signal}
   * after the commit (or let the session bus do it) so the worker does not wait for its next poll.
   */
  async enqueue(
    tx: Queryable,
    event: {
      type: string;
      livemode: boolean;
      session_id: string | null;
      session_seq: number | null;
      /** The exact JSON text to send. */
      body: string;
      at: Date;
      endpointIds: string[];
    },
  ): Promise<string> {
    const id = newWebhookId('msg');
    await this.store.insertEvent(tx, {
      id,
      livemode: event.livemode,
      type: event.type,
      session_id: event.session_id,
      session_seq: event.session_seq,
      body: event.body,
      created_at: event.at,
    });
    await this.store.queueDeliveries(tx, id, event.endpointIds, event.at);
    return id;
  }

  /** Sends a `webhook.test` event to one endpoint (whatever its filter); returns the event id. */
  async sendTest(endpointId: string, mode: ModeScope): Promise<string> {
    const id = await this.store.transaction(async (tx) => {
      const endpoint = inMode(
        await this.store.getEndpoint(tx, endpointId, null),
        mode,
        `webhook endpoint ${endpointId}`,
      );
      if (!endpoint.enabled) {
        throw new WebhookEndpointDisabledError(`webhook endpoint ${endpointId} is disabled`);
      }
      const now = this.clock();
      const payload: TestWebhookPayload = {
        type: WEBHOOK_TEST_EVENT_TYPE,
        timestamp: now.toISOString(),
        data: {
          endpoint_id: endpoint.id,
          livemode: endpoint.livemode,
          message: 'A test event from crypto-checkout: your endpoint is reachable and verifies signatures.',
        },
      };
      return this.enqueue(tx, {
        type: WEBHOOK_TEST_EVENT_TYPE,
        livemode: endpoint.livemode,
        session_id: null,
        session_seq: null,
        body: JSON.stringify(payload),
        at: now,
        endpointIds: [endpoint.id],
      });
    });
    this.signal();
    return id;
  }

  /**
   * Sends an event again, with the same `webhook-id` and body: to `endpointId` only (any enabled
   * endpoint of the mode, also one added after the event), or else to every enabled endpoint whose
   * filter takes it (for a test event: the endpoints it went to). Each delivery starts a fresh
   * retry schedule; earlier attempts stay in the log.
   */
  async redeliver(eventId: string, mode: ModeScope, endpointId?: string): Promise<void> {
    await this.store.transaction(async (tx) => {
      const event = inMode(await this.store.getEvent(tx, eventId, null), mode, `webhook event ${eventId}`);
      let targets: string[];
      if (endpointId) {
        const endpoint = await this.store.getEndpoint(tx, endpointId, event.livemode);
        if (!endpoint) throw new NotFoundError(`no webhook endpoint ${endpointId} in this mode`);
        if (!endpoint.enabled) {
          throw new WebhookEndpointDisabledError(`webhook endpoint ${endpointId} is disabled`);
        }
        targets = [endpoint.id];
      } else if (event.type === WEBHOOK_TEST_EVENT_TYPE) {
        targets = await this.store.activeEndpointsOf(tx, event.id);
      } else {
        targets = await this.store.endpointsFor(tx, event.livemode, event.type);
      }
      if (!targets.length) {
        throw new WebhookEndpointDisabledError(
          `no enabled webhook endpoint takes ${event.type}; pass endpoint_id to send it to one`,
        );
      }
      await this.store.queueDeliveries(tx, event.id, targets, this.clock());
    });
    this.signal();
  }

  /** Tells the delivery worker(s) of this instance that something was queued. */
  signal(): void {
    this.#queued.emit('queued');
  }

  /** Calls `listener` whenever this instance queued deliveries; returns the unsubscribe function. */
  onQueued(listener: () => void): () => void {
    this.#queued.on('queued', listener);
    return () => this.#queued.off('queued', listener);
  }
}
