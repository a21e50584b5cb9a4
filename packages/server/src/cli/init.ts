/**
 * `crypto-checkout-server init`: the first step of a deployment. Writes a commented configuration
 * file (config-docs.ts → configTemplate: every key, its default, what it does), makes the encryption
 * key file as the server would on first start (0600, never overwritten), prepares the database
 * (migrations) and creates the first secret key there — kept hashed, printed once — then prints the
 * next steps. It refuses to overwrite a configuration file without `--force`.
 * @module
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { configTemplate, type TemplateValues } from '../config-docs.js';
import { createApiKey, type KeyMode } from '../keys/secret-key.js';
import { ApiKeyStore } from '../store/api-key-store.js';
import { openDatabase } from '../store/database.js';
import { migrate } from '../store/migrations.js';
import { loadSecretBox } from '../store/secret-box.js';
import { prepareSecretsAtRest } from '../store/secrets-at-rest.js';

/** Where `init` writes when `--out` is not given. */
export const DEFAULT_CONFIG_FILE = 'crypto-checkout.jsonc';

/** Flags of `init`, for `--help`. */
export const INIT_USAGE = [
  `--out <file> (default ${DEFAULT_CONFIG_FILE})`,
  '--database-url postgres://… (default: PGlite in --data-dir)',
  '--data-dir <folder> (default ./.data)',
  '--mode test|live (the first secret key; default test)',
  '--force (overwrite the configuration file; the key file and the database are kept)',
];

/** A path as it would be written in the configuration: relative to the working directory, `./`-led. */
function asWritten(path: string): string {
  if (isAbsolute(path)) {
    const near = relative(process.cwd(), path);
    if (near.startsWith('..') || isAbsolute(near)) return path;
    path = near;
  }
  return path.startsWith('.') ? path : `./${path}`;
}

/**
 * Runs `init`; returns the lines to print. Throws an `Error` whose message says what to do when it
 * cannot (a file that exists, a bad flag, a database that cannot be opened).
 */
export async function runInit(flags: Record<string, string | true>): Promise<string[]> {
  const out = typeof flags.out === 'string' ? flags.out : DEFAULT_CONFIG_FILE;
  const databaseUrl = flags['database-url'];
  const dataDir = typeof flags['data-dir'] === 'string' ? flags['data-dir'] : './.data';
  const mode = flags.mode ?? 'test';
  if (
    databaseUrl !== undefined &&
    (typeof databaseUrl !== 'string' || !/^postgres(ql)?:\/\//.test(databaseUrl))
  )
    throw new Error('--database-url must be postgres://user:password@host:5432/database');
  if (mode !== 'test' && mode !== 'live') throw new Error('--mode is test or live');
  if (existsSync(out) && flags.force !== true)
    throw new Error(`${out} exists; give --force to overwrite it (the key file and the database are kept)`);

  // The key file sits beside the configuration: the file names it, so any working directory finds it.
  const keyFile = join(dirname(out), 'crypto-checkout.key');
  const settings: TemplateValues = {
    ...(typeof databaseUrl === 'string' ? { database_url: databaseUrl } : { data_dir: dataDir }),
    encryption_key_file: asWritten(keyFile),
  };
  const db = await openDatabase({ databaseUrl: settings.database_url, dataDir });
  let key: string;
  let keyId: string;
  let newKeyFile: boolean;
  try {
    await migrate(db);
    // As the server's start-up does: an existing key file is used, never replaced (it opens the
    // database's sealed secrets); a new one is written 0600 once the database accepts it.
    const secrets = await loadSecretBox({
      previous_encryption_keys: [],
      encryption_key_file: keyFile,
      data_dir: dataDir,
      database_url: settings.database_url,
    });
    await prepareSecretsAtRest(db, secrets.box);
    await secrets.save();
    newKeyFile = secrets.source === 'new-key-file';
    const created = await createApiKey(new ApiKeyStore(db), {
      mode: mode as KeyMode,
      description: 'made by init',
    });
    key = created.key;
    keyId = created.record.id;
  } finally {
    await db.close();
  }
  // 0600: the file may hold the database's password.
  await writeFile(out, configTemplate(settings), { mode: 0o600 });

  const config = asWritten(out);
  return [
    `wrote ${config} (every key, commented; a commented-out key takes its default)`,
    `${newKeyFile ? 'made' : 'kept'} the encryption key file ${settings.encryption_key_file} (0600): back it up; without it the database's webhook secrets cannot be read`,
    `database ${settings.database_url ? 'PostgreSQL' : `PGlite in ${dataDir}`}: migrated`,
    `created the secret key ${keyId} (${mode} mode):`,
    '',
    `  ${key}`,
    '',
    'This is the only time the key is shown: only its hash is stored. Keep it in a secret store;',
    'your shop sends it as "Authorization: Bearer <key>". More with: crypto-checkout-server keys create',
    '',
    'Next steps:',
    `  1. In ${config} set "xpub" (your wallet's account xpub, m/44'/60'/0'/0) and "chains"`,
    '     (e.g. { "key": "base", "rpc_url": "https://…" }), "public_url" (the https address buyers',
    '     reach) and "cors_origins" (your shop pages\' origins).',
    `  2. Check it:  CC_CONFIG=${config} crypto-checkout-server doctor`,
    "     (compare the first deposit address it prints with your wallet's first receiving address)",
    `  3. Start:     CC_CONFIG=${config} crypto-checkout-server start`,
    'Reference: docs/configuration.md; operations: docs/operations.md.',
  ];
}
