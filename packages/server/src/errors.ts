import type { ErrorCode } from '@crypto-checkout/protocol';

/**
 * An error meant for the API caller: it carries the HTTP status and a machine-readable code and is
 * rendered as `{"error":{"code","message"}}`. Anything else that reaches the error handler is a bug
 * and answers a generic 500.
 */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    /** HTTP status, 4xx. */
    readonly statusCode: number,
    /** Machine-readable code from the protocol's list. */
    readonly code: ErrorCode,
    message: string,
    /** Field-level details for `invalid_request`. */
    readonly issues?: { path: string; message: string }[],
  ) {
    super(message);
  }
}
