/**
 * Request ids: every request gets one, carried by each of its log lines (`request_id`) and echoed
 * in the `X-Request-Id` answer header. A sane incoming `X-Request-Id` (a load balancer's or the
 * merchant's) is kept, so that one id follows a request through the proxies and into these logs;
 * anything else — too long, with characters a log line or a header must not carry, or shaped like
 * one of this server's secrets (a client that pastes a key there must not get it logged) — is replaced.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { maskSecrets } from './logger.js';

/** The header that brings and echoes the id. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** What an incoming id may look like: 1–128 of letters, digits and `-_.:@/+=` (UUIDs, trace ids, ULIDs). */
const SANE_REQUEST_ID = /^[A-Za-z0-9\-_.:@/+=]{1,128}$/;

/**
 * The id of a request: its `X-Request-Id` when that is sane, a new UUID otherwise (Fastify's
 * `genReqId`).
 * @example requestIdOf({ headers: { 'x-request-id': 'lb-7f3a' } }) // 'lb-7f3a'
 */
export function requestIdOf(request: Pick<IncomingMessage, 'headers'>): string {
  const given = request.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) && maskSecrets(given) === given
    ? given
    : randomUUID();
}
