/**
 * The errors the API answers with, one class per machine-readable code of the protocol's list
 * (`errorCodeSchema`). Services and route hooks throw them; the one error handler
 * (`error-handler.ts`) turns each into its HTTP status and the documented body
 * `{"error":{"code","message"}}`. As with viem's error classes, the name says what went wrong and the
 * message says what to do about it. Anything else that reaches the handler is a bug and answers a
 * generic 500.
 * @module
 */
import type { ErrorBody, ErrorCode } from '@crypto-checkout/protocol';

/** One failing field of an `invalid_request`: where (`amount`, `events.0`, `Idempotency-Key`) and why. */
export interface Issue {
  path: string;
  message: string;
}

/**
 * Base of every error meant for the API caller: an HTTP status and a machine-readable code, fixed by
 * each subclass, and a message for a person.
 */
export abstract class ApiError extends Error {
  /** HTTP status of the answer. */
  abstract readonly statusCode: number;
  /** Machine-readable code from the protocol's list. */
  abstract readonly code: ErrorCode;

  constructor(
    message: string,
    /** Field-level details, for `invalid_request`. */
    readonly issues?: Issue[],
  ) {
    super(message);
  }
}

/**
 * The body an {@link ApiError} answers with.
 * @example errorBody(new NotFoundError('no session cs_1')) // { error: { code: 'not_found', message: 'no session cs_1' } }
 */
export function errorBody(error: ApiError): ErrorBody {
  return {
    error: { code: error.code, message: error.message, ...(error.issues ? { issues: error.issues } : {}) },
  };
}

/** 400: the request does not match what the operation takes; `issues` names the fields. */
export class InvalidRequestError extends ApiError {
  override name = 'InvalidRequestError';
  readonly statusCode = 400;
  readonly code = 'invalid_request';

  /**
   * One failing field: the message reads `<path>: <problem>`.
   * @example throw InvalidRequestError.field('cursor', 'pass next_cursor of the previous page unchanged');
   */
  static field(path: string, message: string): InvalidRequestError {
    return new InvalidRequestError(`${path}: ${message}`, [{ path, message }]);
  }

  /** Several failing fields: the message lists each as `<path>: <problem>`, separated by `; `. */
  static fields(issues: Issue[]): InvalidRequestError {
    return new InvalidRequestError(issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
  }
}

/** 400: the body is not JSON. */
export class InvalidJsonError extends ApiError {
  override name = 'InvalidJsonError';
  readonly statusCode = 400;
  readonly code = 'invalid_json';
}

/** 401: no credentials, or wrong ones. */
export class UnauthorizedError extends ApiError {
  override name = 'UnauthorizedError';
  readonly statusCode = 401;
  readonly code = 'unauthorized';
}

/** 403: valid credentials that do not grant this operation (a client secret where a secret key is needed). */
export class ForbiddenError extends ApiError {
  override name = 'ForbiddenError';
  readonly statusCode = 403;
  readonly code = 'forbidden';
}

/** 404: no such resource (in the caller's mode), or no such route. */
export class NotFoundError extends ApiError {
  override name = 'NotFoundError';
  readonly statusCode = 404;
  readonly code = 'not_found';
}

/** 405: the path exists, but not for this HTTP method; `allowed` goes into the `Allow` header. */
export class MethodNotAllowedError extends ApiError {
  override name = 'MethodNotAllowedError';
  readonly statusCode = 405;
  readonly code = 'method_not_allowed';

  constructor(
    method: string,
    path: string,
    /** The methods the path answers, for the `Allow` header. */
    readonly allowed: string[],
  ) {
    super(`${path} does not answer ${method}; use ${allowed.join(', ')}`);
  }
}

/** 413: the body is larger than the server takes. */
export class PayloadTooLargeError extends ApiError {
  override name = 'PayloadTooLargeError';
  readonly statusCode = 413;
  readonly code = 'payload_too_large';
}

/** 414: a path segment is longer than any id the API uses. */
export class UriTooLongError extends ApiError {
  override name = 'UriTooLongError';
  readonly statusCode = 414;
  readonly code = 'uri_too_long';
}

/** 431: the request's headers (the URL included) are larger than the server reads. */
export class HeadersTooLargeError extends ApiError {
  override name = 'HeadersTooLargeError';
  readonly statusCode = 431;
  readonly code = 'headers_too_large';
}

/** 408: the request did not arrive completely in time. */
export class RequestTimeoutError extends ApiError {
  override name = 'RequestTimeoutError';
  readonly statusCode = 408;
  readonly code = 'request_timeout';
}

/** 415: a body sent as something else than `application/json`. */
export class UnsupportedMediaTypeError extends ApiError {
  override name = 'UnsupportedMediaTypeError';
  readonly statusCode = 415;
  readonly code = 'unsupported_media_type';
}

/** 400: the payment method is not configured on this server or not offered for this session. */
export class MethodNotAvailableError extends ApiError {
  override name = 'MethodNotAvailableError';
  readonly statusCode = 400;
  readonly code = 'method_not_available';
}

/** 409: the session is already being paid with another method. */
export class MethodAlreadyChosenError extends ApiError {
  override name = 'MethodAlreadyChosenError';
  readonly statusCode = 409;
  readonly code = 'method_already_chosen';
}

/** 409: the session takes no payment any more (expired, canceled, paid). */
export class SessionNotOpenError extends ApiError {
  override name = 'SessionNotOpenError';
  readonly statusCode = 409;
  readonly code = 'session_not_open';
}

/** 409: the session received a transfer and can no longer be canceled. */
export class SessionNotCancelableError extends ApiError {
  override name = 'SessionNotCancelableError';
  readonly statusCode = 409;
  readonly code = 'session_not_cancelable';
}

/**
 * 503: no exchange rate for pricing the token in the session's currency right now — every source is
 * down, slow, stale or disagrees, or a stablecoin is off its peg. Not the caller's fault, and nothing
 * was written: send it again after `Retry-After` seconds.
 */
export class RateUnavailableError extends ApiError {
  override name = 'RateUnavailableError';
  readonly statusCode = 503;
  readonly code = 'rate_unavailable';

  constructor(
    message: string,
    /** Seconds until the caller may try again: the answer's `Retry-After`. */
    readonly retryAfterSeconds = 30,
  ) {
    super(message);
  }
}

/** 400: `currency` is not one sessions can be priced in on this server. */
export class CurrencyNotSupportedError extends ApiError {
  override name = 'CurrencyNotSupportedError';
  readonly statusCode = 400;
  readonly code = 'currency_not_supported';
}

/**
 * 409: the buyer cannot go back to the method list: something was already received on the chosen
 * method's address (also a transfer still confirming), so that address is the one to settle.
 */
export class PaymentInProgressError extends ApiError {
  override name = 'PaymentInProgressError';
  readonly statusCode = 409;
  readonly code = 'payment_in_progress';
}

/** 422: an `Idempotency-Key` used before with a different request. */
export class IdempotencyKeyReusedError extends ApiError {
  override name = 'IdempotencyKeyReusedError';
  readonly statusCode = 422;
  readonly code = 'idempotency_key_reused';
}

/** 409: the request with this `Idempotency-Key` is still running. */
export class IdempotencyKeyInUseError extends ApiError {
  override name = 'IdempotencyKeyInUseError';
  readonly statusCode = 409;
  readonly code = 'idempotency_key_in_use';
}

/** 409: the webhook endpoint (or every endpoint an event could go to) is disabled. */
export class WebhookEndpointDisabledError extends ApiError {
  override name = 'WebhookEndpointDisabledError';
  readonly statusCode = 409;
  readonly code = 'webhook_endpoint_disabled';
}

/**
 * 400: the webhook URL's host is, or resolves to, an address webhooks may not go to (loopback,
 * private, link-local, …: the SSRF guard, `webhooks/webhook-url-guard.ts`); the message says which.
 */
export class WebhookUrlForbiddenError extends ApiError {
  override name = 'WebhookUrlForbiddenError';
  readonly statusCode = 400;
  readonly code = 'webhook_url_forbidden';
}

/** 503: the hosted checkout page's scripts are not built on this server. */
export class CheckoutPageUnavailableError extends ApiError {
  override name = 'CheckoutPageUnavailableError';
  readonly statusCode = 503;
  readonly code = 'checkout_page_unavailable';
}

/**
 * 503: the server is shutting down and takes no new request; in-flight ones are still answered. Send
 * it again after `Retry-After` seconds, to this instance once restarted or to another.
 */
export class ShuttingDownError extends ApiError {
  override name = 'ShuttingDownError';
  readonly statusCode = 503;
  readonly code = 'shutting_down';
}

/**
 * 429: this caller sent more requests than its limit allows (per secret key, session or IP address),
 * or holds too many event streams. Send it again after `Retry-After` seconds.
 */
export class RateLimitedError extends ApiError {
  override name = 'RateLimitedError';
  readonly statusCode = 429;
  readonly code = 'rate_limited';

  constructor(
    message: string,
    /** Seconds until the caller may send again: the answer's `Retry-After`. */
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/**
 * 503: this instance is saturated (its event loop lags, or it holds as many event streams as it
 * takes) and sheds the request. Send it again after `Retry-After` seconds, here or to another instance.
 */
export class OverloadedError extends ApiError {
  override name = 'OverloadedError';
  readonly statusCode = 503;
  readonly code = 'overloaded';

  constructor(
    message: string,
    /** Seconds until the caller may try again: the answer's `Retry-After`. */
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** 500: a bug. Its message is the only one the caller sees; the cause is logged, never answered. */
export class InternalError extends ApiError {
  override name = 'InternalError';
  readonly statusCode = 500;
  readonly code = 'internal_error';

  constructor() {
    super('internal error; it has been logged');
  }
}

/**
 * 409: the payouts asked for exceed what the treasury holds for the asset less the payouts already
 * pending. Nothing was reserved; a batch is accepted whole or not at all.
 */
export class InsufficientBalanceError extends ApiError {
  override name = 'InsufficientBalanceError';
  readonly statusCode = 409;
  readonly code = 'insufficient_balance';
}

/** 409: the payout's status does not allow this (approving a payout that does not wait, canceling a submitted one). */
export class PayoutNotPendingError extends ApiError {
  override name = 'PayoutNotPendingError';
  readonly statusCode = 409;
  readonly code = 'payout_not_pending';
}

/**
 * 503: the chain's node did not answer (or answered an error) while the request needed it; nothing
 * was changed. Retry after `Retry-After` seconds; if it lasts, check the chain's `rpc_url`.
 */
export class ChainUnavailableError extends ApiError {
  override name = 'ChainUnavailableError';
  readonly statusCode = 503;
  readonly code = 'chain_unavailable';
  /** Seconds until the caller may try again: the answer's `Retry-After`. */
  readonly retryAfterSeconds = 10;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message);
    // Kept for the logs; the answer carries only the message.
    if (options && 'cause' in options) this.cause = options.cause;
  }
}
