import {
  createApiKey,
  displayPrefix,
  looksLikeSecretKey,
  parseConfiguredKey,
  type KeyMode,
} from '../keys/secret-key.js';
import { parseScopes } from '../keys/key-scopes.js';
import { ApiKeyStore, type ApiKeyRecord } from '../store/api-key-store.js';
import type { Command } from './command.js';
import { table } from './table.js';

const MODES: readonly KeyMode[] = ['test', 'live'];

const iso = (date: Date | null) => (date ? date.toISOString() : '—');

/** A key as the CLI shows it: everything but the hash. */
function shown(record: ApiKeyRecord) {
  return {
    id: record.id,
    mode: record.mode,
    prefix: record.prefix,
    description: record.description,
    created_at: record.created_at.toISOString(),
    last_used_at: record.last_used_at?.toISOString() ?? null,
    revoked_at: record.revoked_at?.toISOString() ?? null,
    scopes: record.scopes,
  };
}

/** `keys create|list|revoke`: secret API keys, kept hashed in the database. */
export const keyCommands: Command[] = [
  {
    group: 'keys',
    name: 'create',
    summary: 'make a secret key and print it, once',
    usage: [
      '--mode test|live (required)',
      '--description <text>',
      '--scopes read,write,approve (default: every right; approve = approve payouts of other keys)',
      '--json',
    ],
    async run({ db, print }, flags) {
      const mode = flags.mode;
      if (typeof mode !== 'string' || !MODES.includes(mode as KeyMode)) {
        throw new Error('--mode test or --mode live is required');
      }
      const description = typeof flags.description === 'string' ? flags.description : '';
      if (flags.scopes === true) throw new Error('--scopes needs a list, e.g. --scopes read,approve');
      const scopes = typeof flags.scopes === 'string' ? parseScopes(flags.scopes) : null;
      const { key, record } = await createApiKey(new ApiKeyStore(db), {
        mode: mode as KeyMode,
        description,
        scopes,
      });
      if (flags.json === true) {
        print(JSON.stringify({ ...shown(record), key }));
        return;
      }
      const rights = scopes ? `, scopes ${scopes.join(',')}` : '';
      print(
        `created ${record.id} (${record.mode}${rights}${description ? `, ${JSON.stringify(description)}` : ''})`,
      );
      print('');
      print(`  ${key}`);
      print('');
      print('This is the only time the key is shown: only its hash is stored. Keep it in a secret store.');
    },
  },
  {
    group: 'keys',
    name: 'list',
    summary: 'list the keys (ids, prefixes, mode, created, last used, revoked); never the keys',
    usage: ['--json (one JSON object per line)'],
    async run({ config, db, print }, flags) {
      const records = await new ApiKeyStore(db).list();
      // Keys of the configuration are listed too, so an operator sees every key that works.
      const configured = config.secret_keys.map((entry) => {
        const key = parseConfiguredKey(entry);
        return {
          id: key.id,
          mode: key.mode,
          prefix: looksLikeSecretKey(entry) ? displayPrefix(entry) : 'sha256:…',
        };
      });
      if (flags.json === true) {
        for (const record of records) print(JSON.stringify({ ...shown(record), source: 'database' }));
        for (const key of configured) print(JSON.stringify({ ...key, source: 'config' }));
        return;
      }
      if (!records.length && !configured.length) {
        print('no keys; make one with: crypto-checkout-server keys create --mode test');
        return;
      }
      const rows = [['ID', 'MODE', 'PREFIX', 'CREATED', 'LAST USED', 'REVOKED', 'DESCRIPTION']];
      for (const r of records) {
        rows.push([
          r.id,
          r.mode,
          r.prefix,
          iso(r.created_at),
          iso(r.last_used_at),
          iso(r.revoked_at),
          r.description,
        ]);
      }
      for (const k of configured)
        rows.push([k.id, k.mode, k.prefix, '—', '—', '—', '(configuration: CC_SECRET_KEYS)']);
      for (const line of table(rows)) print(line);
    },
  },
  {
    group: 'keys',
    name: 'revoke',
    summary: 'revoke a key: it answers 401 from the next request on, on every instance',
    usage: ['<key id>'],
    async run({ config, db, print }, _flags, args) {
      const [id, ...extra] = args;
      if (!id || extra.length) throw new Error('give exactly one key id (see keys list)');
      const now = new Date();
      const record = await new ApiKeyStore(db).revoke(id, now);
      if (!record) {
        const configured = config.secret_keys.some((entry) => parseConfiguredKey(entry).id === id);
        throw new Error(
          configured
            ? `${id} comes from the configuration (CC_SECRET_KEYS / secret_keys): remove it there and restart`
            : `no key ${id}`,
        );
      }
      print(
        record.revoked_at!.getTime() !== now.getTime()
          ? `${id} was already revoked at ${record.revoked_at!.toISOString()}`
          : `revoked ${id} (${record.prefix}) at ${record.revoked_at!.toISOString()}`,
      );
    },
  },
];
