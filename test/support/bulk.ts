import { randomBytes } from 'node:crypto';
import type { Database } from '../../packages/server/src/store/database.js';

/**
 * Inserts `count` sessions that are waiting for payment, each with a deposit on `chainId`, straight
 * into the database (one statement each, so 100k take seconds). Their addresses are random: nobody
 * pays them, they only make the watcher's address book big. Derivation indexes come from the real
 * sequence, as the service would allocate them.
 */
export async function insertOpenPayments(
  db: Database,
  options: { count: number; chainId: number; tokenAddress: string | null },
): Promise<void> {
  const tag = randomBytes(4).toString('hex');
  await db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO sessions (id, client_secret, status, amount, currency, metadata, methods, created_at, expires_at,
         fingerprint)
       SELECT 'cs_bulk' || $1 || i, 'cs_bulk' || $1 || i || '_secret_x', 'open', '10.00', 'USD', '{}', '[]', now(),
         now() + interval '1 hour', 'open'
       FROM generate_series(1, $2::int) AS i`,
      [tag, options.count],
    );
    await tx.query(
      `INSERT INTO deposits (session_id, method, chain_id, token_symbol, token_address, decimals, address,
         derivation_index, amount_due_atomic, amount_min_atomic, rate, confirmations_required, created_at, watch_until)
       SELECT 'cs_bulk' || $1 || i, 'usdc@bulk', $3, 'USDC', $4, 6,
         '0x' || substr(md5($1 || i::text), 1, 20) || substr(md5(i::text || $1), 1, 20),
         nextval('deposit_index_seq'), 10000000, 10000000, '1', 1, now(), now() + interval '25 hours'
       FROM generate_series(1, $2::int) AS i`,
      [tag, options.count, options.chainId, options.tokenAddress],
    );
  });
}
