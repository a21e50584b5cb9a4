import { createHash, randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ErrorCode } from '@crypto-checkout/protocol';
import type { MerchantCaller } from './auth.js';
import {
  ApiError,
  errorBody,
  IdempotencyKeyInUseError,
  IdempotencyKeyReusedError,
  InvalidRequestError,
} from './errors.js';
import type { Queryable } from './store/database.js';
import type { IdempotencyScope, IdempotencyStore } from './store/idempotency-store.js';

/** Keys are replayed for 24 hours (Stripe's minimum), then removed by {@link Idempotency.purgeExpired}. */
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;
/** Longest an `Idempotency-Key` may be. */
export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;

/** An answer the API gives: status and JSON body. */
export interface IdempotentOutcome {
  status: number;
  body: unknown;
}

/**
 * Stores the answer inside the transaction `tx` that makes the request's change, so that the change
 * and its answer commit together — a crash in between cannot leave a session without its answer
 * (a retry would create a second one). Throws `409 idempotency_key_in_use`, rolling the transaction
 * back, when the key was taken over meanwhile.
 */
export type CommitOutcome = (tx: Queryable, outcome: IdempotentOutcome) => Promise<void>;

/** Tuning, for tests mostly. */
export interface IdempotencyOptions {
  /** The app's clock (stored times and the 24 h retention). Default: the real clock. */
  clock?: () => Date;
  /** How long a key is kept and replayed; at least 24 h in production. */
  retentionMs?: number;
  /** How long a request waits for another request in flight with its key before `409`. Default 10 s. */
  waitMs?: number;
  /**
   * After this long in flight, a key's request is taken for dead (its process crashed) and a retry with
   * the same body takes the key over. Default 60 s; longer than any request should take.
   */
  abandonAfterMs?: number;
}

const KEY_LENGTH = `must be 1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} characters (a UUID is a good choice)`;

/** The `Idempotency-Key` header: 1–255 printable ASCII characters. */
export const idempotencyKeySchema = z
  .string()
  .min(1, KEY_LENGTH)
  .max(IDEMPOTENCY_KEY_MAX_LENGTH, KEY_LENGTH)
  .regex(/^[\x20-\x7E]+$/, 'must be printable ASCII characters only')
  .describe(
    'Makes a retry safe: for 24 hours the same key with the same request answers the original ' +
      'response again (with `Idempotent-Replayed: true`); with another request it answers ' +
      '`422 idempotency_key_reused`, and while the first request runs `409 idempotency_key_in_use`. ' +
      '1–255 printable ASCII characters; a UUID is a good choice.',
  );

/** The headers of a route that takes an `Idempotency-Key`, for its schema (other headers pass). */
export const idempotencyHeadersSchema = z.looseObject({ 'idempotency-key': idempotencyKeySchema.optional() });

/**
 * Reads the `Idempotency-Key` header: `null` when absent, else 1–255 printable ASCII characters.
 * @example readIdempotencyKey('order-A-1001') // 'order-A-1001'
 */
export function readIdempotencyKey(header: string | string[] | undefined): string | null {
  if (header === undefined) return null;
  if (Array.isArray(header)) throw InvalidRequestError.field('Idempotency-Key', 'send the header once');
  const result = idempotencyKeySchema.safeParse(header);
  if (!result.success) throw InvalidRequestError.field('Idempotency-Key', result.error.issues[0]!.message);
  return result.data;
}

/** JSON with the keys of every object sorted, so that `{"a":1,"b":2}` and `{"b":2,"a":1}` are one request. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * What identifies a request for its key: method, path and body, hashed. The body is compared as
 * JSON (key order and whitespace do not matter), not as bytes.
 */
export function requestHash(method: string, url: string, body: unknown): string {
  const path = url.split('?')[0]!;
  const canonical = body === undefined || body === null ? '' : canonicalJson(body);
  return createHash('sha256').update(`${method} ${path}\n${canonical}`, 'utf8').digest('hex');
}

/**
 * 4xx answers that say nothing about the operation, so a retry with the same key runs afresh: the
 * request was invalid (fix it and retry with the same key), the caller was refused, or the key itself
 * was the problem.
 */
const NOT_REPLAYED: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'invalid_request',
  'invalid_json',
  'unauthorized',
  'forbidden',
  'idempotency_key_in_use',
  'idempotency_key_reused',
]);

const send = (reply: FastifyReply, status: number, text: string) =>
  reply.status(status).type('application/json; charset=utf-8').send(text);

/**
 * Stripe's `Idempotency-Key`, for the merchant's creating calls. The first request with a key runs
 * and its answer is stored; a retry with the same key and the same request gets that answer again
 * (same status and body, header `Idempotent-Replayed: true`); the same key with another request
 * answers `422 idempotency_key_reused`. Keys are per mode (a test and a live key never share one)
 * and not per API key, so a retry with the new key in the middle of a rotation still replays.
 *
 * Concurrent requests with one key: the first runs; the others wait for it (up to `waitMs`) and
 * replay its answer, so all of them get the same answer and exactly one session is made. If it is
 * still running after that, they answer `409 idempotency_key_in_use`.
 *
 * Which answers are kept: successes and the 4xx errors of the operation (e.g. `409
 * session_not_cancelable`), as Stripe keeps them. Not kept, so a retry with the same key runs again:
 * the codes in {@link NOT_REPLAYED} (`400 invalid_request`: the request was never valid, fix it and
 * retry with the same key; `401`, `403`) and 5xx (session creation commits its answer atomically, so
 * a failure changed nothing; cancel is safe to repeat).
 */
export class Idempotency {
  private readonly clock: () => Date;
  private readonly retentionMs: number;
  private readonly waitMs: number;
  private readonly abandonAfterMs: number;
  /** Requests of this instance waiting for a key, woken when it finishes here (others poll). */
  private readonly waiters = new Map<string, Set<() => void>>();

  private readonly store: IdempotencyStore;

  constructor(options: IdempotencyOptions & { store: IdempotencyStore }) {
    this.store = options.store;
    this.clock = options.clock ?? (() => new Date());
    this.retentionMs = options.retentionMs ?? IDEMPOTENCY_RETENTION_MS;
    this.waitMs = options.waitMs ?? 10_000;
    this.abandonAfterMs = options.abandonAfterMs ?? 60_000;
  }

  /**
   * Answers `request` with `execute`'s outcome, at most once per `Idempotency-Key`; without the
   * header it simply runs `execute`, with `commit` `null` (there is nothing to store, so the change
   * need not open a transaction for it). `execute` should pass its outcome to `commit` inside the
   * transaction that makes its change; an outcome it does not commit is stored afterwards.
   * @example return idempotency.respond(request, reply, merchant, async (commit) => ({ status: 200, body }));
   */
  async respond(
    request: FastifyRequest,
    reply: FastifyReply,
    caller: MerchantCaller,
    execute: (commit: CommitOutcome | null) => Promise<IdempotentOutcome>,
  ): Promise<FastifyReply> {
    const key = readIdempotencyKey(request.headers['idempotency-key']);
    if (key === null) {
      const outcome = await execute(null);
      return send(reply, outcome.status, JSON.stringify(outcome.body));
    }
    reply.header('idempotency-key', key);
    const scope: IdempotencyScope = { mode: caller.mode, key };
    const hash = requestHash(request.method, request.url, request.body);
    const deadline = performance.now() + this.waitMs;
    for (let attempt = 0; ; attempt++) {
      const lockId = randomUUID();
      const now = this.clock();
      const claimed = await this.store.claim(scope, {
        requestHash: hash,
        apiKeyId: caller.keyId,
        lockId,
        now,
        expiredBefore: new Date(now.getTime() - this.retentionMs),
        abandonedBefore: new Date(now.getTime() - this.abandonAfterMs),
      });
      if (claimed) return this.run(scope, lockId, reply, execute);
      const record = await this.store.get(scope);
      if (!record) continue; // released meanwhile: claim again
      if (record.request_hash !== hash) {
        throw new IdempotencyKeyReusedError(
          `Idempotency-Key ${JSON.stringify(key)} was used for a different request (another body or URL) in the last 24 hours; use a new key for a new request`,
        );
      }
      if (record.response_status !== null) {
        reply.header('idempotent-replayed', 'true');
        return send(reply, record.response_status, record.response_body ?? '');
      }
      if (performance.now() >= deadline) {
        throw new IdempotencyKeyInUseError(
          `a request with Idempotency-Key ${JSON.stringify(key)} is still in progress; retry in a few seconds`,
        );
      }
      await this.waitFor(scopeId(scope), Math.min(10 * 2 ** attempt, 250));
    }
  }

  /** Deletes the keys older than the retention period; the server calls it every hour. */
  purgeExpired(): Promise<number> {
    return this.store.purgeBefore(new Date(this.clock().getTime() - this.retentionMs));
  }

  private async run(
    scope: IdempotencyScope,
    lockId: string,
    reply: FastifyReply,
    execute: (commit: CommitOutcome) => Promise<IdempotentOutcome>,
  ): Promise<FastifyReply> {
    let committed: string | null = null;
    const commit: CommitOutcome = async (tx, outcome) => {
      const body = JSON.stringify(outcome.body);
      if (!(await this.store.finish(tx, scope, lockId, { status: outcome.status, body }))) {
        throw new IdempotencyKeyInUseError(
          `Idempotency-Key ${JSON.stringify(scope.key)} was taken over by another request while this one ran`,
        );
      }
      committed = body;
    };
    try {
      const outcome = await execute(commit);
      const body = committed ?? JSON.stringify(outcome.body);
      // Not committed by execute: store it now. If the key was taken over meanwhile, the operation
      // was one that is safe to repeat (it did not commit atomically), so the answer stands.
      if (committed === null)
        await this.store.finish(this.store.db, scope, lockId, { status: outcome.status, body });
      return send(reply, outcome.status, body);
    } catch (error) {
      if (error instanceof ApiError && error.statusCode < 500 && !NOT_REPLAYED.has(error.code)) {
        const body = JSON.stringify(errorBody(error));
        await this.store.finish(this.store.db, scope, lockId, { status: error.statusCode, body });
        return send(reply, error.statusCode, body);
      }
      // If even this fails (database down), the key stays in flight until it counts as abandoned.
      await this.store.release(scope, lockId).catch(() => undefined);
      throw error;
    } finally {
      this.wake(scopeId(scope));
    }
  }

  private waitFor(id: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let waiting = this.waiters.get(id);
      if (!waiting) this.waiters.set(id, (waiting = new Set()));
      const set = waiting;
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (!set.size && this.waiters.get(id) === set) this.waiters.delete(id);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
    });
  }

  private wake(id: string): void {
    for (const done of [...(this.waiters.get(id) ?? [])]) done();
  }
}

const scopeId = (scope: IdempotencyScope) => `${scope.mode}:${scope.key}`;
