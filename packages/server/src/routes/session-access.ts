import { SESSION_ID_PATTERN } from '@crypto-checkout/protocol';
import { ApiError } from '../errors.js';
import { secretsEqual, type Authenticator, type Caller } from '../auth.js';
import type { SessionService } from '../sessions/session-service.js';
import type { SessionBundle } from '../store/session-store.js';

/**
 * Loads a session for a caller, or throws. A client secret reads only its own session: the secret
 * of another session answers 401 exactly like a wrong secret, so it reveals nothing about the other.
 */
export async function loadSessionFor(
  sessions: SessionService,
  id: string,
  token: string | null,
  auth: Authenticator,
): Promise<{ caller: Caller; bundle: SessionBundle }> {
  const caller = await auth.identify(token);
  if (!SESSION_ID_PATTERN.test(id)) throw new ApiError(404, 'not_found', `no session ${JSON.stringify(id)}`);
  const bundle = await sessions.load(id);
  if (caller.kind === 'buyer') {
    if (
      caller.sessionId !== id ||
      !bundle ||
      !secretsEqual(caller.clientSecret, bundle.session.client_secret)
    ) {
      throw new ApiError(401, 'unauthorized', 'this client secret does not grant access to this session');
    }
  }
  // Test-mode and live-mode data are apart: a key of one mode does not see the other's sessions.
  if (!bundle || (caller.kind === 'merchant' && bundle.session.livemode !== (caller.mode === 'live'))) {
    throw new ApiError(404, 'not_found', `no session ${id}`);
  }
  return { caller, bundle };
}
