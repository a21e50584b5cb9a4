/**
 * Start-up work on the secrets at rest (see `secret-box.ts`): refuse to run with a key that is not
 * the one the database's secrets were sealed with, then seal what is still plaintext (rows written
 * before encryption) or sealed with an older key (after a rotation). SQL cannot do this as a
 * migration: the key is the application's and never reaches the database.
 * @module
 */
import type { Database } from './database.js';
import { EncryptionKeyError, isSealed, type SecretBox } from './secret-box.js';

/**
 * The columns holding sealed secrets: table, the SQL naming a row (as in its {@link secretContext}),
 * and the column. Stored idempotent answers are sealed whole: they carry the secrets a `POST` handed out.
 */
const SEALED_COLUMNS = [
  ['sessions', 'id', 'client_secret'],
  ['webhook_endpoints', 'id', 'secret'],
  ['webhook_endpoints', 'id', 'previous_secret'],
  ['idempotency_keys', "mode || ':' || key", 'response_body'],
] as const;

/** Rows re-sealed per statement. */
const BATCH = 500;

/** The additional data a secret is sealed with: its table, column and row. */
export function secretContext(table: string, column: string, id: string): string {
  return `${table}.${column}:${id}`;
}

/**
 * Checks that every sealed secret's key is configured (an {@link EncryptionKeyError} naming the
 * missing key ids otherwise: the wrong `CC_ENCRYPTION_KEY`, or a lost key file), then seals the
 * plaintext rows and re-seals those of older keys with the current one. Returns how many it sealed.
 */
export async function prepareSecretsAtRest(db: Database, box: SecretBox): Promise<number> {
  const unknown = new Set<string>();
  for (const [table, , column] of SEALED_COLUMNS) {
    const { rows } = await db.query<{ id: string }>(
      `SELECT DISTINCT split_part(${column}, ':', 3) AS id FROM ${table} WHERE ${column} LIKE 'enc:%'`,
    );
    for (const { id } of rows) if (!box.knows(id)) unknown.add(id);
  }
  if (unknown.size)
    throw new EncryptionKeyError(
      `the database's secrets are sealed with key ${[...unknown].join(', ')}, which is not configured: ` +
        'set CC_ENCRYPTION_KEY to the key they were sealed with (or add it to previous_encryption_keys), ' +
        'or restore the key file',
    );
  const current = `enc:v1:${box.currentKeyId}:%`;
  let sealed = 0;
  for (const [table, idColumn, column] of SEALED_COLUMNS) {
    for (;;) {
      const { rows } = await db.query<{ id: string; value: string }>(
        `SELECT ${idColumn} AS id, ${column} AS value FROM ${table}
         WHERE ${column} IS NOT NULL AND ${column} NOT LIKE $1 ORDER BY 1 LIMIT ${BATCH}`,
        [current],
      );
      if (!rows.length) break;
      await db.transaction(async (tx) => {
        for (const row of rows) {
          const context = secretContext(table, column, row.id);
          const plaintext = isSealed(row.value) ? box.open(row.value, context) : row.value;
          await tx.query(`UPDATE ${table} SET ${column} = $2 WHERE ${idColumn} = $1 AND ${column} = $3`, [
            row.id,
            box.seal(plaintext, context),
            row.value,
          ]);
        }
      });
      sealed += rows.length;
    }
  }
  return sealed;
}
