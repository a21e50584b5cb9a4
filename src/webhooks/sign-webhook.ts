import { createHmac } from 'node:crypto';

/** The three Standard Webhooks headers of one attempt. */
// A type alias, not an interface, so that it passes wherever a plain header record is taken.
export type WebhookHeaders = {
  /** The event id (`msg_…`): the same on every attempt, so use it to deduplicate. */
  'webhook-id': string;
  /** When this attempt was signed, Unix time in seconds. */
  'webhook-timestamp': string;
  /** `v1,<base64 HMAC-SHA256>`, several separated by spaces while a secret is being rotated. */
  'webhook-signature': string;
};

/** The prefix of a Standard Webhooks signing secret. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * The key bytes of a signing secret: the base64 after `whsec_` (the prefix may be left out).
 * @throws {TypeError} when it is not a `whsec_…` secret — e.g. an API key passed by mistake.
 */
export function decodeWebhookSecret(secret: string): Buffer {
  if (typeof secret !== 'string') throw new TypeError('a webhook secret must be a string, whsec_…');
  const encoded = secret.startsWith(WEBHOOK_SECRET_PREFIX)
    ? secret.slice(WEBHOOK_SECRET_PREFIX.length)
    : secret;
  const key = BASE64.test(encoded) ? Buffer.from(encoded, 'base64') : Buffer.alloc(0);
  if (key.length === 0) {
    throw new TypeError(
      // Nothing of the value goes into the message: it may be a real key passed by mistake.
      `a webhook secret must look like whsec_<base64> (the endpoint's signing secret); got ${secret.length} characters that do not`,
    );
  }
  return key;
}

/** The bytes that are signed: `{id}.{timestamp}.{body}`, the body exactly as sent. */
function signedContent(id: string, timestamp: number, body: string | Uint8Array): Buffer {
  const bodyBytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
  return Buffer.concat([Buffer.from(`${id}.${timestamp}.`, 'utf8'), bodyBytes]);
}

/**
 * The raw HMAC-SHA256 of one attempt under one secret. The one place that spells out what is
 * signed; signing and verifying both go through it.
 */
export function webhookDigest(
  secret: string,
  id: string,
  timestamp: number,
  body: string | Uint8Array,
): Buffer {
  return createHmac('sha256', decodeWebhookSecret(secret))
    .update(signedContent(id, timestamp, body))
    .digest();
}

/**
 * Signs a webhook the way the server does, and returns its headers. The server signs every attempt
 * with it; use it in your tests to make fixtures that `verifyWebhook` (or any Standard Webhooks
 * library) accepts. With several secrets (a rotation) the signatures are space-separated, one per
 * secret, in the order given.
 * @example
 * const body = JSON.stringify({ type: 'session.paid', timestamp: new Date().toISOString(), data: session });
 * const headers = signWebhook({ id: 'msg_test1', body, secret: 'whsec_…' });
 * await fetch('http://127.0.0.1:3000/webhooks', { method: 'POST', headers, body });
 */
export function signWebhook(input: {
  /** The event id, `msg_…`; must not contain `.`. */
  id: string;
  /** The exact body bytes to send (a string is sent as UTF-8). */
  body: string | Uint8Array;
  /** One `whsec_…` secret, or several during a rotation. */
  secret: string | readonly string[];
  /** When the attempt is made; default now. */
  timestamp?: Date;
}): WebhookHeaders {
  if (!input.id || input.id.includes('.'))
    throw new TypeError('a webhook id must be non-empty and contain no "."');
  const seconds = Math.floor((input.timestamp ?? new Date()).getTime() / 1000);
  const secrets = typeof input.secret === 'string' ? [input.secret] : input.secret;
  if (!secrets.length) throw new TypeError('signWebhook needs at least one secret');
  return {
    'webhook-id': input.id,
    'webhook-timestamp': String(seconds),
    'webhook-signature': secrets
      .map((secret) => `v1,${webhookDigest(secret, input.id, seconds, input.body).toString('base64')}`)
      .join(' '),
  };
}
