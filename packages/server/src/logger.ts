/**
 * The server's logger: pino, set up so that no secret can reach a log line, whatever the level
 * (`trace` included) and whatever a caller passes. Three layers, each enough on its own for what it
 * covers:
 * - `redact` blanks the fields that hold credentials wherever the code logs an object: the
 *   `Authorization` and `Cookie` headers, and keys named like secrets (`secret`, `client_secret`,
 *   `secret_key`, …) at the top level and one level down.
 * - Errors are serialized from an allow-list (type, message, stack, code and PostgreSQL's names of
 *   the table, column and constraint), never as the object they are: database errors carry the
 *   query's parameters (`params`) and the offending values (`detail`: `Key (secret)=(whsec_…)`), and
 *   HTTP clients' errors carry requests and headers. Secret-shaped tokens (`sk_…`, `…_secret_…`,
 *   `whsec_…`) left in a message or stack are masked.
 * - Requests are logged by path, without the query string (`?client_secret=` of the event stream),
 *   and with the route pattern; bodies are never logged.
 * Both the app's own logger and the tests' log files (test/support/logs.ts) are made here.
 * @module
 */
import { pino, type DestinationStream, type Level, type Logger, type LoggerOptions } from 'pino';

/**
 * Paths `redact` blanks (pino's syntax: `*` is one level). Keys that name a credential, at the top
 * of a logged object and one level down, and the request headers that carry one.
 */
export const REDACTED_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["set-cookie"]',
  'res.headers["set-cookie"]',
  ...[
    'authorization',
    'cookie',
    'secret',
    'secrets',
    'client_secret',
    'signing_secret',
    'previous_secret',
    'secret_key',
    'secret_keys',
    'api_key',
    'password',
    'xprv',
    'mnemonic',
    'relayer_key',
    'private_key',
    'encryption_key',
    'previous_encryption_keys',
    'token',
  ].flatMap((key) => [key, `*.${key}`]),
  // The payout key is called `key` in `payouts`: by its path (a bare `key` is too common a name).
  'payouts.key',
  '*.payouts.key',
];

/** What a redacted value reads as. */
export const REDACTED = '[REDACTED]';

/**
 * The secret formats this server hands out, as they may appear inside free text (an error message,
 * a stack): secret keys (`sk_test_…`, `sk_live_…`), client secrets (`<session id>_secret_<random>`)
 * and webhook signing secrets (`whsec_<base64>`). The scan of the test logs uses them too.
 */
export const SECRET_TOKEN_PATTERNS: readonly RegExp[] = [
  /sk_(?:test|live)_[A-Za-z0-9]{16,}/g,
  /_secret_[A-Za-z0-9]{16,}/g,
  /whsec_[A-Za-z0-9+/=]{16,}/g,
];

/**
 * `text` with every secret-shaped token masked (its prefix kept, so the line still says what it was).
 * @example maskSecrets('bad key sk_test_0123456789abcdef0123') // 'bad key sk_test_[REDACTED]'
 */
export function maskSecrets(text: string): string {
  let masked = text;
  for (const pattern of SECRET_TOKEN_PATTERNS) {
    masked = masked.replace(
      pattern,
      (token) => `${/^(sk_(?:test|live)_|_secret_|whsec_)/.exec(token)![1]}${REDACTED}`,
    );
  }
  return masked;
}

/**
 * `url` without its query string and fragment: what a log may say about a request's target.
 * @example pathOf('/v1/sessions/cs_1/events?client_secret=cs_1_secret_x') // '/v1/sessions/cs_1/events'
 */
export function pathOf(url: string): string {
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

/** An error as a log line shows it. */
export interface LoggedError {
  type: string;
  message: string;
  stack?: string;
  code?: string | number;
  [field: string]: unknown;
}

/**
 * Fields of an error copied into the log besides type, message and stack: they name things, never
 * values. PostgreSQL's `detail`, `where`, and PGlite's `params` and `query` are left out on purpose.
 */
const SAFE_ERROR_FIELDS = ['code', 'statusCode', 'severity', 'table', 'column', 'constraint', 'routine'];

/** How many `cause`s deep an error is followed. */
const MAX_CAUSE_DEPTH = 3;

/**
 * pino's serializer for `err` (and `error`, `cause`): an allow-list of the error's fields, secret
 * tokens masked, its `cause` serialized the same way. A value that is not an error passes as its
 * type only: it could be anything.
 * @example serializeError(Object.assign(new Error('duplicate key'), { params: ['whsec_…'] })) // no params
 */
export function serializeError(error: unknown, depth = 0): LoggedError | unknown {
  if (!(error instanceof Error)) {
    if (error === null || error === undefined || typeof error !== 'object') {
      return typeof error === 'string' ? maskSecrets(error) : error;
    }
    return { type: Object.prototype.toString.call(error).slice(8, -1), message: 'not an Error' };
  }
  const logged: LoggedError = {
    type: error.constructor?.name || error.name || 'Error',
    message: maskSecrets(String(error.message)),
  };
  if (typeof error.stack === 'string') logged.stack = maskSecrets(error.stack);
  const fields = error as unknown as Record<string, unknown>;
  for (const field of SAFE_ERROR_FIELDS) {
    const value = fields[field];
    if (typeof value === 'string' || typeof value === 'number') logged[field] = value;
  }
  if (error.cause !== undefined && depth < MAX_CAUSE_DEPTH) {
    logged.cause = serializeError(error.cause, depth + 1);
  }
  return logged;
}

/** The part of a Fastify request the serializer reads. */
interface LoggableRequest {
  method?: string;
  url?: string;
  ip?: string;
  routeOptions?: { url?: string };
}

/**
 * pino's serializer for `req`: method, path (no query), route pattern and client address. Replaces
 * Fastify's, which logs the URL with its query string.
 */
export function serializeRequest(request: LoggableRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: typeof request.url === 'string' ? pathOf(request.url) : undefined,
    route: request.routeOptions?.url,
    remoteAddress: request.ip,
  };
}

/** pino's serializer for `res`: the status only (headers may set cookies). */
export function serializeResponse(reply: { statusCode?: number }): Record<string, unknown> {
  return { statusCode: reply.statusCode };
}

/**
 * The logger options every logger of the server uses: `level`, the redaction paths and the
 * serializers above.
 */
export function loggerOptions(level: Level | 'silent'): LoggerOptions {
  return {
    level,
    redact: { paths: [...REDACTED_PATHS], censor: REDACTED },
    serializers: {
      err: serializeError,
      error: serializeError,
      cause: serializeError,
      req: serializeRequest,
      res: serializeResponse,
    },
  };
}

/**
 * A logger with {@link loggerOptions}, writing JSON lines to `destination` (default: stdout).
 * @example const log = createLogger('info'); log.error({ err }, 'failed'); // no params, no secrets
 */
export function createLogger(level: Level | 'silent', destination?: DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}
