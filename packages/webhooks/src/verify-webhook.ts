/**
 * Verifying side of Standard Webhooks, on WebCrypto only, for any runtime (Node, Deno, Bun, edge).
 * @module
 */
import { base64ToBytes, importWebhookKey, signedContent, toBytes } from './sign-webhook.js';
import { WebhookVerificationError } from './webhook-verification-error.js';

/**
 * The envelope every crypto-checkout webhook has. For the exact payload types (`session.paid` and
 * its session), pass `WebhookPayload` from `@crypto-checkout/protocol` as the type argument of
 * {@link verifyWebhook}; this package itself depends on nothing.
 */
export interface WebhookEnvelope {
  /** `session.<status>`, `session.needs_review` or `webhook.test`. */
  type: string;
  /** When the event happened, ISO 8601. */
  timestamp: string;
  /** The object the event is about. */
  data: object;
}

/**
 * Request headers as frameworks hand them over: Node's `IncomingHttpHeaders` (Express, Fastify,
 * `node:http`), a plain object, or a fetch `Headers` (Next.js route handlers, Hono, Deno, Bun).
 * Names are matched case-insensitively.
 */
export type WebhookRequestHeaders =
  { get(name: string): string | null } | Record<string, string | string[] | undefined>;

/** Options of {@link verifyWebhook}. */
export interface VerifyWebhookOptions {
  /**
   * How far `webhook-timestamp` may be from now, in seconds, either way; default 300. An older
   * request is refused as a possible replay. `Infinity` turns the check off (replaying fixtures).
   */
  toleranceSeconds?: number;
  /** The current time; default the system clock. */
  now?: Date;
}

const HEADER_NAMES = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;

function readHeader(headers: WebhookRequestHeaders, name: string): string | undefined {
  if (typeof headers.get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value.join(' ') : value;
}

function bodyBytes(rawBody: unknown): Uint8Array {
  if (typeof rawBody === 'string' || rawBody instanceof Uint8Array || rawBody instanceof ArrayBuffer) {
    return toBytes(rawBody);
  }
  throw new WebhookVerificationError(
    'invalid_body',
    `rawBody must be the raw request body (a string or bytes), got ${rawBody === null ? 'null' : typeof rawBody}: ` +
      'your framework has probably parsed the JSON already, and re-serialising it changes the bytes that were ' +
      "signed. Read the raw body (Express: express.raw({ type: 'application/json' }); Fastify: a content-type " +
      "parser with parseAs: 'buffer'; fetch: await request.text())",
  );
}

/**
 * Verifies a webhook from crypto-checkout (any Standard Webhooks sender, in fact) and returns its
 * parsed payload. It checks, in this order: that the three `webhook-*` headers are there, that one
 * of the `v1` signatures is the HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{raw body}` under
 * one of `secrets` (compared in constant time), and that `webhook-timestamp` is within
 * `toleranceSeconds` of now, which stops replays of old requests. Pass several secrets while you
 * rotate yours. The comparison is WebCrypto's `subtle.verify`, which runs in constant time.
 *
 * Verify the **raw** body, byte for byte as it arrived: JSON parsed and serialised again by your
 * framework usually differs (spacing, key order, escapes) and fails. Then deduplicate by
 * `webhook-id` (the same on every retry) before you act, and answer 2xx quickly.
 *
 * @throws {WebhookVerificationError} saying why, when the request is not authentic or not fresh.
 * @example
 * import { verifyWebhook, WebhookVerificationError } from '@crypto-checkout/webhooks';
 * import type { WebhookPayload } from '@crypto-checkout/protocol';
 * // Express: app.post('/webhooks', express.raw({ type: 'application/json' }), async (req, res) => {
 * const event = await verifyWebhook<WebhookPayload>(req.body, req.headers, process.env.CHECKOUT_WEBHOOK_SECRET);
 * if (event.type === 'session.paid') await fulfil(event.data.order_id, req.headers['webhook-id']);
 */
export async function verifyWebhook<Payload extends WebhookEnvelope = WebhookEnvelope>(
  rawBody: string | Uint8Array | ArrayBuffer,
  headers: WebhookRequestHeaders,
  secrets: string | readonly string[],
  options: VerifyWebhookOptions = {},
): Promise<Payload> {
  const body = bodyBytes(rawBody);
  const [id, timestampHeader, signatureHeader] = HEADER_NAMES.map((name) =>
    readHeader(headers, name)?.trim(),
  );
  const missing = HEADER_NAMES.filter((_, i) => ![id, timestampHeader, signatureHeader][i]);
  if (missing.length) {
    throw new WebhookVerificationError(
      'missing_headers',
      `missing header(s) ${missing.join(', ')}: is this a webhook from crypto-checkout, and does your proxy or ` +
        'framework pass these headers through?',
    );
  }
  if (!/^\d{1,12}$/.test(timestampHeader!)) {
    throw new WebhookVerificationError(
      'invalid_timestamp',
      `webhook-timestamp must be a Unix time in seconds, got ${JSON.stringify(timestampHeader!.slice(0, 40))}`,
    );
  }
  const timestamp = Number(timestampHeader);

  const keys = typeof secrets === 'string' ? [secrets] : secrets;
  if (!keys.length) throw new TypeError('verifyWebhook needs at least one secret');
  const cryptoKeys = keys.map(importWebhookKey); // every secret is checked before anything is awaited
  const content = signedContent(id!, timestamp, body);
  const given = signatureHeader!
    .split(/\s+/)
    .filter((part) => part.startsWith('v1,'))
    .map((part) => base64ToBytes(part.slice(3)))
    .filter((signature) => signature !== undefined);
  // Every pair is checked, without stopping at the first match, so timing tells nothing about which
  // secret or which signature matched; each check is WebCrypto's constant-time HMAC verify.
  const results = await Promise.all(
    given.flatMap((signature) =>
      cryptoKeys.map(async (key) =>
        crypto.subtle.verify('HMAC', await key, new Uint8Array(signature), content),
      ),
    ),
  );
  const matched = results.includes(true);
  if (!matched) {
    throw new WebhookVerificationError(
      'no_matching_signature',
      `no signature matched (${given.length} v1 signature(s), ${keys.length} secret(s) tried): wrong secret ` +
        '(each endpoint has its own; test and live differ), or was the body re-serialised? verify the raw ' +
        'request bytes, not JSON your framework parsed and stringified again',
    );
  }

  const tolerance = options.toleranceSeconds ?? 300;
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (now - timestamp > tolerance) {
    throw new WebhookVerificationError(
      'timestamp_too_old',
      `webhook-timestamp is ${now - timestamp} s old, more than the ${tolerance} s tolerance: a replayed ` +
        "request, or this machine's clock is wrong (check NTP)",
    );
  }
  if (timestamp - now > tolerance) {
    throw new WebhookVerificationError(
      'timestamp_in_future',
      `webhook-timestamp is ${timestamp - now} s in the future, more than the ${tolerance} s tolerance: ` +
        "this machine's clock is wrong (check NTP)",
    );
  }

  let payload: unknown;
  try {
    payload = JSON.parse(new TextDecoder().decode(body));
  } catch {
    throw new WebhookVerificationError('invalid_body', 'the signature is valid but the body is not JSON');
  }
  const envelope = payload as Partial<Record<'type' | 'timestamp' | 'data', unknown>> | null;
  if (
    typeof envelope !== 'object' ||
    envelope === null ||
    typeof envelope.type !== 'string' ||
    typeof envelope.timestamp !== 'string' ||
    typeof envelope.data !== 'object'
  ) {
    throw new WebhookVerificationError(
      'invalid_body',
      'the signature is valid but the body is not a { type, timestamp, data } webhook payload',
    );
  }
  return payload as Payload;
}
