/**
 * Text that PostgreSQL's `text` refuses, found before it reaches a query: a NUL character, or half of
 * a UTF-16 surrogate pair (valid in a JavaScript string and in escaped JSON, not in UTF-8). Both
 * would fail deep inside the database driver and answer 500; checked here, once for every route, they
 * answer 400 `invalid_request` naming the field.
 * @module
 */
import type { FastifyInstance } from 'fastify';
import { InvalidRequestError } from './errors.js';

// eslint-disable-next-line no-control-regex -- finding NUL is the point
const UNSAFE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The path (`order_id`, `metadata.note`, `items.0`) of the first string in `value` — a key or a value,
 * however deep — that holds a NUL or a lone surrogate; `null` when there is none. Iterative, so a
 * deeply nested body cannot overflow the stack.
 */
export function findUnsafeText(value: unknown): string | null {
  const stack: [unknown, string][] = [[value, '']];
  while (stack.length) {
    const [item, path] = stack.pop()!;
    if (typeof item === 'string') {
      if (UNSAFE.test(item)) return path || '(value)';
    } else if (item !== null && typeof item === 'object') {
      for (const [key, child] of Object.entries(item)) {
        const at = path ? `${path}.${key}` : key;
        if (UNSAFE.test(key)) return at;
        stack.push([child, at]);
      }
    }
  }
  return null;
}

function refuse(where: string, path: string): never {
  throw InvalidRequestError.field(
    where === 'body' ? path : `${where}.${path}`,
    'must not contain NUL characters or unpaired UTF-16 surrogates',
  );
}

/**
 * Adds the check to every route: the query string before authentication (which may look a client
 * secret up), the body once it is parsed. Path parameters are not checked here: every one has a
 * pattern (`cs_…`, `we_…`, a file name) that NUL cannot pass, and a malformed one answers 404 — for
 * the hosted page an HTML page, which this JSON error would replace.
 */
export function refuseUnsafeText(server: FastifyInstance): void {
  server.addHook('onRequest', async (request) => {
    const path = findUnsafeText(request.query);
    if (path !== null) refuse('query', path);
  });
  server.addHook('preValidation', async (request) => {
    const path = findUnsafeText(request.body);
    if (path !== null) refuse('body', path);
  });
}
