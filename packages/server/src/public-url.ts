/**
 * Links the backend hands out: its public base URL and each session's hosted checkout page.
 * @module
 */
import type { AddressInfo } from 'node:net';
import type { Config } from './config.js';

/** Wildcard addresses a server listens on that nobody can open in a browser. */
const WILDCARD_HOSTS = new Set(['', '0.0.0.0', '::', '[::]']);

/**
 * The backend's public base URL, without a trailing slash: `public_url` when configured, else the
 * address the server listens on — `listening` (the port the system chose for `port: 0`) or the
 * configured `host` and `port` — with a wildcard host (`0.0.0.0`, `::`) written `127.0.0.1`.
 * @example publicBaseUrl(config) // 'http://127.0.0.1:8787'
 */
export function publicBaseUrl(
  config: Pick<Config, 'public_url' | 'host' | 'port'>,
  listening?: AddressInfo | string | null,
): string {
  if (config.public_url) return config.public_url;
  const port = listening && typeof listening === 'object' ? listening.port : config.port;
  const host = WILDCARD_HOSTS.has(config.host) ? '127.0.0.1' : config.host;
  return `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}

/**
 * A session's hosted checkout page: `{base}/checkout/{id}#{client secret}`. The secret rides in
 * the fragment, which browsers never send to a server: it stays out of access logs, proxies and
 * `Referer` headers, and the page's script reads it from `location.hash`.
 * @example checkoutUrl('https://pay.example', 'cs_1', 'cs_1_secret_x') // 'https://pay.example/checkout/cs_1#cs_1_secret_x'
 */
export function checkoutUrl(base: string, sessionId: string, clientSecret: string): string {
  return `${base}/checkout/${encodeURIComponent(sessionId)}#${encodeURIComponent(clientSecret)}`;
}

/**
 * The name the hosted page shows: `merchant_name`, else `''`, for which the page uses neutral words
 * ("Complete your payment"). Not the host name: the backend's host is the payment server's, often
 * `127.0.0.1` or `pay.example`, and "Pay 127.0.0.1" tells a buyer nothing they can trust.
 * @example merchantDisplayName({ merchant_name: undefined }) // ''
 */
export function merchantDisplayName(config: Pick<Config, 'merchant_name'>): string {
  return config.merchant_name ?? '';
}
