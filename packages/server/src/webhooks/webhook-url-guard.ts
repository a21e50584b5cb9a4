/**
 * The webhook SSRF guard: which addresses a webhook may be sent to. A live-mode endpoint must be a
 * public unicast address — never loopback, private (RFC 1918, CGNAT), link-local (the cloud
 * metadata service at 169.254.169.254), unique-local, multicast, unspecified, broadcast,
 * documentation, benchmarking or reserved, nor an IPv6 form that embeds an IPv4 address (mapped,
 * NAT64, 6to4, Teredo). Whoever holds a secret key chooses the URL and reads part of the answer in
 * the attempt log, so without this the server would fetch its own network for them.
 *
 * The URL is checked when an endpoint is created or changed, and again at every attempt: the
 * name is resolved once, every address it resolves to is checked, and the connection goes to a
 * checked address (the lookup of {@link guardedLookup} is the one the socket uses), so a DNS answer
 * that changes between the check and the connection (rebinding) cannot slip through.
 * Address classes come from ipaddr.js; the URL's host is the WHATWG-normalised one, so spellings
 * such as `http://2130706433/` or `http://0x7f.1/` arrive here as `127.0.0.1`.
 * @module
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { WebhooksConfig } from '../config.js';

/** Resolves a host name to every address it has (the seam tests use to simulate DNS answers). */
export type ResolveHost = (hostname: string) => Promise<LookupAddress[]>;

/** The system resolver (`getaddrinfo`, so `/etc/hosts` counts), every address of every family. */
export const systemResolveHost: ResolveHost = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) =>
      error ? reject(error) : resolve(addresses),
    ),
  );

/** Which endpoints may reach loopback and private addresses (`webhooks` settings). */
export interface WebhookUrlPolicy {
  /** Test-mode endpoints may be loopback or private (the demo and local development receive on 127.0.0.1). */
  allowPrivateTest: boolean;
  /** Live-mode endpoints may be loopback or private (a server on a private network; off by default). */
  allowPrivateLive: boolean;
}

/** The policy the `webhooks` settings give. */
export function webhookUrlPolicy(config: WebhooksConfig): WebhookUrlPolicy {
  return {
    allowPrivateTest: config.allow_private_test_endpoints,
    allowPrivateLive: config.allow_private_live_endpoints,
  };
}

/**
 * Ranges the private-network settings open. Link-local (the metadata service), unspecified,
 * multicast, broadcast and the rest stay closed whatever the settings: no receiver lives there.
 */
const PRIVATE_RANGES = new Set(['loopback', 'private', 'carrierGradeNat', 'uniqueLocal']);

/** What a range is called in an error message. */
const RANGE_NAMES: Record<string, string> = {
  loopback: 'a loopback address',
  private: 'a private address (RFC 1918)',
  carrierGradeNat: 'a shared address (100.64.0.0/10, CGNAT)',
  uniqueLocal: 'a unique-local address (fc00::/7)',
  linkLocal: 'a link-local address (169.254.0.0/16 or fe80::/10, cloud metadata)',
  unspecified: 'an unspecified address',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  reserved: 'a reserved or documentation address',
  benchmarking: 'a benchmarking address',
  rfc6052: 'a NAT64 address (64:ff9b::/96)',
  rfc6145: 'an IPv4-translated address',
  '6to4': 'a 6to4 address (2002::/16)',
  teredo: 'a Teredo address (2001::/32)',
};

/** Why a webhook may not go to a URL or an address; `code` tells it apart from network errors. */
export class ForbiddenWebhookAddressError extends Error {
  override name = 'ForbiddenWebhookAddressError';
  /** Read by the dispatcher to describe the failed attempt. */
  readonly code = 'WEBHOOK_ADDRESS_FORBIDDEN';
}

/**
 * Why `address` (an IP literal) is forbidden for an endpoint of this mode, or `null` when it is
 * allowed. IPv4-mapped IPv6 addresses (`::ffff:127.0.0.1`) are judged as the IPv4 address they are.
 * @example addressProblem('169.254.169.254', { livemode: true, policy }) // 'a link-local address (…)'
 */
export function addressProblem(
  address: string,
  options: { livemode: boolean; policy: WebhookUrlPolicy },
): string | null {
  if (!ipaddr.isValid(address)) return 'not an IP address';
  const parsed = ipaddr.process(address);
  const range = parsed.range();
  if (range === 'unicast') return null;
  const allowPrivate = options.livemode ? options.policy.allowPrivateLive : options.policy.allowPrivateTest;
  if (allowPrivate && PRIVATE_RANGES.has(range)) return null;
  return RANGE_NAMES[range] ?? `a special-purpose address (${range})`;
}

/** `localhost` and names under it (RFC 6761): loopback by definition, whatever DNS says. */
function isLocalhostName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

/** The host of a URL as a bare name or IP (IPv6 without its brackets). */
export function urlHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * Why a webhook may not go to `url`, or `null` if it may: its host is judged as an IP literal, else
 * by name (`localhost`) and then by every address `resolve` gives for it. A name that does not
 * resolve now passes (its DNS may not be published yet): every attempt resolves and checks again.
 */
export async function urlProblem(
  url: string,
  options: { livemode: boolean; policy: WebhookUrlPolicy; resolve: ResolveHost },
): Promise<string | null> {
  if (!URL.canParse(url)) return 'not a URL';
  const host = urlHost(new URL(url));
  if (isIP(host)) {
    const problem = addressProblem(host, options);
    return problem && `${host} is ${problem}`;
  }
  const allowPrivate = options.livemode ? options.policy.allowPrivateLive : options.policy.allowPrivateTest;
  if (isLocalhostName(host) && !allowPrivate) return `${host} is a loopback name`;
  let addresses: LookupAddress[];
  try {
    addresses = await options.resolve(host);
  } catch {
    return null;
  }
  for (const { address } of addresses) {
    const problem = addressProblem(address, options);
    // The address itself is not named: the answer goes to an API caller, who need not learn
    // what a name resolves to inside the server's network.
    if (problem) return `${host} resolves to ${problem}`;
  }
  return null;
}

/** The `lookup` function of `net.connect` (what undici's `connect.lookup` passes on). */
export type ConnectLookup = (
  hostname: string,
  options: { all?: boolean; family?: number | string },
  callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
) => void;

/**
 * A `lookup` for the sockets of one attempt: resolves with `resolve`, refuses the connection
 * (a {@link ForbiddenWebhookAddressError}) unless every address passes {@link addressProblem}, and
 * hands the socket the checked addresses — the socket connects to what was checked and nothing
 * resolves the name a second time. TLS still uses the URL's host name for SNI and the certificate.
 */
export function guardedLookup(options: {
  livemode: boolean;
  policy: WebhookUrlPolicy;
  resolve: ResolveHost;
}): ConnectLookup {
  return (hostname, lookupOptions, callback) => {
    const fail = (error: NodeJS.ErrnoException) => callback(error, lookupOptions.all ? [] : '', 0);
    if (
      isLocalhostName(hostname) &&
      !(options.livemode ? options.policy.allowPrivateLive : options.policy.allowPrivateTest)
    ) {
      fail(new ForbiddenWebhookAddressError(`${hostname} is a loopback name`));
      return;
    }
    options.resolve(hostname).then(
      (found) => {
        const family = Number(String(lookupOptions.family ?? 0).replace(/^IPv/, '')) || 0;
        const addresses = family ? found.filter((a) => a.family === family) : found;
        if (!addresses.length) {
          fail(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }));
          return;
        }
        for (const { address } of addresses) {
          const problem = addressProblem(address, options);
          if (problem) {
            fail(new ForbiddenWebhookAddressError(`${hostname} resolves to ${problem}`));
            return;
          }
        }
        if (lookupOptions.all) callback(null, addresses);
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (error: NodeJS.ErrnoException) => fail(error),
    );
  };
}
