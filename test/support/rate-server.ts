/**
 * A local stand-in for the public market-data APIs (Coinbase, Kraken, Binance, CoinGecko,
 * Frankfurter): serves the recorded answers of `rate-fixtures/` on 127.0.0.1, each API under its
 * own prefix, and lets a test break one route at a time — a status, a delay, a body, a stale
 * timestamp — and count requests. The one seam where pricing is faked: everything behind it (HTTP,
 * the SSRF guard, parsing, aggregation) is the real code.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseConfig, type Config, type ConfigInput } from '../../packages/server/src/config.js';
import { testMerchantWallet } from './stack.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`./rate-fixtures/${name}`, import.meta.url), 'utf8');

/** A route's behaviour, changeable while the server runs. */
export interface RouteBehaviour {
  /** HTTP status; default 200. */
  status?: number;
  /** Milliseconds before answering. */
  delayMs?: number;
  /** A body instead of the fixture (as sent, not JSON-encoded). */
  body?: string;
  /** The answer's `Date` header; default now. */
  date?: Date;
  /** Keep the fixture's recorded timestamps (stale by now) instead of moving them to now. */
  recordedTime?: boolean;
}

/** The routes, by API, as the adapters request them for ETH (and USD/EUR, USD/JPY). */
export const RATE_ROUTES = {
  coinbase: '/coinbase/v2/prices/ETH-USD/spot',
  kraken: '/kraken/0/public/Ticker?pair=ETHUSD',
  binance: '/binance/api/v3/ticker/price?symbol=ETHUSDT',
  coingecko: '/coingecko/api/v3/simple/price?ids=ethereum&vs_currencies=usd&include_last_updated_at=true',
  eur: '/frankfurter/v1/latest?base=USD&symbols=EUR',
  jpy: '/frankfurter/v1/latest?base=USD&symbols=JPY',
} as const;

/** A route name of {@link RATE_ROUTES}. */
export type RateRoute = keyof typeof RATE_ROUTES;

const FIXTURES: Record<RateRoute, string> = {
  coinbase: 'coinbase-eth-usd-spot.json',
  kraken: 'kraken-ethusd-ticker.json',
  binance: 'binance-ethusdt-price.json',
  coingecko: 'coingecko-ethereum-usd.json',
  eur: 'frankfurter-usd-eur.json',
  jpy: 'frankfurter-usd-jpy.json',
};

/** The running fixture server. */
export interface RateServer {
  url: string;
  /** Changes how a route answers from now on (merged into what it had). */
  set(route: RateRoute, behaviour: RouteBehaviour): void;
  /** Forgets every change and count. */
  reset(): void;
  /** Requests a route has had. */
  count(route: RateRoute): number;
  /** `pricing` configuration pointing every source at this server. */
  pricing(overrides?: Partial<NonNullable<ConfigInput['pricing']>>): NonNullable<ConfigInput['pricing']>;
  close(): Promise<void>;
}

/** The fixture's text, with its timestamps moved to `now` (less a realistic age) unless recorded. */
function body(route: RateRoute, now: Date, recorded: boolean): string {
  const text = fixture(FIXTURES[route]);
  if (recorded) return text;
  // A live CoinGecko price is up to a minute old; the ECB's rate is today's (or the last banking day's).
  return text
    .replace(/"last_updated_at": \d+/, `"last_updated_at": ${Math.floor(now.getTime() / 1000) - 20}`)
    .replace(/"date": "\d{4}-\d{2}-\d{2}"/, `"date": "${now.toISOString().slice(0, 10)}"`);
}

/** Starts the fixture server on a free port of 127.0.0.1. */
export async function startRateServer(): Promise<RateServer> {
  let behaviours = new Map<RateRoute, RouteBehaviour>();
  let counts = new Map<RateRoute, number>();
  const byPath = new Map<string, RateRoute>(
    Object.entries(RATE_ROUTES).map(([name, path]) => [path, name as RateRoute]),
  );
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const route = byPath.get(request.url ?? '');
    if (!route) {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"not found"}');
      return;
    }
    counts.set(route, (counts.get(route) ?? 0) + 1);
    const b = behaviours.get(route) ?? {};
    const answer = () => {
      if (response.destroyed) return;
      const now = new Date();
      response.writeHead(b.status ?? 200, {
        'content-type': 'application/json',
        date: (b.date ?? now).toUTCString(),
      });
      response.end(b.body ?? body(route, now, b.recordedTime ?? false));
    };
    if (b.delayMs) setTimeout(answer, b.delayMs).unref();
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    set(route, behaviour) {
      behaviours.set(route, { ...behaviours.get(route), ...behaviour });
    },
    reset() {
      behaviours = new Map();
      counts = new Map();
    },
    count: (route) => counts.get(route) ?? 0,
    pricing: (overrides = {}) => ({
      sources: ['coinbase', 'kraken', 'binance', 'coingecko'],
      fiat_sources: ['frankfurter'],
      urls: {
        coinbase: `${url}/coinbase`,
        kraken: `${url}/kraken`,
        binance: `${url}/binance`,
        coingecko: `${url}/coingecko`,
        frankfurter: `${url}/frankfurter/v1`,
      },
      allow_private_sources: true,
      timeout_ms: 500,
      cache_s: 0,
      ...overrides,
    }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A configuration for pricing tests: the merchant's test xpub and one anvil chain that no node
 * backs (pricing reads no chain), holding USDC pegged to USD unless `usdc` is false, with `fields`
 * (`pricing`, `rates`, `fx_rates`…) on top.
 */
export function pricingTestConfig(fields: Record<string, unknown>, usdc = true): Config {
  return parseConfig({
    xpub: testMerchantWallet().xpub,
    chains: [
      {
        key: 'anvil',
        id: 31337,
        name: 'Anvil (local)',
        rpc_url: 'http://127.0.0.1:1',
        confirmations: 1,
        ...(usdc && {
          tokens: [
            {
              symbol: 'USDC',
              address: '0x5fbdb2315678afecb367f032d93f642f64180aa3',
              decimals: 6,
              peg: 'USD',
            },
          ],
        }),
      },
    ],
    ...fields,
  });
}
