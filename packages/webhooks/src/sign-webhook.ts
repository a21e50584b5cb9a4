/**
 * Signing side of Standard Webhooks, on WebCrypto only (`globalThis.crypto.subtle`), so the same code
 * runs in Node ≥ 20, Deno, Bun, Cloudflare Workers and other edge runtimes. The signed content
 * (`{id}.{timestamp}.{body}`) is spelled out here, once; verifying goes through the same functions.
 * @module
 */

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
const utf8 = new TextEncoder();

/** Standard base64 of bytes (`btoa` exists in every runtime this package targets; `Buffer` does not). */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** The bytes of standard base64, or `undefined` when `text` is not base64. */
export function base64ToBytes(text: string): Uint8Array | undefined {
  if (!BASE64.test(text) || text.length % 4 === 1) return undefined;
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/**
 * The key bytes of a signing secret: the base64 after `whsec_` (the prefix may be left out).
 * @throws {TypeError} when it is not a `whsec_…` secret — e.g. an API key passed by mistake.
 */
export function decodeWebhookSecret(secret: string): Uint8Array {
  if (typeof secret !== 'string') throw new TypeError('a webhook secret must be a string, whsec_…');
  const encoded = secret.startsWith(WEBHOOK_SECRET_PREFIX)
    ? secret.slice(WEBHOOK_SECRET_PREFIX.length)
    : secret;
  const key = base64ToBytes(encoded);
  if (!key?.length) {
    throw new TypeError(
      // Nothing of the value goes into the message: it may be a real key passed by mistake.
      `a webhook secret must look like whsec_<base64> (the endpoint's signing secret); got ${secret.length} characters that do not`,
    );
  }
  return key;
}

/** Bytes of a body as given: a string is UTF-8. */
export function toBytes(body: string | Uint8Array | ArrayBuffer): Uint8Array {
  if (typeof body === 'string') return utf8.encode(body);
  return body instanceof Uint8Array ? body : new Uint8Array(body);
}

/** The bytes that are signed: `{id}.{timestamp}.{body}`, the body exactly as sent. */
export function signedContent(id: string, timestamp: number, body: Uint8Array): Uint8Array<ArrayBuffer> {
  const head = utf8.encode(`${id}.${timestamp}.`);
  const content = new Uint8Array(head.length + body.length);
  content.set(head);
  content.set(body, head.length);
  return content;
}

/** An HMAC-SHA256 key of a `whsec_…` secret, for signing and verifying. */
export function importWebhookKey(secret: string): Promise<CryptoKey> {
  const raw = decodeWebhookSecret(secret);
  return crypto.subtle.importKey('raw', new Uint8Array(raw), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
    'verify',
  ]);
}

/**
 * Signs a webhook the way the server does, and returns its headers. The server signs every attempt
 * with it; use it in your tests to make fixtures that `verifyWebhook` (or any Standard Webhooks
 * library) accepts. With several secrets (a rotation) the signatures are space-separated, one per
 * secret, in the order given.
 * @example
 * const body = JSON.stringify({ type: 'session.paid', timestamp: new Date().toISOString(), data: session });
 * const headers = await signWebhook({ id: 'msg_test1', body, secret: 'whsec_…' });
 * await fetch('http://127.0.0.1:3000/webhooks', { method: 'POST', headers, body });
 */
export async function signWebhook(input: {
  /** The event id, `msg_…`; must not contain `.`. */
  id: string;
  /** The exact body bytes to send (a string is sent as UTF-8). */
  body: string | Uint8Array;
  /** One `whsec_…` secret, or several during a rotation. */
  secret: string | readonly string[];
  /** When the attempt is made; default now. */
  timestamp?: Date;
}): Promise<WebhookHeaders> {
  if (!input.id || input.id.includes('.'))
    throw new TypeError('a webhook id must be non-empty and contain no "."');
  const seconds = Math.floor((input.timestamp ?? new Date()).getTime() / 1000);
  const secrets = typeof input.secret === 'string' ? [input.secret] : input.secret;
  if (!secrets.length) throw new TypeError('signWebhook needs at least one secret');
  const keys = secrets.map(importWebhookKey); // decodes (and so checks) every secret before awaiting
  const content = signedContent(input.id, seconds, toBytes(input.body));
  const signatures = await Promise.all(
    keys.map(
      async (key) =>
        `v1,${bytesToBase64(new Uint8Array(await crypto.subtle.sign('HMAC', await key, content)))}`,
    ),
  );
  return {
    'webhook-id': input.id,
    'webhook-timestamp': String(seconds),
    'webhook-signature': signatures.join(' '),
  };
}
