/**
 * The configuration described from its schema (config.ts: every field's `.describe()`, type,
 * bounds and default), for the two places a person reads it: docs/configuration.md
 * (`npm run docs:config`, checked for drift by a test) and the commented file that
 * `crypto-checkout-server init` writes. Both come from here, so neither can disagree with the code.
 * @module
 */
import { z } from 'zod';
import { CONFIG_ENV_VARS, configSchema } from './config.js';

/** The part of a JSON Schema node this reads. */
interface Node {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  anyOf?: Node[];
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  items?: Node;
  properties?: Record<string, Node>;
  additionalProperties?: Node | boolean;
  required?: string[];
}

/** One key of the configuration, at any depth. */
export interface ConfigKey {
  /** As written in a file, lists as `[]`: `chains[].rpc_url`. */
  path: string;
  /** The key's own name. */
  name: string;
  /** In words: `integer (50–600000)`, `list of strings`, `"info" | "debug" …`. */
  type: string;
  /** The default, as JSON; `undefined` when there is none. */
  default: unknown;
  /** Must be given (no default, not optional). */
  required: boolean;
  description: string;
  /** The environment variable that sets it (top-level keys), or the one whose JSON holds it. */
  env: string | undefined;
  /** Keys of an object value (a nested section or list entries), in schema order. */
  children: ConfigKey[];
  /** Whether it is a list of objects (`chains`, `tokens`). */
  list: boolean;
}

const SAFE = Number.MAX_SAFE_INTEGER;

function typeOf(node: Node): string {
  if (node.enum) return node.enum.map((value) => JSON.stringify(value)).join(' | ');
  if (node.anyOf) return node.anyOf.map(typeOf).join(' or ');
  const range =
    node.minimum !== undefined && node.maximum !== undefined && node.maximum < SAFE && node.minimum > -SAFE
      ? ` (${node.minimum}–${node.maximum})`
      : node.minimum !== undefined && node.minimum > -SAFE
        ? ` (≥ ${node.minimum})`
        : node.exclusiveMinimum !== undefined
          ? ` (> ${node.exclusiveMinimum})`
          : '';
  switch (node.type) {
    case 'integer':
      return `integer${range}`;
    case 'number':
      return `number${range}`;
    case 'string':
      return node.format === 'uri' ? 'URL' : 'string';
    case 'array':
      return node.items ? `list of ${plural(typeOf(node.items))}` : 'list';
    case 'object':
      return node.properties ? 'object' : 'map of strings';
    default:
      return node.type ?? 'any';
  }
}

function plural(type: string): string {
  if (type === 'object') return 'objects';
  if (/^(string|integer|number|URL)\b/.test(type)) return type.replace(/^(\w+)/, '$1s');
  return type;
}

function walk(node: Node, path: string, name: string, required: boolean, env: string | undefined): ConfigKey {
  const object = node.anyOf?.find((option) => option.properties) ?? node;
  const items = node.type === 'array' && node.items?.properties ? node.items : undefined;
  const holder = items ?? (object.properties ? object : undefined);
  const base = items ? `${path}[]` : path;
  return {
    path,
    name,
    type: typeOf(node),
    default: node.default,
    required,
    description: node.description ?? '',
    env,
    list: Boolean(items),
    children: Object.entries(holder?.properties ?? {}).map(([key, child]) =>
      walk(child, `${base}.${key}`, key, holder!.required?.includes(key) ?? false, env),
    ),
  };
}

/**
 * Every top-level key of the configuration, with nested keys as `children`, from the schema.
 * @example describeConfig().find((key) => key.path === 'port')?.default // 8787
 */
export function describeConfig(): ConfigKey[] {
  const root = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Node;
  return Object.entries(root.properties ?? {}).map(([key, node]) => {
    const variable = CONFIG_ENV_VARS.find((entry) => entry.key === key)?.variable;
    return walk(node, key, key, root.required?.includes(key) ?? false, variable);
  });
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (value: unknown) => `\`${JSON.stringify(value)}\``;

/** Keys a known chain (chain/known-chains.ts) fills in: required only for other chains. */
const FROM_KNOWN_CHAIN = new Set([
  'chains[].id',
  'chains[].name',
  'chains[].confirmations',
  'chains[].tokens',
]);

function defaultText(key: ConfigKey): string {
  if (FROM_KNOWN_CHAIN.has(key.path))
    return key.required
      ? "the known chain's; required for another chain"
      : "the known chain's; `[]` for another";
  if (key.children.length && !key.list) return 'see below';
  if (key.default !== undefined) return code(key.default);
  return key.required ? '**required**' : '—';
}

/** docs/configuration.md, before Prettier lays out its tables. */
export function configurationMarkdown(): string {
  const keys = describeConfig();
  const lines = [
    '# Configuration',
    '',
    '<!-- Generated from packages/server/src/config.ts by `npm run docs:config`; edit the schema, not this file. -->',
    '',
    'The server reads one configuration: a file named by `CC_CONFIG` (JSON; `//` and `/* */` comments and',
    'trailing commas are allowed), with environment variables on top. `crypto-checkout-server init` writes a',
    'commented file with every key below; `crypto-checkout-server doctor` checks a configuration against the',
    'database, the chains and the wallet (docs/operations.md → Start a deployment). A mistake is reported',
    'with the key, the value and a hint, and the server does not start.',
    '',
    '## Environment variables',
    '',
    'Each variable replaces the whole key in the file. Lists are comma-separated; keys marked JSON take',
    'the same JSON as the file.',
    '',
    '| Variable | Key | Form |',
    '| --- | --- | --- |',
    '| `CC_CONFIG` | — | path of the configuration file |',
    ...CONFIG_ENV_VARS.map(
      (entry) =>
        `| \`${entry.variable}\` | [\`${entry.key}\`](#${entry.key}) | ${entry.kind === 'list' ? 'comma-separated list' : entry.kind === 'json' ? 'JSON' : entry.kind} |`,
    ),
    '',
    '## Keys',
    '',
  ];
  for (const key of keys) {
    lines.push(`### ${key.name}`, '');
    if (key.description) lines.push(key.description, '');
    lines.push(
      `Type: ${key.type}. Default: ${defaultText(key)}.${key.env ? ` Environment: \`${key.env}\`.` : ''}`,
      '',
    );
    const table = (parent: ConfigKey) => {
      if (!parent.children.length) return;
      lines.push(
        parent.list ? `Each entry of \`${parent.path}\`:` : `Keys of \`${parent.path}\`:`,
        '',
        '| Key | Type | Default | Description |',
        '| --- | --- | --- | --- |',
      );
      for (const child of parent.children)
        lines.push(
          `| \`${child.path}\` | ${cell(child.type)} | ${cell(defaultText(child))} | ${cell(child.description)} |`,
        );
      lines.push('');
      for (const child of parent.children) table(child);
    };
    table(key);
  }
  return lines.join('\n');
}

/** What `init` fills in; everything else is written commented out, at its default. */
export interface TemplateValues {
  database_url?: string;
  data_dir?: string;
  encryption_key_file: string;
}

/** `// ` comment lines for a description, wrapped near 100 columns. */
function commentLines(text: string, indent: string): string[] {
  const words = text.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line && `${indent}// ${line} ${word}`.length > 100) {
      lines.push(`${indent}// ${line}`);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(`${indent}// ${line}`);
  return lines;
}

/** A nested section's keys with their defaults, as JSON lines (for writing commented out). */
function sectionLines(key: ConfigKey, indent: string): string[] {
  const lines = [`${indent}"${key.name}": {`];
  for (const child of key.children) {
    lines.push(...commentLines(`${child.description} (${child.type})`, `${indent}  `));
    if (child.children.length && !child.list) lines.push(...sectionLines(child, `${indent}  `));
    else if (child.default !== undefined)
      lines.push(`${indent}  "${child.name}": ${JSON.stringify(child.default)},`);
    else lines.push(`${indent}  // "${child.name}": (no default),`);
  }
  lines.push(`${indent}},`);
  return lines;
}

/**
 * The commented configuration file `init` writes (JSONC): every key with what it does, its type,
 * default and environment variable. The keys a deployment must decide are written out; `xpub` and
 * `chains` are left empty, so that the server refuses to start until they are set; every other key
 * is commented out at its default.
 */
export function configTemplate(values: TemplateValues): string {
  const out = [
    '// crypto-checkout server configuration: JSON with comments (JSONC); trailing commas are fine.',
    '// Start the server with CC_CONFIG=<this file>. Environment variables override keys (named below).',
    '// A commented-out key takes its default. Reference: docs/configuration.md',
    '// Check it with: CC_CONFIG=<this file> crypto-checkout-server doctor',
    '{',
  ];
  const set: Record<string, unknown> = {
    xpub: '',
    chains: [],
    cors_origins: [],
    encryption_key_file: values.encryption_key_file,
    ...(values.database_url ? { database_url: values.database_url } : {}),
    ...(values.data_dir ? { data_dir: values.data_dir } : {}),
  };
  const notes: Record<string, string> = {
    xpub: "SET THIS: your wallet's account xpub (m/44'/60'/0'/0); doctor prints its first address to compare.",
    chains:
      'SET THIS, e.g. [{ "key": "base", "rpc_url": "https://your-node.example" }, { "key": "anvil", "rpc_url": "http://127.0.0.1:8545", "tokens": [{ "symbol": "USDC", "address": "0x…", "decimals": 6 }] }]',
    cors_origins:
      'SET THIS to the origins of your shop pages, e.g. ["https://shop.example"]; [] allows none.',
    public_url: 'SET THIS in production: the https URL buyers reach this server at.',
  };
  for (const key of describeConfig()) {
    out.push('');
    out.push(...commentLines(key.description, '  '));
    const facts = [
      key.type,
      key.required
        ? 'required'
        : key.default !== undefined && !key.children.length
          ? `default ${JSON.stringify(key.default)}`
          : null,
      key.env ? `environment ${key.env}` : null,
    ].filter(Boolean);
    out.push(`  // (${facts.join('; ')})`);
    if (notes[key.name]) out.push(...commentLines(notes[key.name]!, '  '));
    if (key.name in set) out.push(`  "${key.name}": ${JSON.stringify(set[key.name])},`);
    else if (key.children.length && !key.list)
      out.push(...sectionLines(key, '  ').map((line) => `  // ${line.slice(2)}`));
    else if (key.default !== undefined) out.push(`  // "${key.name}": ${JSON.stringify(key.default)},`);
    else out.push(`  // "${key.name}": …,`);
  }
  out.push('}', '');
  return out.join('\n');
}
