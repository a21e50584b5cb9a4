/**
 * Authentication as `onRequest` hooks, one per kind of route group: a group adds the hook once and
 * every route in it runs behind it, before its body is even read. Who the caller is comes from
 * `auth.ts` (and `keys/`); these hooks decide what the caller may reach and leave it on the request.
 * One rule everywhere: no credentials, or wrong ones (an unknown or revoked key, a client secret that
 * is not its session's), answer 401 `unauthorized`; valid credentials that do not reach the resource
 * answer 403 `forbidden`.
 * - {@link secretKeyHook}: the merchant's routes. A client secret, valid for one session only, 403.
 * - {@link sessionAccessHook}: the routes of one session (`/v1/sessions/:id…`), for its buyer (client
 *   secret) or its merchant (secret key). The client secret of another session, or a key of the other
 *   mode, 403; an id that names no session, 404.
 * @module
 */
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { SESSION_ID_PATTERN } from '@crypto-checkout/protocol';
import {
  bearerToken,
  identifyCaller,
  secretsEqual,
  type Authenticator,
  type Caller,
  type MerchantCaller,
} from '../auth.js';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../errors.js';
import { hasScope } from '../keys/key-scopes.js';
import { looksLikeSecretKey } from '../keys/secret-key.js';
import type { SessionService } from '../sessions/session-service.js';
import type { SessionBundle } from '../store/session-store.js';

/** A session and who may act on it, as {@link sessionAccessHook} found them. */
export interface SessionAccess {
  caller: Caller;
  bundle: SessionBundle;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The merchant behind the secret key; set by {@link secretKeyHook}, `null` elsewhere. */
    merchant: MerchantCaller | null;
    /** The session of a `/v1/sessions/:id…` route and its caller; set by {@link sessionAccessHook}. */
    sessionAccess: SessionAccess | null;
  }
}

/** Declares the request properties the hooks fill; the app calls it once, before the route groups. */
export function decorateCallers(server: FastifyInstance): void {
  server.decorateRequest('merchant', null);
  server.decorateRequest('sessionAccess', null);
}

/**
 * The hook of a merchant route group: the request must carry a secret key.
 * @example app.addHook('onRequest', secretKeyHook(auth));
 */
export function secretKeyHook(
  auth: Authenticator,
  options: {
    /**
     * Routes a key with the `approve` scope reaches besides reading (approve, cancel a payout); the
     * handler checks the scope itself. Other keys with scopes need `read` for GET, `write` otherwise.
     */
    approveRoutes?: readonly string[];
  } = {},
): onRequestAsyncHookHandler {
  return async (request) => {
    const caller = await auth.identify(bearerToken(request.headers.authorization));
    if (caller.kind !== 'merchant') {
      throw new ForbiddenError(
        `${request.method} ${request.routeOptions.url} needs a secret key, not a client secret`,
      );
    }
    refuseBeyondScopes(request, caller, options.approveRoutes);
    request.merchant = caller;
  };
}

/**
 * Refuses (403) a key with scopes on a route its scopes do not reach (keys/key-scopes.ts): GET and
 * HEAD need `read` or `approve`; other methods need `write`, or `approve` on `approveRoutes`. A key
 * without scopes has every right.
 */
function refuseBeyondScopes(
  request: FastifyRequest,
  caller: MerchantCaller,
  approveRoutes: readonly string[] = [],
): void {
  if (!caller.scopes) return;
  const reading = request.method === 'GET' || request.method === 'HEAD';
  const route = request.routeOptions.url ?? '';
  const allowed = reading
    ? hasScope(caller, 'read') || hasScope(caller, 'approve')
    : hasScope(caller, 'write') || (hasScope(caller, 'approve') && approveRoutes.includes(route));
  if (!allowed) {
    throw new ForbiddenError(
      `this key (${caller.keyId}) has the scopes ${caller.scopes.join(', ')}, which do not reach ${request.method} ${route}`,
    );
  }
}

/**
 * The hook of a route group under `/v1/sessions/:id`: the caller must hold the session's client
 * secret or a secret key of its mode. With `clientSecretInQuery`, the client secret may come as
 * `?client_secret=` (for `EventSource`, which cannot send headers).
 */
export function sessionAccessHook(
  auth: Authenticator,
  sessions: SessionService,
  options: { clientSecretInQuery?: boolean } = {},
): onRequestAsyncHookHandler {
  return async (request) => {
    const query = request.query as { client_secret?: unknown };
    const fromQuery =
      options.clientSecretInQuery && typeof query.client_secret === 'string' ? query.client_secret : null;
    const token = fromQuery ?? bearerToken(request.headers.authorization);
    const { id } = request.params as { id: string };
    // The client secret of this very session: compared with the one in the session read for the
    // route, one statement instead of two (the authenticator's lookup, then the read). The answers
    // are the authenticator's: no such session, or another secret, 401.
    const buyer = token && !looksLikeSecretKey(token) ? identifyCaller(token, []) : null;
    if (buyer?.kind === 'buyer' && buyer.sessionId === id && SESSION_ID_PATTERN.test(id)) {
      const bundle = await sessions.load(id);
      if (!bundle || !secretsEqual(buyer.clientSecret, bundle.session.client_secret)) {
        throw new UnauthorizedError('invalid client secret');
      }
      request.sessionAccess = { caller: buyer, bundle };
      return;
    }
    const caller = await auth.identify(token);
    if (caller.kind === 'merchant') refuseBeyondScopes(request, caller);
    request.sessionAccess = { caller, bundle: await findSessionFor(sessions, id, caller) };
  };
}

/**
 * Loads a session for a caller, or throws. A client secret (already checked against its own
 * session) reads only that session: on any other id it answers 403 before the id is even looked up,
 * so it tells nothing about other sessions. A key of one mode does not reach the other mode's
 * sessions (403; the merchant holds both keys, so the session's existence is no secret to them).
 */
export async function findSessionFor(
  sessions: SessionService,
  id: string,
  caller: Caller,
): Promise<SessionBundle> {
  if (!SESSION_ID_PATTERN.test(id)) throw new NotFoundError(`no session ${JSON.stringify(id)}`);
  if (caller.kind === 'buyer' && caller.sessionId !== id) {
    throw new ForbiddenError('this client secret is for another session');
  }
  const bundle = await sessions.load(id);
  if (!bundle) throw new NotFoundError(`no session ${id}`);
  // Checked by the authenticator already; compared again where the session is handed out.
  if (caller.kind === 'buyer' && !secretsEqual(caller.clientSecret, bundle.session.client_secret)) {
    throw new UnauthorizedError('invalid client secret');
  }
  if (caller.kind === 'merchant' && bundle.session.livemode !== (caller.mode === 'live')) {
    const mode = bundle.session.livemode ? 'live' : 'test';
    throw new ForbiddenError(`session ${id} is a ${mode}-mode session; use a ${mode} secret key`);
  }
  return bundle;
}

/** The merchant of a route behind {@link secretKeyHook}. */
export function merchantOf(request: FastifyRequest): MerchantCaller {
  if (!request.merchant) throw new Error(`${request.routeOptions.url} is not behind secretKeyHook`);
  return request.merchant;
}

/** The session and caller of a route behind {@link sessionAccessHook}. */
export function sessionAccessOf(request: FastifyRequest): SessionAccess {
  if (!request.sessionAccess) throw new Error(`${request.routeOptions.url} is not behind sessionAccessHook`);
  return request.sessionAccess;
}
