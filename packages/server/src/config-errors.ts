/**
 * Turns what is wrong with a configuration into lines an operator can act on: the key's path as it
 * is written (`chains[0].rpc_url`), the value (unless it is a secret), what is wrong with it, which
 * environment variable held it, and a hint — never a raw zod dump. Also reads a configuration file
 * as JSONC (comments and trailing commas allowed, plain JSON too) and says where a syntax error is.
 * @module
 */
import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser';
import type { z } from 'zod';
import { KNOWN_CHAINS } from './chain/known-chains.js';

/** Paths whose values are secrets: an error names the key, never the value. */
const SECRET_PATHS =
  /^(secret_keys|encryption_key|previous_encryption_keys|database_url|treasury\.relayer_key|payouts\.key)\b/;
/** An extended private key given where the xpub belongs: a spend key, never echoed. */
const PRIVATE_KEY = /^\s*[xtyzuv]prv/i;

/** Hints by path (indexes written `[]`); the first pattern that matches is used. */
const HINTS: [RegExp, string][] = [
  [
    /^xpub$/,
    "export the account's extended public key (xpub of m/44'/60'/0'/0) from your wallet; never an xprv; docs/xpub.md says how",
  ],
  [
    /^chains$/,
    `e.g. [{ "key": "base", "rpc_url": "https://…" }]; known keys: ${KNOWN_CHAINS.map((c) => c.key).join(', ')}`,
  ],
  [
    /^chains\[\]\.key$/,
    `a known chain (${KNOWN_CHAINS.map((c) => c.key).join(', ')}) or your own key with id, name and confirmations`,
  ],
  [
    /^chains\[\]\.rpc_url$/,
    "the node's JSON-RPC URL, e.g. https://mainnet.base.org or http://127.0.0.1:8545",
  ],
  [/^chains\[\]\.ws_url$/, 'a WebSocket URL such as wss://… ; leave it out to poll over rpc_url only'],
  [
    /^chains\[\]\.tokens\[\]\.address$/,
    'the contract address from the issuer or the explorer, 0x + 40 hex digits',
  ],
  [/^chains\[\]\.tokens/, 'a token is { "symbol": "USDC", "address": "0x…", "decimals": 6 }'],
  [/^chains\[\]\.explorer_url$/, 'e.g. https://basescan.org'],
  [
    /^public_url$/,
    'the https address buyers reach this server at, e.g. https://pay.shop.example (http only on localhost)',
  ],
  [/^database_url$/, 'postgres://user:password@host:5432/database; leave it out to use PGlite in data_dir'],
  [/^(previous_)?encryption_keys?(\[\])?$/, 'make a key with: openssl rand -base64 32'],
  [
    /^secret_keys/,
    'make keys with: crypto-checkout-server keys create --mode live (kept hashed in the database)',
  ],
  [/^cors_origins/, 'origins such as https://shop.example (scheme, host and port; no path)'],
  [/^port$/, 'a whole number from 0 to 65535'],
  [/^rates/, 'a decimal string per coin, e.g. { "ETH": "3000.00" }'],
  [/^walletconnect_project_id$/, 'the project id from the WalletConnect (Reown) dashboard, or leave it out'],
];

/** Where a configuration's top-level keys came from, when not from the file: the variable's name. */
export type ConfigSources = Record<string, string>;

/**
 * A path as written in the file: `chains[0].tokens[1].address`.
 * @example formatPath(['chains', 0, 'rpc_url']) // 'chains[0].rpc_url'
 */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else text += text ? `.${String(part)}` : String(part);
  }
  return text || '(the whole configuration)';
}

/** A value short enough to quote in one line. */
function shown(value: unknown): string | null {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) {
    const text = Number.isNaN(value) ? 'NaN' : JSON.stringify(value);
    return text.length > 64 ? `${text.slice(0, 60)}…"` : text;
  }
  return null;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'number' && Number.isNaN(value)) return 'not a number';
  const kind = typeof value;
  return kind === 'object' ? 'an object' : `a ${kind}`;
}

const EXPECTED: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'a string (in double quotes)',
  boolean: 'true or false',
  array: 'a list [ … ]',
  object: 'an object { … }',
};

/** Zod's own messages, as opposed to the schema's: those are rewritten here. */
const GENERIC = /^(Too (small|big)|Invalid|Unrecognized)/;

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

/** The problem with the value, in words, for one issue. */
function problemOf(issue: z.core.$ZodIssue, key: string): { text: string; quotesValue: boolean } {
  const message = issue.message;
  const input = (issue as { input?: unknown }).input;
  const custom = !GENERIC.test(message);
  switch (issue.code) {
    case 'invalid_type':
      if (input === undefined)
        return { text: message.startsWith('required') ? `is ${message}` : 'is required', quotesValue: false };
      return {
        text: `is ${kindOf(input)}; expected ${EXPECTED[issue.expected] ?? issue.expected}`,
        quotesValue: false,
      };
    case 'too_small':
    case 'too_big': {
      if (custom) break;
      const limit = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const below = issue.code === 'too_small';
      if (issue.origin === 'string')
        return {
          text:
            below && Number(limit) === 1
              ? 'is empty'
              : `is ${below ? 'shorter' : 'longer'} than ${limit} characters`,
          quotesValue: false,
        };
      if (issue.origin === 'array')
        return { text: `has ${below ? 'fewer' : 'more'} than ${limit} entries`, quotesValue: false };
      return { text: `is ${below ? 'below the minimum' : 'above the maximum'} ${limit}`, quotesValue: false };
    }
    case 'invalid_format':
      if (custom) break;
      if (issue.format === 'url')
        return { text: `is not ${key === 'ws_url' ? 'a ws(s)' : 'an http(s)'} URL`, quotesValue: false };
      return { text: `is not in the expected format (${issue.format})`, quotesValue: false };
    case 'invalid_value':
      return {
        text: `is not one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`,
        quotesValue: false,
      };
    case 'invalid_union':
      return { text: custom ? message : 'is none of the accepted forms', quotesValue: false };
    case 'unrecognized_keys':
      return {
        text: `has unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`,
        quotesValue: false,
      };
    default:
      break;
  }
  if (input === '') return { text: 'is empty', quotesValue: true };
  if (message.startsWith('not ')) return { text: `is ${message}`, quotesValue: false };
  if (message.startsWith('this is ')) return { text: message.slice('this '.length), quotesValue: false };
  return { text: message, quotesValue: input !== undefined && message.includes(JSON.stringify(input)) };
}

/**
 * One readable line for one zod issue, e.g.
 * `chains[0].rpc_url: "htp://x" is not an http(s) URL — hint: the node's JSON-RPC URL, …`.
 * `knownKeys` gives the keys an object may have, for "did you mean" on an unknown key.
 */
export function describeIssue(
  issue: z.core.$ZodIssue,
  options: { sources?: ConfigSources; knownKeys?: (path: readonly PropertyKey[]) => string[] } = {},
): string {
  const path = formatPath(issue.path);
  const pattern = issue.path.map((part) => (typeof part === 'number' ? '[]' : String(part))).join('.');
  const normalized = pattern.replace(/\.\[\]/g, '[]');
  const key = String(issue.path.at(-1) ?? '');
  const { text, quotesValue } = problemOf(issue, key);
  const input = (issue as { input?: unknown }).input;
  const secret = SECRET_PATHS.test(normalized) || (typeof input === 'string' && PRIVATE_KEY.test(input));
  const value = !secret && !quotesValue && input !== undefined ? shown(input) : null;
  const top = String(issue.path[0] ?? '');
  const variable = options.sources?.[top];
  let hint = HINTS.find(([re]) => re.test(normalized))?.[1];
  if (issue.code === 'unrecognized_keys' && options.knownKeys) {
    const known = options.knownKeys(issue.path);
    const guesses = issue.keys
      .map((unknown) => known.find((candidate) => distance(unknown, candidate) <= 2))
      .filter(Boolean);
    hint = guesses.length
      ? `did you mean ${guesses.map((g) => `"${g}"`).join(', ')}?`
      : `known keys here: ${known.join(', ')}`;
  }
  hint ??= `see docs/configuration.md#${top || 'configuration'}`;
  const parts = [
    `${path}:`,
    value,
    variable ? `(from ${variable})` : null,
    secret && input !== undefined ? '(value not shown: a secret)' : null,
    text,
  ].filter(Boolean);
  return `${parts.join(' ')} — hint: ${hint}`;
}

/** Human words for jsonc-parser's error codes. */
const SYNTAX: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'malformed number',
  PropertyNameExpected: 'a key in double quotes is expected',
  ValueExpected: 'a value is expected',
  ColonExpected: 'a colon (:) is expected',
  CommaExpected: 'a comma is expected',
  CloseBraceExpected: 'a closing } is expected',
  CloseBracketExpected: 'a closing ] is expected',
  EndOfFileExpected: 'nothing may follow the closing }',
  InvalidCommentToken: 'malformed comment',
  UnexpectedEndOfComment: 'a /* comment is not closed',
  UnexpectedEndOfString: 'a string is not closed (strings take double quotes)',
  UnexpectedEndOfNumber: 'a number is cut off',
  InvalidUnicode: 'malformed \\u escape',
  InvalidEscapeCharacter: 'malformed escape (\\) in a string',
  InvalidCharacter: 'a control character in a string (write \\n, \\t)',
};

/** Line and column (both from 1) of an offset in a text. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/**
 * Parses a configuration file's text: JSON with comments (`//`, `/* *\/`) and trailing commas.
 * Returns the object, or the problems as lines `name:line:column: what — hint` with the line quoted.
 */
export function parseConfigText(
  text: string,
  name: string,
): { value: Record<string, unknown> } | { problems: string[] } {
  const errors: ParseError[] = [];
  const value: unknown = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length) {
    const lines = text.split('\n');
    return {
      // The first error is the one to fix; the ones after it are mostly its echo.
      problems: errors.slice(0, 1).map((error) => {
        const { line, column } = lineColumn(text, error.offset);
        const code = printParseErrorCode(error.error);
        const source = (lines[line - 1] ?? '').replace(/\t/g, ' ');
        return [
          `${name}:${line}:${column}: ${SYNTAX[code] ?? code} — hint: the file is JSON with comments; look at the end of the line before, too`,
          `    ${source}`,
          `    ${' '.repeat(Math.max(0, column - 1))}^`,
        ].join('\n');
      }),
    };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return {
      problems: [
        `${name}: must hold one object { … } — hint: run crypto-checkout-server init for a template`,
      ],
    };
  return { value: value as Record<string, unknown> };
}
