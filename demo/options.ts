/**
 * The demo's command line: which ports and merchant name `npm run demo` uses, from flags and the
 * environment, its `--help`, and the check that each port is free before anything starts.
 *
 * Flags win over the environment, the environment over the defaults. A taken port is an error that
 * names the port and how to choose another: the demo never moves to a port nobody asked for, because
 * the URLs it prints, the README and a phone on the same network would all point at the wrong place.
 * @module
 */
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';

/** What `npm run demo` listens on and calls itself. */
export interface DemoOptions {
  /** anvil's JSON-RPC port. */
  chainPort: number;
  /** The backend's port (the API and the hosted checkout page). */
  apiPort: number;
  /** The demo shop's port: the page to open. */
  shopPort: number;
  /** The name buyers see on the hosted checkout page (`merchant_name`). */
  merchantName: string;
}

/** One configurable port: its flag, its environment variables (first set wins) and its default. */
interface PortSetting {
  key: 'chainPort' | 'apiPort' | 'shopPort';
  flag: string;
  env: readonly string[];
  fallback: number;
  what: string;
}

/** Every port of the demo, in the order they start. */
export const DEMO_PORTS: readonly PortSetting[] = [
  {
    key: 'chainPort',
    flag: 'chain-port',
    env: ['DEMO_CHAIN_PORT'],
    fallback: 8545,
    what: 'the local chain (anvil)',
  },
  { key: 'apiPort', flag: 'api-port', env: ['DEMO_API_PORT'], fallback: 8787, what: 'the backend API' },
  // PORT too, as hosting tools and most Node servers read it: it is the port of the page one opens.
  {
    key: 'shopPort',
    flag: 'shop-port',
    env: ['DEMO_SHOP_PORT', 'PORT'],
    fallback: 5173,
    what: 'the demo shop',
  },
];

/** The default merchant name of the demo. */
export const DEMO_MERCHANT_NAME = 'Demo Shop';

/** `npm run demo -- --help`. */
export const DEMO_USAGE = `usage: npm run demo -- [options]

Starts a local chain (anvil) with a test USDC, the backend on PGlite and a demo shop that links
every way to embed the checkout. Ctrl+C stops everything.

options (flag, then environment variable, then default):
  --chain-port <n>       DEMO_CHAIN_PORT          8545   anvil's JSON-RPC
  --api-port <n>         DEMO_API_PORT            8787   the backend API and hosted checkout page
  --shop-port <n>        DEMO_SHOP_PORT or PORT   5173   the demo shop (open this one)
  --merchant-name <s>    DEMO_MERCHANT_NAME       "${DEMO_MERCHANT_NAME}"   the name on the hosted page
  -h, --help             show this text

A port of 0 lets the system choose a free one. A port already in use stops the demo with an error
saying which; the demo never moves to another port by itself.

examples:
  npm run demo -- --shop-port 3000
  DEMO_API_PORT=9787 npm run demo`;

/** A problem with the demo's options or ports: the message says what to do. */
export class DemoOptionsError extends Error {
  override name = 'DemoOptionsError';
}

/**
 * Reads the demo's options from `argv` (after `npm run demo --`) and `env`, or `'help'` for
 * `--help`. Throws {@link DemoOptionsError} for an unknown flag or a port that is not 0–65535.
 * @example parseDemoOptions(['--shop-port', '3000'], {}) // { chainPort: 8545, apiPort: 8787, shopPort: 3000, … }
 */
export function parseDemoOptions(argv: readonly string[], env: NodeJS.ProcessEnv): DemoOptions | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        'chain-port': { type: 'string' },
        'api-port': { type: 'string' },
        'shop-port': { type: 'string' },
        'merchant-name': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new DemoOptionsError(`${(error as Error).message}\n\n${DEMO_USAGE}`);
  }
  if (values.help) return 'help';
  const ports = Object.fromEntries(
    DEMO_PORTS.map((setting) => {
      const fromFlag = values[setting.flag] as string | undefined;
      const fromEnv = setting.env.find((name) => env[name]);
      const raw = fromFlag ?? (fromEnv ? env[fromEnv] : undefined);
      if (raw === undefined) return [setting.key, setting.fallback];
      const source = fromFlag !== undefined ? `--${setting.flag}` : fromEnv!;
      if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65_535)
        throw new DemoOptionsError(`${source} must be a port number from 0 to 65535, not "${raw}"`);
      return [setting.key, Number(raw)];
    }),
  ) as Pick<DemoOptions, PortSetting['key']>;
  const merchantName = (
    (values['merchant-name'] as string | undefined) ??
    env.DEMO_MERCHANT_NAME ??
    ''
  ).trim();
  return { ...ports, merchantName: merchantName || DEMO_MERCHANT_NAME };
}

/**
 * Checks that each chosen port (other than 0) is free on 127.0.0.1 before anything starts, so that a
 * taken port stops the demo in a second, not after the builds. Throws {@link DemoOptionsError}
 * naming the port, what wanted it and the flag and variable that choose another.
 */
export async function assertDemoPortsFree(options: DemoOptions): Promise<void> {
  const seen = new Map<number, PortSetting>();
  for (const setting of DEMO_PORTS) {
    const port = options[setting.key];
    if (port === 0) continue;
    const other = seen.get(port);
    if (other)
      throw new DemoOptionsError(
        `port ${port} is chosen for both ${other.what} and ${setting.what}; give --${setting.flag} another port`,
      );
    seen.set(port, setting);
    const problem = await tryListen(port);
    if (problem) throw portTakenError(setting, port, problem);
  }
}

/**
 * The error for a port that could not be bound, `code` being the system's (`EADDRINUSE`, `EACCES`):
 * the port, what wanted it, and the flag and variable that pick another.
 */
export function portTakenError(
  setting: Pick<PortSetting, 'flag' | 'env' | 'what'>,
  port: number,
  code: string,
) {
  const why =
    code === 'EADDRINUSE'
      ? 'is already in use (another demo still running, or another program)'
      : `cannot be opened (${code})`;
  return new DemoOptionsError(
    `port ${port} for ${setting.what} ${why} on 127.0.0.1.\n` +
      `Stop what uses it, or choose another port: npm run demo -- --${setting.flag} ${port === 65_535 ? port - 1 : port + 1}` +
      ` (or ${setting.env.join(' or ')}=…), or --${setting.flag} 0 for any free port.`,
  );
}

/** Listens on `port` and closes again: `null` when that worked, else the error's code. */
function tryListen(port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => probe.close(() => resolve(null)));
  });
}
