/**
 * Authentication as `onRequest` hooks, one per kind of route group: a group adds the hook once and
 * every route in it runs behind it, before its body is even read. Who the caller is comes from
 * `auth.ts` (and `keys/`); these hooks decide what the caller may reach and leave it on the request.
 * - {@link secretKeyHook}: the merchant's routes. No or a wrong token answers 401; a client secret,
 *   which is valid credentials for one session only, 403.
 * - {@link sessionAccessHook}: the routes of one session (`/v1/sessions/:id…`), for its buyer (client
 *   secret) or its merchant (secret key).
 * @module
 */
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { SESSION_ID_PATTERN } from '@crypto-checkout/protocol';
import { bearerToken, secretsEqual, type Authenticator, type Caller, type MerchantCaller } from '../auth.js';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../errors.js';
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

  interface FastifyContextConfig {
    /**
     * How a secret-key route answers a client secret: 403 `forbidden` (the default: valid
     * credentials, not for this) or 401 `unauthorized`.
     */
    clientSecret?: 'forbidden' | 'unauthorized';
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
export function secretKeyHook(auth: Authenticator): onRequestAsyncHookHandler {
  return async (request) => {
    const caller = await auth.identify(bearerToken(request.headers.authorization));
    if (caller.kind !== 'merchant') {
      const what = `${request.method} ${request.routeOptions.url} needs a secret key, not a client secret`;
      throw request.routeOptions.config.clientSecret === 'unauthorized'
        ? new UnauthorizedError(what)
        : new ForbiddenError(what);
    }
    request.merchant = caller;
  };
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
    const caller = await auth.identify(fromQuery ?? bearerToken(request.headers.authorization));
    const { id } = request.params as { id: string };
    request.sessionAccess = { caller, bundle: await findSessionFor(sessions, id, caller) };
  };
}

/**
 * Loads a session for a caller, or throws. A client secret reads only its own session: the secret
 * of another session answers 401 exactly like a wrong secret, so it reveals nothing about the other.
 * A key of one mode does not see the other mode's sessions (404).
 */
export async function findSessionFor(
  sessions: SessionService,
  id: string,
  caller: Caller,
): Promise<SessionBundle> {
  if (!SESSION_ID_PATTERN.test(id)) throw new NotFoundError(`no session ${JSON.stringify(id)}`);
  const bundle = await sessions.load(id);
  if (caller.kind === 'buyer') {
    if (
      caller.sessionId !== id ||
      !bundle ||
      !secretsEqual(caller.clientSecret, bundle.session.client_secret)
    ) {
      throw new UnauthorizedError('this client secret does not grant access to this session');
    }
  }
  if (!bundle || (caller.kind === 'merchant' && bundle.session.livemode !== (caller.mode === 'live'))) {
    throw new NotFoundError(`no session ${id}`);
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
