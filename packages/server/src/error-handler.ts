/**
 * The one place where errors become HTTP answers. Routes, hooks and services throw the typed errors
 * of `errors.ts`; Fastify raises its own (a body that fails a route's schema, bad JSON, a body too
 * large, a wrong content type, a path segment too long); a request can match no route or match a path
 * under another method. Every one of them answers the documented body `{"error":{"code","message"}}`
 * with a code from the protocol's list. Anything else is a bug: it is logged in full and answers a
 * 500 that says nothing about its cause.
 * @module
 */
import { STATUS_CODES, maxHeaderSize } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  type ZodFastifySchemaValidationError,
} from 'fastify-type-provider-zod';
import { redactUrl } from './auth.js';
import {
  ApiError,
  errorBody,
  HeadersTooLargeError,
  InternalError,
  InvalidJsonError,
  InvalidRequestError,
  MethodNotAllowedError,
  NotFoundError,
  OverloadedError,
  PayloadTooLargeError,
  RateLimitedError,
  RateUnavailableError,
  ChainUnavailableError,
  RequestTimeoutError,
  UnsupportedMediaTypeError,
  UriTooLongError,
  type Issue,
} from './errors.js';

/** Which part of the request failed its schema, as Fastify names it. */
type ValidationContext = 'body' | 'querystring' | 'params' | 'headers';

const WHERE: Record<ValidationContext, string> = {
  body: '(body)',
  querystring: '(query)',
  params: '(path)',
  headers: '(headers)',
};

/**
 * A header's name as people write it: headers arrive lower-cased.
 * @example headerName('last-event-id') // 'Last-Event-ID'
 */
export function headerName(name: string): string {
  return name
    .split('-')
    .map((word) => (word === 'id' ? 'ID' : word.charAt(0).toUpperCase() + word.slice(1)))
    .join('-');
}

/**
 * A schema failure as a field issue: `events.0` for a body field, the parameter's name for a query,
 * the header's name for a header.
 */
function toIssue(failure: ZodFastifySchemaValidationError, context: ValidationContext): Issue {
  const path = failure.instancePath.slice(1).replaceAll('/', '.');
  const message = failure.message ?? 'is invalid';
  const keys = (failure.params as { keys?: unknown }).keys;
  // An unknown query parameter is named; an unknown body field reads as zod says it.
  if (context === 'querystring' && failure.keyword === 'unrecognized_keys' && Array.isArray(keys)) {
    return { path: keys.join(','), message: 'unknown parameter' };
  }
  if (context === 'headers' && path) return { path: headerName(path), message };
  return { path: path || WHERE[context], message };
}

/**
 * A request that failed its route's schema. A path parameter of the wrong shape (`/v1/sessions/x`)
 * cannot name anything, so it answers 404 like an unknown id; the body, the query and the headers
 * answer 400 `invalid_request` naming every failing field.
 */
function validationError(error: FastifyError, request: FastifyRequest): ApiError {
  const context = (error.validationContext ?? 'body') as ValidationContext;
  const issues = (error.validation as unknown as ZodFastifySchemaValidationError[]).map((failure) =>
    toIssue(failure, context),
  );
  if (context === 'params') {
    const why = issues.map((i) => `${i.path} ${i.message}`).join('; ');
    return new NotFoundError(`nothing at ${redactUrl(request.url)}: ${why}`);
  }
  return InvalidRequestError.fields(issues);
}

/** Fastify's own 4xx errors, by code, as the API's errors. */
function fastifyError(error: FastifyError, request: FastifyRequest): ApiError | null {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new UnsupportedMediaTypeError('send the body as application/json');
    case 'FST_ERR_CTP_BODY_TOO_LARGE': {
      // The route's own limit (limits.ts gives small-bodied routes a smaller one), else the server's.
      const limit = request.routeOptions.bodyLimit ?? request.server.initialConfig.bodyLimit ?? 1024 * 1024;
      return new PayloadTooLargeError(`the body is larger than ${Math.round(limit / 1024)} KB`);
    }
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new InvalidJsonError(`the body is not valid JSON: ${error.message}`);
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new UriTooLongError(
        `a path segment is longer than ${request.server.initialConfig.maxParamLength ?? 100} characters; no id is that long`,
      );
    case 'FST_ERR_BAD_URL':
      return new InvalidRequestError(`the URL ${redactUrl(request.url)} is not validly percent-encoded`);
  }
  if (error instanceof SyntaxError)
    return new InvalidJsonError(`the body is not valid JSON: ${error.message}`);
  const status = error.statusCode ?? 500;
  if (status === 413) return new PayloadTooLargeError(error.message);
  if (status === 415) return new UnsupportedMediaTypeError(error.message);
  // Any other 4xx of Fastify's (a bad Content-Length, …) is the caller's mistake: its message is safe.
  if (status >= 400 && status < 500) return new InvalidRequestError(error.message);
  return null;
}

/**
 * The API error that `error` answers as, or `null` for a bug (which answers {@link InternalError}).
 * @example apiErrorOf(new NotFoundError('no session cs_1'), request)?.statusCode // 404
 */
export function apiErrorOf(error: unknown, request: FastifyRequest): ApiError | null {
  if (error instanceof ApiError) return error;
  if (hasZodFastifySchemaValidationErrors(error)) return validationError(error as FastifyError, request);
  if (error && typeof error === 'object' && 'code' in error) {
    return fastifyError(error as FastifyError, request);
  }
  return null;
}

/** Answers `error` with its status and the error body; a bug is logged and answers a bare 500. */
function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  let answer = apiErrorOf(error, request);
  if (!answer || answer.statusCode >= 500) {
    if (!answer) request.log.error({ err: error }, 'unhandled error');
    // A 5xx the code meant to answer (503 checkout_page_unavailable) keeps its message, which is
    // written for the caller; everything else answers without a word about its cause.
    answer ??= new InternalError();
  }
  if (answer instanceof MethodNotAllowedError) reply.header('allow', answer.allowed.join(', '));
  if (
    answer instanceof RateLimitedError ||
    answer instanceof OverloadedError ||
    answer instanceof RateUnavailableError ||
    answer instanceof ChainUnavailableError
  ) {
    reply.header('retry-after', String(answer.retryAfterSeconds));
  }
  return reply.status(answer.statusCode).type('application/json; charset=utf-8').send(errorBody(answer));
}

/** Methods a path may answer, for 405 and the `Allow` header. OPTIONS is CORS's, for every path. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * Installs the error handler and the not-found handler. The not-found handler answers 405
 * `method_not_allowed` (with `Allow`) for a path that exists under other methods, else 404.
 */
export function registerErrorHandler(server: FastifyInstance): void {
  server.setErrorHandler((error, request, reply) => sendError(error, request, reply));
  server.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0]!;
    const allowed = METHODS.filter((method) => server.findRoute({ method, url: path }));
    const error = allowed.length
      ? new MethodNotAllowedError(request.method, path, allowed)
      : new NotFoundError(`no route ${request.method} ${redactUrl(request.url)}`);
    return sendError(error, request, reply);
  });
}

/**
 * Fastify's `frameworkErrors` option: errors raised before a request reaches a route (a path
 * segment longer than `maxParamLength`, a malformed URL) answer like every other error.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  sendError(error, request, reply);
}

/**
 * Fastify's `clientErrorHandler` option: requests Node's HTTP parser refuses before Fastify sees them
 * (headers larger than `maxHeaderSize`, a request that did not arrive in time, bytes that are not
 * HTTP) still answer the error body. The connection is closed afterwards, as Node does.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const answer =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? new HeadersTooLargeError(
          `the request's headers and URL are larger than ${Math.round(maxHeaderSize / 1024)} KB; send less`,
        )
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new RequestTimeoutError('the request did not arrive in time; send it again')
        : new InvalidRequestError('the request is not valid HTTP/1.1');
  const body = JSON.stringify(errorBody(answer));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${answer.statusCode} ${STATUS_CODES[answer.statusCode]}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
