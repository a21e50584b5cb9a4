import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseXpub } from './chain/evm/derive-address.js';
import { isTronAddress } from './chain/tron/address.js';
import { findKnownChain, KNOWN_CHAINS, type KnownToken } from './chain/known-chains.js';
import { parseUtxoAccountKey } from './chain/utxo/account-key.js';
import { UTXO_NETWORK_NAMES, UTXO_NETWORKS } from './chain/utxo/utxo-networks.js';
import { HASHED_KEY_PATTERN, SECRET_KEY_PATTERN } from './keys/secret-key.js';
import { parseEncryptionKey } from './store/secret-box.js';
import { DEFAULT_RETRY_SCHEDULE } from './webhooks/retry-schedule.js';
import { describeIssue, parseConfigText, type ConfigSources } from './config-errors.js';

/**
 * A token contract: on EVM chains 0x and 20 bytes of hex, kept lower-case; on TRON a `T…` address,
 * kept exactly (base58 is case-sensitive) after its checksum is checked. Which one a chain takes is
 * checked with its family ({@link checkFamilyFields}).
 */
/** An EVM address: 0x and 20 bytes of hex, kept lower-case. */
const evmAddressSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte address')
  .transform((value) => value.toLowerCase() as `0x${string}`);

const addressSchema = z.union([
  evmAddressSchema,
  z
    .string()
    .regex(/^T/, 'must be a 0x-prefixed 20-byte address (EVM) or a T… address (TRON)')
    .refine(isTronAddress, 'not a valid TRON address (its base58check checksum fails)'),
]);

const decimalSchema = z.string().regex(/^\d+(\.\d+)?$/, 'must be a decimal string such as "3000.00"');

/** One token contract on a chain. */
const tokenSchema = z.strictObject({
  symbol: z
    .string()
    .regex(/^[A-Za-z0-9.]{1,16}$/)
    .describe('Ticker, e.g. `USDC`. Lower-cased it forms the method id `usdc@<chain key>`.'),
  address: addressSchema.describe('The token contract, 0x-prefixed (any letter case).'),
  decimals: z
    .number()
    .int()
    .min(0)
    .max(36)
    .describe("Decimals of the token's atomic unit, as its `decimals()` answers (6 for USDC and USDT)."),
  peg: z
    .enum(['USD'])
    .optional()
    .describe('Fiat currency the token is pegged 1:1 to (stablecoins), or omit to use `rates`.'),
});

/** When and how one asset of a chain is swept in forwarder mode (docs/sweeps.md). */
const sweepPolicySchema = z.strictObject({
  threshold: decimalSchema
    .default('0')
    .describe(
      'Sweep a deposit address only when it holds more than this many whole units of the asset (gas would cost more than small balances).',
    ),
  interval_s: z
    .number()
    .int()
    .min(10)
    .max(30 * 86_400)
    .default(3_600)
    .describe('Seconds between two sweep runs for this asset.'),
  max_gas_price_gwei: decimalSchema
    .optional()
    .describe(
      'Skip a run while the chain asks more than this gas price (max fee per gas), in gwei; default: no cap.',
    ),
});

/**
 * The message for a field that only a known chain may leave out; other problems keep zod's message.
 * The list of known keys goes on `id` only, so a chain with an unknown key gets it once.
 */
const requiredUnlessKnown =
  (listKeys = false) =>
  (issue: { input: unknown }) => {
    if (issue.input !== undefined) return undefined;
    const keys = KNOWN_CHAINS.map((chain) => chain.key).join(', ');
    return listKeys
      ? `required: the key is not a known chain (known: ${keys})`
      : 'required: the key is not a known chain';
  };

/** Host names of this machine: an explorer there may be http (a local one beside anvil). */
const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * A block explorer's base URL, which the element renders in links to transactions: https, or http
 * on a loopback host (a development explorer beside anvil), where no network sits in between.
 */
const explorerUrlSchema = z
  .url({ protocol: /^https?$/, error: 'must be an https URL such as https://basescan.org' })
  .refine((value) => {
    // zod runs this after a failed URL check too: that one has reported an unparsable value already.
    if (!URL.canParse(value)) return true;
    const url = new URL(value);
    return url.protocol === 'https:' || LOOPBACK_HOST.test(url.hostname);
  }, 'must be an https URL; http only for an explorer on localhost, 127.0.0.1 or [::1]');

/** One chain the server watches, after {@link withKnownChainDefaults} has filled it in. */
const chainFields = z.strictObject({
  key: z
    .string()
    .regex(/^[a-z0-9-]{1,32}$/, 'must be lower-case letters, digits or dashes')
    .describe("Short key used in method ids, e.g. `base`, `anvil`; a known chain's key fills in the rest."),
  family: z
    .enum(['evm', 'utxo', 'tron'])
    .default('evm')
    .describe(
      "The chain's family (chain/family.ts): `evm`, `utxo` (Bitcoin, Litecoin) or `tron`; a known chain sets it. Default `evm`.",
    ),
  id: z
    .number({ error: requiredUnlessKnown(true) })
    .int()
    .refine((id) => id !== 0, 'must not be 0')
    .describe(
      'The chain number the database keys it by: the EIP-155 chain id for EVM (and TRON) chains; for a UTXO chain, which has none, a negative number of your choice (known chains have theirs).',
    ),
  xpub: z
    .string()
    .min(1)
    .optional()
    .describe(
      "This chain's own account-level extended public key. Required for UTXO and TRON chains (their addresses come from their own BIP44 account); an EVM chain uses the top-level `xpub` when it has none.",
    ),
  name: z.string({ error: requiredUnlessKnown() }).min(1).describe('Human name shown to buyers.'),
  utxo_network: z
    .enum(UTXO_NETWORK_NAMES)
    .optional()
    .describe(
      'UTXO chains only: the address encodings and key versions, e.g. `litecoin`, `bitcoin-testnet`, `litecoin-regtest` (chain/utxo/utxo-networks.ts); a known chain sets it.',
    ),
  address_type: z
    .enum(['p2wpkh', 'p2sh-p2wpkh', 'p2pkh'])
    .optional()
    .describe(
      'UTXO chains only: the receive addresses, native SegWit (`p2wpkh`, BIP84), wrapped SegWit (`p2sh-p2wpkh`, BIP49) or legacy (`p2pkh`, BIP44). Default: what the key says (zpub/vpub: p2wpkh, ypub/upub/Mtub: p2sh-p2wpkh), else p2wpkh.',
    ),
  wallet: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be letters, digits, dots, dashes or underscores')
    .optional()
    .describe(
      "UTXO chains only: the name of the server's watch-only wallet on the node (created blank if missing). Default `crypto-checkout-<key>`.",
    ),
  rpc_url: z
    .url({ protocol: /^https?$/ })
    .describe("The node's JSON-RPC endpoint, http(s); one the server alone uses, with room for its polling."),
  ws_url: z
    .url({ protocol: /^wss?$/ })
    .optional()
    .describe(
      'WebSocket endpoint for the `newHeads` subscription; default: for a node on this machine, the RPC URL with `ws:`/`wss:` (chain/evm/new-heads.ts → webSocketUrlFor), otherwise none (polling only).',
    ),
  confirmations: z
    .number({ error: requiredUnlessKnown() })
    .int()
    .min(1)
    .max(10_000)
    .describe('Confirmations a transfer needs to count as paid (including the block it is in).'),
  polling_interval_ms: z
    .number()
    .int()
    .min(50)
    .max(600_000)
    .default(2_000)
    .describe('How often to ask for new blocks, in milliseconds.'),
  native: z
    .strictObject({
      symbol: z
        .string()
        .regex(/^[A-Za-z0-9.]{1,16}$/)
        .describe('Ticker of the native coin, the key of its price in `rates`.'),
      decimals: z.number().int().default(18).describe('Decimals of the native coin.'),
    })
    .nullable()
    .default({ symbol: 'ETH', decimals: 18 })
    .describe('Native coin ticker, e.g. `ETH`; set `native: null` to not accept the native coin.'),
  tokens: z
    .array(tokenSchema)
    .default([])
    .describe(
      'Token contracts accepted on this chain; for a known chain, symbols of its tokens (`["USDC"]`) or contracts, default: all of its tokens.',
    ),
  explorer_url: explorerUrlSchema
    .optional()
    .describe('Block explorer for links to transactions: https (http only on a loopback host).'),
  start_block: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe("Block to start scanning from on first start; default: the chain's head at first start."),
  max_block_range: z
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(500)
    .describe('Blocks per log query while catching up.'),
  http_api_url: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe(
      "TRON only: the node's HTTP API (`https://api.trongrid.io`, `http://node:8090`), read for the solidified head (`/walletsolidity/getnowblock`; without it the JSON-RPC `finalized` tag is used), what transactions burned, and whether a transfer is TRX or a TRC-10 token (`gettransactionbyid`: the JSON-RPC shows both alike). Required on a chain that takes TRX (`native` not null): without it a TRC-10 token sent to a deposit address would count as TRX.",
    ),
  finality: z
    .enum(['solidified', 'confirmations'])
    .optional()
    .describe(
      'TRON only: `solidified` (default) counts a transfer as paid once its block is solidified and has `confirmations`; `confirmations` counts the confirmations alone.',
    ),
  deposit_mode: z
    .enum(['xpub', 'forwarder'])
    .default('xpub')
    .describe(
      "Where buyers pay: `xpub`, a child address of the merchant's xpub (swept by the merchant's own wallet, or with `sweep --export`); `forwarder`, the CREATE2 address of a keyless forwarder that only ever sends to `treasury_address`, swept by the server's relayer (docs/sweeps.md).",
    ),
  treasury_address: addressSchema
    .optional()
    .describe(
      'Forwarder mode: where every deposit address sends its money (a Safe or a hardware wallet); part of each deposit address, so never change it while deposits are unswept. Required in forwarder mode. TRON: the `T…` address that `sweep --export` sends to and `payouts export-tron` pays from (docs/treasury.md).',
    ),
  forwarder_factory: evmAddressSchema
    .optional()
    .describe(
      'Forwarder mode: the ForwarderFactory contract; default: its deterministic address (the same on every chain), deployed by the first sweep if absent.',
    ),
  sweep_batch_size: z
    .number()
    .int()
    .min(1)
    .max(200)
    .default(50)
    .describe('Forwarder mode: deposit addresses swept per transaction at most.'),
  sweep: z
    .record(z.string().regex(/^[A-Za-z0-9.]{1,16}$/), sweepPolicySchema)
    .default({})
    .describe(
      'Forwarder mode: sweep policy per asset symbol (`USDC`, `ETH`: threshold, interval_s, max_gas_price_gwei); an asset not listed is swept hourly at any balance without a gas cap.',
    ),
});

/**
 * The rules that tie a chain's fields to its family: an EVM chain's id is its positive EIP-155 id;
 * a UTXO chain has none, so its database number is negative (it can never meet an EIP-155 id), it
 * has its own account key and no token contracts.
 */
function checkFamilyFields(chain: z.infer<typeof chainFields>, ctx: z.RefinementCtx): void {
  if (chain.family === 'utxo') {
    if (chain.id > 0)
      ctx.addIssue({
        code: 'custom',
        path: ['id'],
        message: 'a UTXO chain has no EIP-155 id: give a negative number (the database key of this chain)',
      });
    if (!chain.utxo_network)
      ctx.addIssue({
        code: 'custom',
        path: ['utxo_network'],
        message: `required for a UTXO chain that is not a known one (one of ${UTXO_NETWORK_NAMES.join(', ')})`,
      });
    if (!chain.xpub)
      ctx.addIssue({
        code: 'custom',
        path: ['xpub'],
        message: "required for a UTXO chain: the account's extended public key (zpub/xpub/tpub, Ltub/Mtub)",
      });
    else if (chain.utxo_network) {
      try {
        parseUtxoAccountKey(chain.xpub, UTXO_NETWORKS[chain.utxo_network], chain.address_type);
      } catch (error) {
        ctx.addIssue({ code: 'custom', path: ['xpub'], message: (error as Error).message });
      }
    }
    if (chain.tokens.length)
      ctx.addIssue({ code: 'custom', path: ['tokens'], message: 'a UTXO chain has no token contracts' });
  } else {
    if (chain.xpub) {
      try {
        parseXpub(chain.xpub);
      } catch (error) {
        ctx.addIssue({ code: 'custom', path: ['xpub'], message: (error as Error).message });
      }
    }
  }
  if (chain.family !== 'utxo' && chain.id < 0) {
    ctx.addIssue({ code: 'custom', path: ['id'], message: `an ${chain.family} chain's id is positive` });
  }
  if (chain.family === 'tron') {
    if (!chain.xpub)
      ctx.addIssue({
        code: 'custom',
        path: ['xpub'],
        message: "required for a TRON chain: the account's extended public key of m/44'/195'/0'",
      });
    if (chain.treasury_address !== undefined && !chain.treasury_address.startsWith('T'))
      ctx.addIssue({
        code: 'custom',
        path: ['treasury_address'],
        message: 'a TRON chain takes a T… address (the 0x… spelling is an EVM address)',
      });
    // java-tron's JSON-RPC lists a TRC-10 transfer (a token anyone can issue) with its amount as
    // `value`, like TRX: only the HTTP API's gettransactionbyid tells them apart.
    if (chain.native && !chain.http_api_url)
      ctx.addIssue({
        code: 'custom',
        path: ['http_api_url'],
        message:
          'required on a TRON chain that takes TRX: without the HTTP API a TRC-10 token sent to a deposit address would count as TRX (or set "native": null to take tokens only)',
      });
    // java-tron answers eth_getLogs for at most 5 000 blocks (node.jsonrpc.maxBlockRange).
    if (chain.max_block_range > 5_000)
      ctx.addIssue({
        code: 'custom',
        path: ['max_block_range'],
        message: 'at most 5000 on a TRON chain (java-tron refuses longer log queries)',
      });
  } else {
    if (chain.treasury_address?.startsWith('T'))
      ctx.addIssue({
        code: 'custom',
        path: ['treasury_address'],
        message: 'a T… address is a TRON address; this chain takes a 0x… address',
      });
    for (const field of ['http_api_url', 'finality'] as const)
      if (chain[field] !== undefined)
        ctx.addIssue({ code: 'custom', path: [field], message: 'only for a TRON chain (family "tron")' });
  }
  if (chain.family !== 'evm' && chain.deposit_mode === 'forwarder')
    ctx.addIssue({
      code: 'custom',
      path: ['deposit_mode'],
      message: 'forwarder deposit addresses exist on EVM chains only (CREATE2); use "xpub" here',
    });
  chain.tokens.forEach((token, index) => {
    const tron = token.address.startsWith('T');
    if (chain.family !== 'utxo' && tron !== (chain.family === 'tron'))
      ctx.addIssue({
        code: 'custom',
        path: ['tokens', index, 'address'],
        message: tron
          ? 'a T… address is a TRON contract; this chain is EVM'
          : 'a TRON chain takes T… addresses',
      });
  });
}

/** One chain, its fields checked against its family. */
const chainSchema = chainFields.superRefine(checkFamilyFields);

/**
 * Fills a chain entry whose `key` names a known chain (`src/server/chain/known-chains.ts`) with the
 * registry's id, name, native coin, explorer, confirmations and tokens, keeping whatever the entry
 * gives itself; token symbols in `tokens` pick the registry's contracts. Other entries pass unchanged,
 * so they must spell everything out as before.
 */
function withKnownChainDefaults(input: unknown, ctx: z.RefinementCtx): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  const entry = input as Record<string, unknown>;
  const known = typeof entry.key === 'string' ? findKnownChain(entry.key) : undefined;
  const tokens: unknown[] = Array.isArray(entry.tokens) ? entry.tokens : [];
  if (!known) {
    tokens.forEach((token, index) => {
      if (typeof token === 'string')
        ctx.addIssue({
          code: 'custom',
          path: ['tokens', index],
          message: `"${token}" can only pick a token of a known chain; give { symbol, address, decimals }`,
        });
    });
    return input;
  }
  if (entry.id !== undefined && entry.id !== known.id) {
    ctx.addIssue({
      code: 'custom',
      path: ['id'],
      message: `${JSON.stringify(entry.id)} contradicts the known chain "${known.key}" (${known.name}, id ${known.id}); leave id out, or use another key for another chain`,
    });
    return input;
  }
  const fromRegistry = (token: KnownToken) => ({
    symbol: token.symbol,
    address: token.address,
    decimals: token.decimals,
    peg: token.peg,
  });
  const pick = (symbol: string, index: number) => {
    const token = known.tokens.find((candidate) => candidate.symbol === symbol.toUpperCase());
    if (token) return fromRegistry(token);
    const available = known.tokens.map((candidate) => candidate.symbol).join(', ') || 'none';
    ctx.addIssue({
      code: 'custom',
      path: ['tokens', index],
      message: `"${symbol}" is not a known token on ${known.key} (known: ${available}); give { symbol, address, decimals } to add it`,
    });
    return symbol;
  };
  // A field set to `undefined` in code counts as left out, as it would in JSON.
  const given = Object.fromEntries(Object.entries(entry).filter(([, value]) => value !== undefined));
  return {
    family: known.family,
    ...(known.utxo_network ? { utxo_network: known.utxo_network } : {}),
    id: known.id,
    name: known.name,
    native: known.native,
    ...(known.explorer_url ? { explorer_url: known.explorer_url } : {}),
    ...(known.http_api_url ? { http_api_url: known.http_api_url } : {}),
    confirmations: known.confirmations,
    tokens: known.tokens.map(fromRegistry),
    ...given,
    ...(Array.isArray(entry.tokens)
      ? { tokens: tokens.map((token, index) => (typeof token === 'string' ? pick(token, index) : token)) }
      : {}),
  };
}

/** A token as written in the configuration. */
type TokenInput = z.input<typeof tokenSchema>;
type FullChainInput = z.input<typeof chainFields>;
/**
 * A chain as written in the configuration. For a known chain `key` and `rpc_url` are enough; for
 * any other chain `id`, `name` and `confirmations` are required too.
 */
export type ChainInput = Omit<FullChainInput, 'id' | 'name' | 'confirmations' | 'tokens'> &
  Partial<Pick<FullChainInput, 'id' | 'name' | 'confirmations'>> & {
    /** Token contracts, or symbols of the known chain's tokens; default: all of the known chain's. */
    tokens?: (string | TokenInput)[];
  };

/** How webhooks are delivered (README → Webhooks). Every field has a default. */
const webhooksSchema = z
  .strictObject({
    timeout_ms: z
      .number()
      .int()
      .min(100)
      .max(60_000)
      .default(10_000)
      .describe('An attempt that has no answer after this long fails (ms).'),
    retry_schedule: z
      .array(
        z
          .number()
          .min(0)
          .max(7 * 24 * 3600),
      )
      .max(50)
      .default([...DEFAULT_RETRY_SCHEDULE])
      .describe('Seconds to wait after each failed attempt; when used up the delivery is marked failed.'),
    jitter: z
      .number()
      .min(0)
      .max(1)
      .default(0.2)
      .describe('Each retry delay is lengthened by a random share of up to this much (0.2 = up to 20 %).'),
    secret_overlap: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 3600)
      .default(24 * 3600)
      .describe(
        'Seconds the previous secret keeps signing after a rotation, unless the rotation says otherwise.',
      ),
    concurrency: z
      .number()
      .int()
      .min(1)
      .max(256)
      .default(8)
      .describe('Attempts in flight at once per server instance.'),
    poll_interval_ms: z
      .number()
      .int()
      .min(10)
      .max(60_000)
      .default(1_000)
      .describe(
        'How often the worker looks for due deliveries (ms); it also wakes when this instance queues one.',
      ),
    lease_ms: z
      .number()
      .int()
      .min(500)
      .max(3_600_000)
      .default(60_000)
      .describe(
        'How long a claimed delivery is reserved for the instance sending it (ms). If that instance dies mid-attempt, the delivery is due again when the lease runs out; it must outlast `timeout_ms`.',
      ),
    allow_private_test_endpoints: z
      .boolean()
      .default(true)
      .describe(
        "Test-mode endpoints may be loopback or private addresses (127.0.0.1, 10.x, fd00::…), as the demo's and a developer's local receivers are. Link-local (cloud metadata) and the other special ranges stay refused. Set `false` where test keys are held by people who must not reach the server's network.",
      ),
    allow_private_live_endpoints: z
      .boolean()
      .default(false)
      .describe(
        'Live-mode endpoints may be loopback or private addresses: only for a server whose merchant system is on its private network and whose live keys are trusted with that network. Off by default: a live webhook goes to a public address.',
      ),
  })
  .refine((w) => w.lease_ms >= w.timeout_ms + 250, {
    path: ['lease_ms'],
    message: 'must be at least timeout_ms + 250, or a slow attempt would be sent twice at once',
  });

/** Requests per `window_ms` for one caller of one kind; `0` turns that limit off. */
const rateSchema = z.number().int().min(0).max(1_000_000);

/**
 * Limits against abuse (docs/operations.md → Limits). Every field has a default; each limit can be
 * turned off. All counters live in this process's memory: with several instances behind a load
 * balancer each counts its own share.
 */
const limitsSchema = z
  .strictObject({
    rate_limits: z
      .strictObject({
        enabled: z.boolean().default(true).describe('Whether rate limits apply.'),
        window_ms: z
          .number()
          .int()
          .min(1_000)
          .max(3_600_000)
          .default(60_000)
          .describe('The window the limits count in, in ms.'),
        merchant: rateSchema.default(1_200).describe("Per secret key: the merchant's server."),
        client: rateSchema
          .default(120)
          .describe("Per session: one buyer's page (session reads, method choice, event-stream reconnects)."),
        public: rateSchema
          .default(300)
          .describe('Per IP address: the hosted checkout page, its scripts and the OpenAPI document.'),
        auth_failures: rateSchema
          .default(30)
          .describe(
            'Per IP address: answers 401 (wrong keys, wrong client secrets); beyond, every request of that address answers 429.',
          ),
      })
      .prefault({})
      .describe(
        "Requests per caller per `window_ms`, answered 429 `rate_limited` with `Retry-After` beyond. A caller is the secret key (its id) on the merchant's routes, the session on its buyer's routes (client secret), the client IP address on the public ones.",
      ),
    trust_proxy: z
      .union([z.boolean(), z.number().int().min(1).max(10), z.string().min(1)])
      .default(false)
      .describe(
        "Which proxies to believe about the client's address (`X-Forwarded-For`), as Fastify's `trustProxy`: `false` (the socket's address), `true` (any), a hop count, or addresses/CIDRs separated by commas. Set it behind a load balancer, or every buyer shares the proxy's limit.",
      ),
    body_limit_bytes: z
      .number()
      .int()
      .min(1_024)
      .max(10 * 1024 * 1024)
      .default(64 * 1024)
      .describe('Largest request body, in bytes, for routes that take a large one (session creation).'),
    small_body_limit_bytes: z
      .number()
      .int()
      .min(256)
      .max(1024 * 1024)
      .default(8 * 1024)
      .describe(
        'Largest request body, in bytes, for routes whose bodies are small (cancel, choose a method, webhook endpoints, …).',
      ),
    headers_timeout_ms: z
      .number()
      .int()
      .min(1_000)
      .max(600_000)
      .default(10_000)
      .describe(
        "Time for a request's headers to arrive, in ms; a slower client gets 408 and its connection closed.",
      ),
    request_timeout_ms: z
      .number()
      .int()
      .min(1_000)
      .max(3_600_000)
      .default(30_000)
      .describe(
        'Time for a whole request (headers and body) to arrive, in ms. Event streams are not cut: this bounds receiving the request, not sending the answer.',
      ),
    keep_alive_timeout_ms: z
      .number()
      .int()
      .min(100)
      .max(600_000)
      .default(5_000)
      .describe(
        "How long an idle kept-alive connection stays open, in ms. Behind a load balancer, set it above the balancer's idle timeout (AWS ALB: 60 s), or the balancer may reuse a connection just closed.",
      ),
    max_connections: z
      .number()
      .int()
      .min(0)
      .max(1_000_000)
      .default(2_048)
      .describe(
        'Open TCP connections at once, event streams included; beyond, new ones are closed at once. `0`: no cap.',
      ),
    max_streams_per_session: z
      .number()
      .int()
      .min(1)
      .max(1_000)
      .default(4)
      .describe('Event streams open at once for one session; beyond, 429 `rate_limited`.'),
    max_streams: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(1_000)
      .describe('Event streams open at once in this process; beyond, 503 `overloaded`.'),
    load_shedding: z
      .strictObject({
        enabled: z.boolean().default(true).describe('Whether requests are shed under load.'),
        max_event_loop_delay_ms: z
          .number()
          .int()
          .min(1)
          .max(60_000)
          .default(1_000)
          .describe('Mean event-loop delay, in ms, above which requests are shed.'),
        max_event_loop_utilization: z
          .number()
          .min(0.1)
          .max(1)
          .default(1)
          .describe(
            'Event-loop utilisation (0–1) over a sample above which requests are shed; `1`, the default, turns this check off: a busy process with an embedded database (PGlite) is often near 1 while answering well, and the delay is what callers feel.',
          ),
        sample_interval_ms: z
          .number()
          .int()
          .min(10)
          .max(60_000)
          .default(1_000)
          .describe('How often the event loop is measured, in ms.'),
        retry_after_seconds: z
          .number()
          .int()
          .min(1)
          .max(3_600)
          .default(5)
          .describe('The `Retry-After` of a shed request, in seconds.'),
      })
      .prefault({})
      .describe('Load shedding: 503 `overloaded` with `Retry-After` while the event loop is saturated.'),
  })
  .refine((l) => l.headers_timeout_ms <= l.request_timeout_ms, {
    path: ['headers_timeout_ms'],
    message: 'must be at most request_timeout_ms (Node refuses otherwise)',
  });

/** Base URL of a market-data API: https, or http for a local fixture server in tests. */
const sourceUrlSchema = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://api.coinbase.com' })
  .transform((value) => value.replace(/\/+$/, ''));

/** Where prices come from and how they are locked; see docs/api.md → Pricing. */
const pricingSchema = z.strictObject({
  sources: z
    .array(z.enum(['static', 'coinbase', 'kraken', 'binance', 'coingecko']))
    .min(1)
    .default(['static'])
    .describe(
      'Sources of crypto prices in US dollars, asked together; their median is used. `static` reads `rates` (development, tests, prices set by hand); `coinbase`, `kraken`, `binance` and `coingecko` are the public market-data APIs. Default `["static"]`.',
    ),
  fiat_sources: z
    .array(z.enum(['static', 'frankfurter']))
    .min(1)
    .default(['static'])
    .describe(
      'Sources of fiat crosses (US dollars in EUR, JPY, …): `static` reads `fx_rates`; `frankfurter` is the ECB\'s daily reference rates. Default `["static"]`.',
    ),
  urls: z
    .strictObject({
      coinbase: sourceUrlSchema.default('https://api.coinbase.com').describe('Base URL of the Coinbase API.'),
      kraken: sourceUrlSchema.default('https://api.kraken.com').describe('Base URL of the Kraken API.'),
      binance: sourceUrlSchema.default('https://api.binance.com').describe('Base URL of the Binance API.'),
      coingecko: sourceUrlSchema
        .default('https://api.coingecko.com')
        .describe('Base URL of the CoinGecko API.'),
      frankfurter: sourceUrlSchema
        .default('https://api.frankfurter.dev/v1')
        .describe('Base URL of the Frankfurter (ECB reference rates) API.'),
    })
    .prefault({})
    .describe('Base URLs of the APIs (change them for a mirror or a test server).'),
  coingecko_api_key: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('CoinGecko demo API key, sent as `x-cg-demo-api-key`; a secret, never logged. Optional.'),
  timeout_ms: z
    .number()
    .int()
    .min(50)
    .max(60_000)
    .default(2_000)
    .describe(
      'How long one source may take to answer, in ms, before the others are used without it. Default 2 000.',
    ),
  max_age_s: z
    .number()
    .int()
    .min(1)
    .max(86_400)
    .default(300)
    .describe('Crypto prices older than this, in seconds, are refused. Default 300.'),
  fiat_max_age_s: z
    .number()
    .int()
    .min(60)
    .max(30 * 86_400)
    .default(4 * 86_400)
    .describe(
      "Fiat reference rates older than this, in seconds, are refused. Default 4 days: the ECB publishes on banking days only, so Monday's rate must still count on a long weekend.",
    ),
  max_deviation_percent: decimalSchema
    .default('2')
    .describe(
      'Quotes further than this many percent from the sources\' median are dropped as outliers. Default `"2"`.',
    ),
  min_sources: z
    .number()
    .int()
    .min(1)
    .max(5)
    .default(1)
    .describe('Fewest sources that must agree on a price. Default 1.'),
  cache_s: z
    .number()
    .int()
    .min(0)
    .max(3_600)
    .default(30)
    .describe(
      'How long an aggregated price is reused before the sources are asked again, in seconds. Default 30.',
    ),
  lock_s: z
    .number()
    .int()
    .min(60)
    .default(900)
    .describe(
      "How long a rate locks when the buyer chooses a method, in seconds (never past the session's expiry). When it ends with nothing received, the next view requotes. Default 900 (15 minutes).",
    ),
  depeg_band_percent: decimalSchema
    .optional()
    .describe(
      'Depeg guard: when set (a percent, e.g. `"2"`), stablecoins are priced from the market too and refused (`rate_unavailable`) while they trade further than this from their peg. Default: off, stablecoins count at their peg.',
    ),
  spread_percent: z
    .string()
    .regex(/^\d{1,2}(\.\d{1,4})?$/, 'must be a percentage below 100 such as "0.5"')
    .default('0')
    .describe(
      'Percent taken off the market rate, so the buyer pays the exchange spread or a fee (`spread_paid_by: "buyer"`); with `"merchant"` the rate is the market\'s. Default `"0"`.',
    ),
  spread_paid_by: z
    .enum(['buyer', 'merchant'])
    .default('merchant')
    .describe(
      'Who bears `spread_percent`: `buyer` (a lower rate) or `merchant` (the market rate). Default `merchant`.',
    ),
  allow_private_sources: z
    .boolean()
    .default(false)
    .describe(
      "Lets sources live on loopback or private addresses (tests with a local fixture server, an internal mirror). Off by default: a source URL cannot be aimed at the server's own network.",
    ),
});

/** When `GET /ready` answers 503 (docs/operations.md → Health and readiness). */
const readySchema = z
  .strictObject({
    chain_stale_ms: z
      .number()
      .int()
      .min(100)
      .max(86_400_000)
      .optional()
      .describe(
        'A chain is stale when its watcher has not reached its node for this long, in ms. Default: per chain, ten polling intervals and at least 60 s (the watcher backs off up to 30 s between tries).',
      ),
    chain_head_max_age_ms: z
      .number()
      .int()
      .min(1_000)
      .max(86_400_000)
      .optional()
      .describe(
        "Also stale when the chain's head has not moved for this long, in ms (a node that answers but no longer syncs). Off by default: a quiet test chain (anvil) mines no block without a transaction.",
      ),
    webhook_backlog_max: z
      .number()
      .int()
      .min(0)
      .max(100_000_000)
      .default(1_000)
      .describe('Webhook deliveries due and not yet delivered above which the instance is not ready.'),
  })
  .prefault({});

/**
 * Prometheus metrics at `GET /metrics` (docs/operations.md → Metrics and alerts): off unless `port`
 * or `token` is set, and never on the public API without the token.
 */
const metricsSchema = z
  .strictObject({
    port: z
      .number()
      .int()
      .min(0)
      .max(65_535)
      .optional()
      .describe(
        'Serve /metrics on this port of its own (on metrics.host), apart from the API; 0 picks a free port. ' +
          'Without it, /metrics is served on the main port only when metrics.token is set.',
      ),
    host: z
      .string()
      .min(1)
      .default('127.0.0.1')
      .describe(
        'Address the metrics port listens on; default loopback. Bind 0.0.0.0 only on a network your scraper alone reaches, or set metrics.token too.',
      ),
    token: z
      .string()
      .regex(
        /^[\x21-\x7e]{32,256}$/,
        'must be 32 to 256 printable characters, no spaces (openssl rand -hex 32)',
      )
      .optional()
      .describe(
        'Bearer token a scraper must send (Authorization: Bearer <token>), compared in constant time. ' +
          'Set alone, /metrics is served on the main port behind it; with metrics.port, that port requires it too.',
      ),
  })
  .prefault({})
  .describe('Prometheus metrics at GET /metrics: off unless metrics.port or metrics.token is set.');

/** Payouts (docs/treasury.md): when a payout waits for a second key's approval. */
const payoutsSchema = z
  .strictObject({
    review_threshold: decimalSchema
      .default('500')
      .describe(
        'A payout worth this much or more in payouts.currency (at the rate when it is requested) waits in needs_approval until a different key with the approve scope approves it; below it, it is approved at once. A payout that cannot be priced always waits. Default 500.',
      ),
    currency: z
      .string()
      .regex(/^[A-Z][A-Z0-9.]{1,15}$/, 'must be a currency code such as "USD"')
      .default('USD')
      .describe(
        'The currency review_threshold is in, priced with the rate sources sessions use. Default USD.',
      ),
    key: z
      .string()
      .regex(/^0x[0-9a-fA-F]{64}$/, 'must be a 0x-prefixed 32-byte private key')
      .optional()
      .describe(
        'Opt-in hot payout key (env `CC_PAYOUT_KEY`): the instance that leads a chain sends its approved ERC-20 payouts from this key, within payouts.daily_limit. RISK: this key CAN spend everything its address holds; keep only a float there (a day or two of payouts), refill it from the treasury, and keep the treasury itself behind a Safe or hardware wallet. Unset: payouts are only exported unsigned.',
      ),
    daily_limit: z
      .record(z.string(), decimalSchema)
      .default({})
      .describe(
        'Most the payout key may send per asset in any rolling 24 hours, as a decimal string in the asset\'s units, by asset id: `{ "usdc@base": "5000" }`. An asset without a limit is never sent by the key. A payout that would go over waits (approved, with a waiting_reason) until it fits.',
      ),
  })
  .prefault({})
  .describe(
    'Payouts: the review threshold and its currency, and the opt-in payout key with its daily limit.',
  );

/** A 256-bit key, as 64 hex digits or base64 of 32 bytes. */
const encryptionKeySchema = z
  .string()
  .refine(
    (value) => parseEncryptionKey(value) !== null,
    'must be 256 bits: 64 hex digits, or base64 of 32 bytes (openssl rand -base64 32)',
  );

/**
 * An http(s) base URL without query, fragment or credentials; trailing slashes are dropped so that
 * `${public_url}/checkout/…` never has two.
 */
const publicUrlSchema = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://pay.shop.example' })
  .refine((value) => {
    // zod runs this after a failed URL check too: that one has reported an unparsable value already.
    if (!URL.canParse(value)) return true;
    const url = new URL(value);
    return !url.search && !url.hash && !url.username && !url.password;
  }, 'must have no query (?…), fragment (#…) or user:password@')
  .transform((value) => value.replace(/\/+$/, ''));

/** The backend's whole configuration, validated at start-up. */
export const configSchema = z.strictObject({
  host: z
    .string()
    .default('127.0.0.1')
    .describe('Address to listen on; `0.0.0.0` for every interface (in a container, behind a proxy).'),
  port: z
    .number()
    .int()
    .min(0)
    .max(65_535)
    .default(8787)
    .describe('Port to listen on; `0` lets the system choose.'),
  database_url: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres://')
    .optional()
    .describe('`postgres://…` to use PostgreSQL; otherwise PGlite stores its files in `data_dir`.'),
  data_dir: z
    .string()
    .default('./.data')
    .describe(
      "PGlite's folder when `database_url` is not set; `memory://` keeps it in memory (tests, demos).",
    ),
  encryption_key: encryptionKeySchema
    .optional()
    .describe(
      'The 256-bit key (64 hex digits, or base64: `openssl rand -base64 32`) that seals client secrets and webhook signing secrets in the database (AES-256-GCM), so that a copy of the database alone reveals none. Set it in production (`CC_ENCRYPTION_KEY`), the same on every instance. Without it the key is read from `encryption_key_file`, made there on first start.',
    ),
  previous_encryption_keys: z
    .array(encryptionKeySchema)
    .max(10)
    .default([])
    .describe(
      'Keys used before a rotation: they open older rows, which start-up re-seals with `encryption_key`.',
    ),
  encryption_key_file: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Where the key is kept when `encryption_key` is not set (made 0600 with a random key on first start). Default for PGlite in a folder: `<data_dir>.key`, beside the folder and not in it, so that a copy of the folder holds no key. An in-memory PGlite without it uses a key that dies with the process. With `database_url` (PostgreSQL) there is no default: set this or `encryption_key`, or the server refuses to start.',
    ),
  secret_keys: z
    .array(
      z
        .string()
        .refine(
          (value) => SECRET_KEY_PATTERN.test(value) || HASHED_KEY_PATTERN.test(value),
          'must look like sk_test_<24+ letters/digits>, sk_live_<…> or sha256:<test|live>:<64 hex digits>',
        ),
    )
    .default([])
    .describe(
      'Secret API keys (`sk_test_…` / `sk_live_…`), or their SHA-256 written `sha256:<test|live>:<hex>` so that the configuration holds no usable key; several at once allow rotation without downtime. Optional: keys made with `crypto-checkout-server keys create` are kept, hashed, in the database.',
    ),
  xpub: z
    .string()
    .superRefine((value, ctx) => {
      try {
        parseXpub(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    })
    .describe('Extended public key whose non-hardened children are the deposit addresses. Never an xprv.'),
  chains: z
    .array(z.preprocess(withKnownChainDefaults, chainSchema))
    .min(1, 'configure at least one chain')
    .describe(
      'The chains to accept payments on (EVM, and UTXO chains with their own `xpub`). A known chain (`ethereum`, `base`, `litecoin`, …) needs only `key` and `rpc_url` (and `xpub` when it is not EVM).',
    ),
  treasury: z
    .strictObject({
      relayer_key: z
        .string()
        .regex(/^0x[0-9a-fA-F]{64}$/, 'must be a 0x-prefixed 32-byte private key')
        .optional()
        .describe(
          "Private key of the relayer that pays gas for forwarder sweeps (env `CC_RELAYER_KEY`). It has no authority over funds: the contracts send only to each chain's treasury_address, so a leaked key can only waste its own gas. Fund it with a little of the native coin only.",
        ),
    })
    .prefault({})
    .describe('Treasury: the relayer key for forwarder-mode sweeps (docs/sweeps.md).'),
  rates: z
    .record(z.string(), decimalSchema)
    .default({})
    .describe(
      'US-dollar price of one whole coin for the `static` source, by ticker, e.g. `{ "ETH": "3000.00" }`.',
    ),
  fx_rates: z
    .record(z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code'), decimalSchema)
    .default({})
    .describe(
      'Units of a fiat currency per US dollar for the `static` fiat source, e.g. `{ "EUR": "0.92" }`: sessions in that currency can then be priced without a live FX source.',
    ),
  pricing: pricingSchema
    .prefault({})
    .describe('Live exchange rates, locking and requoting (docs/api.md → Pricing).'),
  cors_origins: z
    .array(z.string())
    .default(['*'])
    .describe('Origins allowed to call the buyer endpoints from a browser; `["*"]` allows any.'),
  default_expires_in: z.number().int().min(60).default(1800).describe('Default session lifetime in seconds.'),
  monitoring_window: z
    .number()
    .int()
    .min(0)
    .default(24 * 3600)
    .describe(
      'How long after expiry deposit addresses stay watched, in seconds (late payments are recorded).',
    ),
  underpayment_tolerance_percent: z
    .string()
    .regex(/^(100|\d{1,2})(\.\d{1,4})?$/, 'must be a percentage from "0" to "100" such as "0.5"')
    .refine((value) => Number(value) <= 100, 'must be at most 100')
    .default('0')
    .describe(
      'Share of the amount due a buyer may fall short by and still count as paid, in percent (a decimal string, e.g. `"0.5"`): exchanges deduct their withdrawal fee from the amount sent. Locked into each session when the buyer chooses a method. Default `"0"`.',
    ),
  underpayment_tolerance_fixed: z
    .record(
      z.string().regex(/^[A-Z][A-Z0-9.]{1,15}$/, 'must be a currency code such as "EUR"'),
      decimalSchema,
    )
    .default({})
    .describe(
      'A fixed amount, per session currency, a buyer may fall short by and still count as paid, e.g. `{ "EUR": "0.50", "USD": "0.50" }`: converted into token units at the session\'s locked rate (rounded down). With `underpayment_tolerance_percent` too, the larger allowance applies.',
    ),
  accept_late_payments: z
    .boolean()
    .default(false)
    .describe(
      'Whether a full payment that arrives after expiry (within the monitoring window) fulfils the session (`paid`) instead of waiting for review (`paid_late`). Default `false`.',
    ),
  walletconnect_project_id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{8,64}$/, 'must be the project id from the WalletConnect (Reown) dashboard')
    .optional()
    .describe(
      "WalletConnect (Reown) project id: the element then offers WalletConnect to buyers. Not a secret; it is sent to the browser in the session's buyer view. Optional.",
    ),
  log_level: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('How much the server logs (pino levels); logs are JSON lines on standard output.'),
  shutdown_timeout_ms: z
    .number()
    .int()
    .min(0)
    .max(600_000)
    .default(10_000)
    .describe(
      "How long a graceful shutdown (SIGTERM, SIGINT) may take, in ms: requests in flight, webhook attempts and the expiry sweep get this long to finish before they are cut off (an unanswered webhook attempt is handed back, due again at once). Default 10 s; keep it below your process manager's kill timeout (Kubernetes: `terminationGracePeriodSeconds`, 30 s by default).",
    ),
  webhooks: webhooksSchema
    .prefault({})
    .describe('How webhooks are delivered: timeouts, retries, concurrency, URL guard.'),
  limits: limitsSchema
    .prefault({})
    .describe('Rate limits, body limits, timeouts, connection and stream caps, load shedding.'),
  leadership_retry_ms: z
    .number()
    .int()
    .min(100)
    .max(600_000)
    .default(2_000)
    .describe(
      'With several instances on one PostgreSQL database: how often an instance that does not watch a chain tries to take it over (and a leader checks it still holds it), in ms. A killed leader is replaced within about this long plus one watcher tick. Default 2 s; ignored on PGlite.',
    ),
  ready: readySchema.describe('The bounds `GET /ready` checks.'),
  metrics: metricsSchema,
  payouts: payoutsSchema,
  public_url: publicUrlSchema
    .optional()
    .describe(
      "The backend's base URL as buyers reach it, e.g. `https://pay.shop.example` (a path is kept, for a proxy that serves the backend under one): sessions' `checkout_url` links are built on it. Default: the address the server listens on (`http://127.0.0.1:8787`), which only that machine can open, so set it in production. A trailing slash is dropped.",
    ),
  merchant_name: z
    .string()
    .trim()
    .min(1, 'must not be empty; leave it out for a page without a name')
    .max(100)
    // eslint-disable-next-line no-control-regex
    .regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters')
    .optional()
    .describe(
      'The name buyers see on the hosted checkout page ("Pay Acme Shop", "Return to Acme Shop") and at the top of the checkout. Default: none, and the page says "Complete your payment" and "Return to the merchant".',
    ),
  merchant_logo_url: explorerUrlSchema
    .optional()
    .describe(
      "A square logo (SVG or PNG, shown about 32 px high) at the top of the checkout, beside `merchant_name`: an https URL, or http on a loopback host for development. Buyers' browsers load it, so serve it from a host you trust. Default: none.",
    ),
});

/** The validated configuration. */
export type Config = z.infer<typeof configSchema>;
/** One configured chain. */
export type ChainConfig = Config['chains'][number];
/** How webhooks are delivered. */
export type WebhooksConfig = Config['webhooks'];
/** Limits against abuse. */
export type LimitsConfig = Config['limits'];
/** Where prices come from and how they lock. */
export type PricingConfig = Config['pricing'];
/** The bounds of `GET /ready`. */
export type ReadyConfig = Config['ready'];
/** Where and how `/metrics` is served. */
export type MetricsConfig = Config['metrics'];

/** Whether metrics are on: a port of their own or a token is configured. */
export function metricsEnabled(config: Pick<Config, 'metrics'>): boolean {
  return config.metrics.port !== undefined || config.metrics.token !== undefined;
}
/** The configuration as written in a file or passed in code, before defaults. */
export type ConfigInput = Omit<z.input<typeof configSchema>, 'chains'> & { chains: ChainInput[] };

/** Thrown when the configuration is invalid; the message lists every problem, one per line. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  /** One line per problem: key path, value, what is wrong, a hint. */
  readonly problems: string[];
  constructor(problems: string[], heading = 'invalid configuration') {
    super(`${heading}:\n${problems.map((line) => `  - ${line}`).join('\n')}`);
    this.problems = problems;
  }
}

/** The keys an object at `path` may have (array indexes skipped), for "did you mean" on an unknown key. */
function knownKeysAt(path: readonly PropertyKey[]): string[] {
  let node = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchemaNode;
  for (const part of path) {
    if (typeof part === 'number') node = node.items ?? node;
    else node = node.properties?.[String(part)] ?? node;
    node = node.anyOf?.find((option) => option.properties) ?? node;
  }
  return Object.keys(node.properties ?? {});
}

interface JsonSchemaNode {
  properties?: Record<string, JsonSchemaNode>;
  items?: JsonSchemaNode;
  anyOf?: JsonSchemaNode[];
}

/**
 * Validates a configuration object, throwing a {@link ConfigError} that names every bad field with
 * its value, the problem and a hint. `sources` names the environment variable each top-level key
 * came from, so that the message says which one holds the bad value.
 * @example const config = parseConfig({ secret_keys: [...], xpub: 'xpub…', chains: [...] })
 */
export function parseConfig(input: unknown, options: { sources?: ConfigSources } = {}): Config {
  const result = configSchema.safeParse(input, { reportInput: true });
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => describeIssue(issue, { ...options, knownKeys: knownKeysAt })),
    );
  }
  const config = result.data;
  const seen = new Map<string, number>();
  config.chains.forEach((chain, index) => {
    const first = seen.get(chain.key);
    if (first !== undefined)
      throw new ConfigError([
        `chains[${index}].key: "${chain.key}" is used twice (chains[${first}] has it too) — hint: each chain once; a second node of the same chain is not supported`,
      ]);
    seen.set(chain.key, index);
    if (chain.deposit_mode === 'forwarder' && !chain.treasury_address)
      throw new ConfigError([
        `chains[${index}].treasury_address: required when deposit_mode is "forwarder" — hint: the address of the merchant's Safe or hardware wallet that receives every sweep`,
      ]);
  });
  return config;
}

/** How an environment variable's text becomes a configuration value. */
type EnvKind = 'string' | 'number' | 'list' | 'json';

/**
 * The environment variables that override the file's keys: one table that the loader, the
 * generated docs/configuration.md and `init`'s template all read, so that they cannot disagree.
 */
export const CONFIG_ENV_VARS: readonly { key: keyof Config; variable: string; kind: EnvKind }[] = [
  { key: 'secret_keys', variable: 'CC_SECRET_KEYS', kind: 'list' },
  { key: 'xpub', variable: 'CC_XPUB', kind: 'string' },
  { key: 'database_url', variable: 'DATABASE_URL', kind: 'string' },
  { key: 'data_dir', variable: 'CC_DATA_DIR', kind: 'string' },
  { key: 'encryption_key', variable: 'CC_ENCRYPTION_KEY', kind: 'string' },
  { key: 'previous_encryption_keys', variable: 'CC_PREVIOUS_ENCRYPTION_KEYS', kind: 'list' },
  { key: 'encryption_key_file', variable: 'CC_ENCRYPTION_KEY_FILE', kind: 'string' },
  { key: 'port', variable: 'PORT', kind: 'number' },
  { key: 'host', variable: 'HOST', kind: 'string' },
  { key: 'cors_origins', variable: 'CC_CORS_ORIGINS', kind: 'list' },
  { key: 'chains', variable: 'CC_CHAINS', kind: 'json' },
  { key: 'treasury', variable: 'CC_TREASURY', kind: 'json' },
  { key: 'rates', variable: 'CC_RATES', kind: 'json' },
  { key: 'fx_rates', variable: 'CC_FX_RATES', kind: 'json' },
  { key: 'pricing', variable: 'CC_PRICING', kind: 'json' },
  { key: 'log_level', variable: 'LOG_LEVEL', kind: 'string' },
  { key: 'walletconnect_project_id', variable: 'CC_WALLETCONNECT_PROJECT_ID', kind: 'string' },
  { key: 'webhooks', variable: 'CC_WEBHOOKS', kind: 'json' },
  { key: 'public_url', variable: 'CC_PUBLIC_URL', kind: 'string' },
  { key: 'merchant_name', variable: 'CC_MERCHANT_NAME', kind: 'string' },
  { key: 'merchant_logo_url', variable: 'CC_MERCHANT_LOGO_URL', kind: 'string' },
  { key: 'shutdown_timeout_ms', variable: 'CC_SHUTDOWN_TIMEOUT_MS', kind: 'number' },
  { key: 'leadership_retry_ms', variable: 'CC_LEADERSHIP_RETRY_MS', kind: 'number' },
  { key: 'limits', variable: 'CC_LIMITS', kind: 'json' },
  { key: 'ready', variable: 'CC_READY', kind: 'json' },
  { key: 'metrics', variable: 'CC_METRICS', kind: 'json' },
  { key: 'payouts', variable: 'CC_PAYOUTS', kind: 'json' },
];

/**
 * The configuration as given, before validation: the file (`CC_CONFIG`, JSON with comments) with
 * the environment variables of {@link CONFIG_ENV_VARS} on top, and which variable set which key.
 * Throws a {@link ConfigError} for an unreadable file, a syntax error (with line and column) or a
 * variable whose JSON does not parse.
 */
export function readConfigInput(env: NodeJS.ProcessEnv = process.env): {
  input: Record<string, unknown>;
  sources: ConfigSources;
} {
  let file: Record<string, unknown> = {};
  if (env.CC_CONFIG) {
    let text: string;
    try {
      text = readFileSync(env.CC_CONFIG, 'utf8');
    } catch (error) {
      throw new ConfigError(
        [
          `${(error as Error).message} — hint: CC_CONFIG names the configuration file; make one with crypto-checkout-server init`,
        ],
        `cannot read CC_CONFIG=${env.CC_CONFIG}`,
      );
    }
    const parsed = parseConfigText(text, env.CC_CONFIG);
    if ('problems' in parsed)
      throw new ConfigError(parsed.problems, `CC_CONFIG=${env.CC_CONFIG} is not valid JSON`);
    file = parsed.value;
  }
  const list = (value: string) =>
    value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  const overlay: Record<string, unknown> = {};
  const sources: ConfigSources = {};
  for (const { key, variable, kind } of CONFIG_ENV_VARS) {
    const text = env[variable];
    if (!text) continue;
    sources[key] = variable;
    if (kind === 'list') overlay[key] = list(text);
    // A number that does not read as one stays text, so that the error quotes what was given.
    else if (kind === 'number') overlay[key] = /^\s*-?\d+(\.\d+)?\s*$/.test(text) ? Number(text) : text;
    else if (kind === 'json') {
      try {
        overlay[key] = JSON.parse(text);
      } catch (error) {
        throw new ConfigError([
          `${variable} must be valid JSON (${(error as Error).message}) — hint: it holds the JSON of "${key}", as in the file`,
        ]);
      }
    } else overlay[key] = text;
  }
  // The metrics token alone, so that it can come from a secret store apart from the rest of `metrics`.
  if (env.CC_METRICS_TOKEN) {
    const given = (overlay.metrics ?? file.metrics ?? {}) as Record<string, unknown>;
    overlay.metrics = { ...given, token: env.CC_METRICS_TOKEN };
    sources.metrics = 'CC_METRICS_TOKEN';
  }
  // The payout key alone, so that it can come from a secret store apart from the rest of `payouts`.
  if (env.CC_PAYOUT_KEY) {
    const given = (overlay.payouts ?? file.payouts ?? {}) as Record<string, unknown>;
    overlay.payouts = { ...given, key: env.CC_PAYOUT_KEY };
    sources.payouts = 'CC_PAYOUT_KEY';
  }
  // The relayer key alone, so that it can come from a secret store apart from the rest of `treasury`.
  if (env.CC_RELAYER_KEY) {
    const given = (overlay.treasury ?? file.treasury ?? {}) as Record<string, unknown>;
    overlay.treasury = { ...given, relayer_key: env.CC_RELAYER_KEY };
    sources.treasury = 'CC_RELAYER_KEY';
  }
  return { input: { ...file, ...overlay }, sources };
}

/**
 * Reads the configuration from an optional file (`CC_CONFIG`: JSON, comments allowed) overlaid with
 * the environment variables of {@link CONFIG_ENV_VARS}, e.g. `CC_XPUB`, `DATABASE_URL`, `PORT`,
 * `CC_CHAINS` (JSON array), `CC_SECRET_KEYS` (comma-separated). docs/configuration.md lists them all.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const { input, sources } = readConfigInput(env);
  return parseConfig(input, { sources });
}
