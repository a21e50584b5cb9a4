import type {
  CreateWebhookEndpointRequest,
  UpdateWebhookEndpointRequest,
  WebhookEndpoint,
  WebhookEndpointWithSecret,
} from '@crypto-checkout/protocol';
import { InvalidRequestError, WebhookUrlForbiddenError } from '../errors.js';
import { newWebhookId, newWebhookSecret, secretPrefix } from './webhook-ids.js';
import { inMode } from './in-mode.js';
import {
  systemResolveHost,
  urlProblem,
  type ResolveHost,
  type WebhookUrlPolicy,
} from './webhook-url-guard.js';
import type { EndpointRecord, ModeScope, WebhookStore } from './webhook-store.js';

/** Endpoints a mode may have at once: each event fans out to all of them. */
export const MAX_ENDPOINTS_PER_MODE = 20;

/** The API's view of an endpoint: the secret only as a prefix. */
export function toWebhookEndpoint(e: EndpointRecord, now: Date): WebhookEndpoint {
  const overlapping = e.previous_secret_expires_at && e.previous_secret_expires_at > now;
  return {
    id: e.id,
    url: e.url,
    events: e.events,
    description: e.description,
    enabled: e.enabled,
    livemode: e.livemode,
    secret_prefix: secretPrefix(e.secret),
    previous_secret_expires_at: overlapping ? e.previous_secret_expires_at!.toISOString() : null,
    created_at: e.created_at.toISOString(),
    updated_at: e.updated_at.toISOString(),
  };
}

/** What {@link WebhookEndpoints} needs. */
export interface WebhookEndpointsOptions {
  store: WebhookStore;
  /** Seconds the previous secret keeps signing after a rotation, unless the rotation says otherwise. */
  secretOverlapSeconds: number;
  /** Defaults to the real clock. */
  clock?: (() => Date) | undefined;
  /** Which addresses endpoints of each mode may have (the SSRF guard). */
  urlPolicy: WebhookUrlPolicy;
  /** Resolves URL host names for the check; default: the system resolver. */
  resolveHost?: ResolveHost | undefined;
}

/**
 * Webhook endpoints: create, list, read, update, delete and rotate their secrets. The routes pass
 * the caller's mode (a key sees only its mode's endpoints); the CLI passes `null` (any mode).
 */
export class WebhookEndpoints {
  private readonly store: WebhookStore;
  private readonly defaultOverlap: number;
  private readonly clock: () => Date;
  private readonly urlPolicy: WebhookUrlPolicy;
  private readonly resolveHost: ResolveHost;

  constructor(options: WebhookEndpointsOptions) {
    this.store = options.store;
    this.defaultOverlap = options.secretOverlapSeconds;
    this.clock = options.clock ?? (() => new Date());
    this.urlPolicy = options.urlPolicy;
    this.resolveHost = options.resolveHost ?? systemResolveHost;
  }

  /**
   * Refuses a URL whose host is, or resolves to, an address endpoints of this mode may not have
   * (400 `webhook_url_forbidden`). Every attempt checks again, on the addresses it connects to.
   */
  private async checkUrl(url: string, livemode: boolean): Promise<void> {
    const problem = await urlProblem(url, { livemode, policy: this.urlPolicy, resolve: this.resolveHost });
    if (problem) {
      const mode = livemode ? 'live' : 'test';
      throw new WebhookUrlForbiddenError(
        `url: ${problem}; ${mode}-mode webhooks must go to a public address`,
        [{ path: 'url', message: problem }],
      );
    }
  }

  /** Creates an endpoint with a fresh secret; the answer is the only time the secret is shown. */
  async create(input: CreateWebhookEndpointRequest, livemode: boolean): Promise<WebhookEndpointWithSecret> {
    // Checked before the transaction: a DNS lookup must not hold the database.
    await this.checkUrl(input.url, livemode);
    const now = this.clock();
    const record: EndpointRecord = {
      id: newWebhookId('we'),
      livemode,
      url: input.url,
      description: input.description ?? null,
      events: input.events ?? ['*'],
      enabled: true,
      secret: newWebhookSecret(),
      previous_secret: null,
      previous_secret_expires_at: null,
      created_at: now,
      updated_at: now,
      deleted_at: null,
    };
    await this.store.transaction(async (tx) => {
      await this.store.lockEndpointCreation(tx);
      if ((await this.store.countEndpoints(tx, livemode)) >= MAX_ENDPOINTS_PER_MODE) {
        throw new InvalidRequestError(
          `at most ${MAX_ENDPOINTS_PER_MODE} webhook endpoints per mode; delete one first`,
        );
      }
      await this.store.insertEndpoint(tx, record);
    });
    return { ...toWebhookEndpoint(record, now), secret: record.secret };
  }

  /** Every endpoint of the mode (or of both), oldest first. */
  async list(mode: ModeScope): Promise<WebhookEndpoint[]> {
    const now = this.clock();
    return (await this.store.listEndpoints(mode)).map((e) => toWebhookEndpoint(e, now));
  }

  /** One endpoint; 404 when there is none, 403 when it is of the other mode. */
  async get(id: string, mode: ModeScope): Promise<WebhookEndpoint> {
    return toWebhookEndpoint(await this.load(this.store.db, id, mode), this.clock());
  }

  /**
   * Changes an endpoint's URL, filter, description or whether it is enabled. Disabling it cancels
   * its pending deliveries (redeliver them from the event log if you need them).
   */
  async update(id: string, mode: ModeScope, input: UpdateWebhookEndpointRequest): Promise<WebhookEndpoint> {
    // Checked before the transaction (a DNS lookup must not hold the database); an endpoint's mode never changes.
    if (input.url !== undefined)
      await this.checkUrl(input.url, (await this.load(this.store.db, id, mode)).livemode);
    return this.store.transaction(async (tx) => {
      const now = this.clock();
      const e = await this.load(tx, id, mode, true);
      if (input.url !== undefined) e.url = input.url;
      if (input.events !== undefined) e.events = input.events;
      if (input.description !== undefined) e.description = input.description;
      if (input.enabled !== undefined) e.enabled = input.enabled;
      e.updated_at = now;
      await this.store.saveEndpoint(tx, e);
      if (!e.enabled) await this.store.cancelPending(tx, e.id, now);
      return toWebhookEndpoint(e, now);
    });
  }

  /** Deletes an endpoint (it disappears from the API) and cancels its pending deliveries. */
  async remove(id: string, mode: ModeScope): Promise<WebhookEndpoint> {
    return this.store.transaction(async (tx) => {
      const now = this.clock();
      const e = await this.load(tx, id, mode, true);
      e.enabled = false;
      e.deleted_at = now;
      e.updated_at = now;
      await this.store.saveEndpoint(tx, e);
      await this.store.cancelPending(tx, e.id, now);
      return toWebhookEndpoint(e, now);
    });
  }

  /**
   * Gives an endpoint a new secret. For `overlapSeconds` (default: the configured overlap) the old
   * one keeps signing next to it — each attempt carries both signatures — so the receiver can switch
   * secrets without a window where webhooks fail. Rotating again during an overlap drops the oldest.
   */
  async rotateSecret(
    id: string,
    mode: ModeScope,
    overlapSeconds = this.defaultOverlap,
  ): Promise<WebhookEndpointWithSecret> {
    return this.store.transaction(async (tx) => {
      const now = this.clock();
      const e = await this.load(tx, id, mode, true);
      e.previous_secret = overlapSeconds > 0 ? e.secret : null;
      e.previous_secret_expires_at =
        overlapSeconds > 0 ? new Date(now.getTime() + overlapSeconds * 1000) : null;
      e.secret = newWebhookSecret();
      e.updated_at = now;
      await this.store.saveEndpoint(tx, e);
      return { ...toWebhookEndpoint(e, now), secret: e.secret };
    });
  }

  private async load(
    q: Parameters<WebhookStore['getEndpoint']>[0],
    id: string,
    mode: ModeScope,
    forUpdate = false,
  ): Promise<EndpointRecord> {
    return inMode(await this.store.getEndpoint(q, id, null, forUpdate), mode, `webhook endpoint ${id}`);
  }
}
