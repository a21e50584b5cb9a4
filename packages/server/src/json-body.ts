/**
 * The `application/json` body parser: Fastify's own (secure-json-parse, refusing `__proto__` and
 * `constructor.prototype` keys), behind a nesting-depth check that reads the raw text before
 * `JSON.parse` builds anything. Everything after parsing — schema validation, the canonical JSON of
 * `Idempotency-Key`, stored metadata and the webhook payloads built from it — walks the body
 * recursively; a body nested thousands deep overflowed the stack there and answered 500. Bounded
 * here, once, it answers 400 `invalid_request`, and nothing downstream can meet a deeper value.
 * @module
 */
import type { FastifyInstance } from 'fastify';
import { InvalidRequestError } from './errors.js';

/** How deep objects and arrays may nest in a JSON body (`{"a":{"b":[1]}}` is 3 deep). */
export const MAX_JSON_DEPTH = 32;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * How deep objects and arrays nest in JSON `text`, counting brackets outside strings; stops counting
 * once past `limit`. Linear, no allocation, and meaningful for any text: invalid JSON is left for
 * `JSON.parse` to refuse.
 * @example jsonDepth('{"a":[1,{"b":"]]"}]}') // 3
 */
export function jsonDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return deepest;
}

/**
 * Replaces Fastify's `application/json` parser with the same parser behind {@link jsonDepth}: a body
 * nested deeper than {@link MAX_JSON_DEPTH} answers 400 `invalid_request` before it is parsed.
 */
export function parseJsonBodies(server: FastifyInstance): void {
  const parse = server.getDefaultJsonParser('error', 'error');
  server.removeContentTypeParser('application/json');
  server.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
      done(
        InvalidRequestError.field(
          '(body)',
          `nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels; send a flatter body`,
        ),
        undefined,
      );
      return;
    }
    parse(request, text, done);
  });
}
