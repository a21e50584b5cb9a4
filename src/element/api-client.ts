/**
 * The element's client for the crypto-checkout API: `fetch` for the buyer endpoints and
 * `EventSource` for live updates, with a polling fallback. Browser only, no dependencies.
 * @module
 */
import type { BuyerSession, SessionEvent } from '@crypto-checkout/protocol';
import {
  isSessionSettled,
  isTerminalStatus,
  sessionIdFromClientSecret,
} from '@crypto-checkout/protocol/statuses';
import type { CheckoutErrorCode } from './events.js';

/** An API call failed. `code` is the API's error code or one the client detected itself. */
export class CheckoutApiError extends Error {
  override name = 'CheckoutApiError';
  constructor(
    /** Machine-readable code, see {@link CheckoutErrorCode}. */
    readonly code: CheckoutErrorCode,
    message: string,
    /** HTTP status of the answer, or 0 when there was none. */
    readonly httpStatus = 0,
  ) {
    super(message);
  }
}

/** Re-exported from the protocol's zod-free status module, for the element's users and tests. */
export { isSessionSettled, isTerminalStatus, sessionIdFromClientSecret };

/** Options of {@link ApiClient.watchSession}. */
export interface WatchSessionOptions {
  /** Called with every session state received, from the stream or from polling. */
  onSession: (session: BuyerSession) => void;
  /** Called when a poll fails; watching goes on. */
  onError?: (error: CheckoutApiError) => void;
  /** Milliseconds between polls while the stream is down. Default 5000. */
  pollingInterval?: number;
}

// Cheap shape check instead of zod: enough to refuse an HTML error page or a foreign JSON answer.
const isBuyerSession = (value: unknown): value is BuyerSession => {
  const s = value as BuyerSession | null;
  return !!s && typeof s.id === 'string' && typeof s.status === 'string' && Array.isArray(s.methods);
};

/**
 * Turns anything a request threw into a {@link CheckoutApiError}; what is not one already was a
 * network failure (fetch rejects only when there is no answer).
 */
export const toApiError = (error: unknown): CheckoutApiError =>
  error instanceof CheckoutApiError
    ? error
    : new CheckoutApiError('network_error', 'Could not reach the payment server. Please try again.');

/**
 * Talks to the buyer endpoints of one session, authenticated by its client secret.
 * @example
 * const client = new ApiClient('https://pay.example.com', 'cs_abc_secret_xyz');
 * const session = await client.getSession();
 * const unwatch = client.watchSession({ onSession: (s) => console.log(s.status) });
 */
export class ApiClient {
  /** The session id derived from the client secret. */
  readonly sessionId: string;
  private readonly url: string;

  /**
   * @param api Base URL of the backend; `''` means the page's own origin.
   * @param clientSecret The session's client secret.
   * @throws {CheckoutApiError} `invalid_client_secret` when the secret has the wrong shape.
   */
  constructor(
    api: string,
    private readonly clientSecret: string,
  ) {
    const id = sessionIdFromClientSecret(clientSecret);
    if (!id) {
      throw new CheckoutApiError(
        'invalid_client_secret',
        'This checkout link is not valid: the session attribute must be a client secret (cs_…_secret_…).',
      );
    }
    this.sessionId = id;
    this.url = `${api.replace(/\/+$/, '')}/v1/sessions/${id}`;
  }

  /** Fetches the buyer's view of the session. */
  getSession(signal?: AbortSignal): Promise<BuyerSession> {
    return this.request('', undefined, signal);
  }

  /** Chooses the payment method (e.g. `usdc@anvil`); answers with the session including `payment`. */
  choosePayment(method: string, signal?: AbortSignal): Promise<BuyerSession> {
    return this.request('/payment', { method }, signal);
  }

  /**
   * Sets the chosen payment method aside, while nothing was received on its address (the session's
   * `can_change_method`); answers with the session without `payment`. A 409 `payment_in_progress`
   * means money arrived meanwhile.
   */
  dropPayment(signal?: AbortSignal): Promise<BuyerSession> {
    return this.request('/payment', undefined, signal, 'DELETE');
  }

  private async request(
    path: string,
    body: unknown,
    signal?: AbortSignal,
    method = body ? 'POST' : 'GET',
  ): Promise<BuyerSession> {
    let response: Response;
    let json: { error?: { code?: CheckoutErrorCode; message?: string } } | null;
    try {
      response = await fetch(this.url + path, {
        method,
        headers: {
          // The client secret only lets the buyer see this session and choose its method; it is meant
          // to be in the page, but a header keeps it out of server and proxy access logs.
          authorization: `Bearer ${this.clientSecret}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : null,
        cache: 'no-store',
        signal,
      });
      json = await response.json().catch(() => null);
    } catch (error) {
      if (signal?.aborted) throw error;
      throw toApiError(error);
    }
    if (!response.ok) {
      throw new CheckoutApiError(
        json?.error?.code ?? 'invalid_response',
        json?.error?.message ?? `The payment server answered HTTP ${response.status}.`,
        response.status,
      );
    }
    if (!isBuyerSession(json)) {
      throw new CheckoutApiError('invalid_response', 'The payment server sent an unexpected answer.');
    }
    return json;
  }

  /**
   * Watches the session until it reaches a terminal status or the returned function is called.
   * Uses one `EventSource`; while the stream is down (closed by the browser, or three errors in a row)
   * it polls every `pollingInterval` ms and retries the stream with a growing delay (up to 60 s),
   * stopping the polls as soon as the stream is open again.
   * @returns A function that closes the stream and clears every timer.
   * @example const unwatch = client.watchSession({ onSession: render }); // later: unwatch()
   */
  watchSession({ onSession, onError, pollingInterval = 5000 }: WatchSessionOptions): () => void {
    let source: EventSource | undefined;
    let poller: AbortController | undefined;
    let pollTimer: ReturnType<typeof setTimeout> | undefined;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    let retries = 0;
    let stopped = false;

    const closeStream = () => {
      source?.close();
      source = undefined;
    };
    const stopPolling = () => {
      poller?.abort();
      poller = undefined;
      clearTimeout(pollTimer);
    };
    const stop = () => {
      stopped = true;
      closeStream();
      stopPolling();
      clearTimeout(retryTimer);
    };
    const deliver = (session: BuyerSession) => {
      if (stopped) return;
      onSession(session);
      // The server ends the stream once nothing can change; closing stops EventSource reconnecting.
      if (isSessionSettled(session, new Date(session.server_time))) stop();
    };
    const startPolling = () => {
      if (poller || stopped) return;
      const controller = (poller = new AbortController());
      const tick = async () => {
        try {
          deliver(await this.getSession(controller.signal));
        } catch (error) {
          if (!controller.signal.aborted) onError?.(toApiError(error));
        }
        if (!controller.signal.aborted && !stopped) pollTimer = setTimeout(tick, pollingInterval);
      };
      void tick();
    };
    const fallBack = () => {
      closeStream();
      startPolling();
      clearTimeout(retryTimer);
      retryTimer = setTimeout(open, Math.min(60_000, pollingInterval * 2 ** retries++));
    };
    const open = () => {
      if (stopped) return;
      closeStream();
      let stream: EventSource;
      try {
        stream = source = new EventSource(
          `${this.url}/events?client_secret=${encodeURIComponent(this.clientSecret)}`,
        );
      } catch {
        return fallBack();
      }
      stream.onopen = () => {
        failures = retries = 0;
        stopPolling();
      };
      stream.onmessage = (message) => {
        let event: SessionEvent | undefined;
        try {
          event = JSON.parse(message.data as string) as SessionEvent;
        } catch {
          return;
        }
        if (isBuyerSession(event?.session)) deliver(event.session);
      };
      stream.onerror = () => {
        if (source !== stream) return;
        // CLOSED: the browser gave up (HTTP error, 204, wrong type). CONNECTING: it retries by itself,
        // which is fine for a blip but not for a backend or proxy that keeps dropping the stream.
        if (stream.readyState === 2 /* CLOSED */ || ++failures >= 3) fallBack();
      };
    };

    if (typeof EventSource === 'function') open();
    else startPolling();
    return stop;
  }
}
