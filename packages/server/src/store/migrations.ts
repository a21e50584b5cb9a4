import { lockForTransaction } from './advisory-locks.js';
import type { Database } from './database.js';

/**
 * The one migration set, in order. Append only: never edit a migration that has shipped.
 * Plain PostgreSQL that PGlite and PostgreSQL both run.
 */
export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'sessions, deposits, transfers, events, cursors',
    sql: `
      CREATE TABLE sessions (
        id                text PRIMARY KEY,
        client_secret     text NOT NULL UNIQUE,
        status            text NOT NULL,
        amount            text NOT NULL,
        currency          text NOT NULL,
        order_id          text,
        metadata          jsonb NOT NULL DEFAULT '{}'::jsonb,
        methods           jsonb NOT NULL,
        success_url       text,
        cancel_url        text,
        created_at        timestamptz NOT NULL,
        expires_at        timestamptz NOT NULL,
        paid_at           timestamptz,
        fingerprint       text NOT NULL DEFAULT ''
      );
      CREATE INDEX sessions_status_expires ON sessions (status, expires_at);
      CREATE INDEX sessions_order_id ON sessions (order_id);

      CREATE SEQUENCE deposit_index_seq MINVALUE 0 START 0 MAXVALUE 2147483647 NO CYCLE;

      CREATE TABLE deposits (
        session_id        text PRIMARY KEY REFERENCES sessions (id),
        method            text NOT NULL,
        chain_id          integer NOT NULL,
        token_symbol      text NOT NULL,
        token_address     text,
        decimals          integer NOT NULL,
        address           text NOT NULL,
        derivation_index  bigint NOT NULL UNIQUE,
        amount_due_atomic numeric(78, 0) NOT NULL,
        rate              text NOT NULL,
        confirmations_required integer NOT NULL,
        created_at        timestamptz NOT NULL,
        watch_until       timestamptz NOT NULL
      );
      CREATE UNIQUE INDEX deposits_chain_address ON deposits (chain_id, address);
      CREATE INDEX deposits_watch ON deposits (chain_id, watch_until);

      CREATE TABLE transfers (
        chain_id          integer NOT NULL,
        tx_hash           text NOT NULL,
        log_index         integer NOT NULL,
        session_id        text NOT NULL REFERENCES sessions (id),
        address           text NOT NULL,
        token_address     text,
        from_address      text NOT NULL,
        amount_atomic     numeric(78, 0) NOT NULL,
        block_number      bigint NOT NULL,
        block_hash        text NOT NULL,
        seen_at           timestamptz NOT NULL,
        PRIMARY KEY (chain_id, tx_hash, log_index)
      );
      CREATE INDEX transfers_session ON transfers (session_id);

      CREATE TABLE chain_cursors (
        chain_id          integer PRIMARY KEY,
        block_number      bigint NOT NULL,
        updated_at        timestamptz NOT NULL
      );

      CREATE TABLE session_events (
        session_id        text NOT NULL REFERENCES sessions (id),
        seq               integer NOT NULL,
        type              text NOT NULL,
        payload           jsonb NOT NULL,
        created_at        timestamptz NOT NULL,
        PRIMARY KEY (session_id, seq)
      );
    `,
  },
  {
    version: 2,
    name: 'lifecycle: cancel, tolerance, review, transfer details, block hashes for reorgs',
    sql: `
      ALTER TABLE sessions ADD COLUMN canceled_at timestamptz;
      ALTER TABLE sessions ADD COLUMN livemode boolean NOT NULL DEFAULT false;
      ALTER TABLE sessions ADD COLUMN review_reasons jsonb NOT NULL DEFAULT '[]'::jsonb;

      ALTER TABLE deposits ADD COLUMN amount_min_atomic numeric(78, 0);
      UPDATE deposits SET amount_min_atomic = amount_due_atomic;
      ALTER TABLE deposits ALTER COLUMN amount_min_atomic SET NOT NULL;
      DROP INDEX deposits_watch;
      CREATE INDEX deposits_watch ON deposits (watch_until);

      ALTER TABLE transfers ADD COLUMN token_symbol text;
      ALTER TABLE transfers ADD COLUMN decimals integer;
      ALTER TABLE transfers ADD COLUMN block_time timestamptz;
      UPDATE transfers t SET token_symbol = d.token_symbol, decimals = d.decimals, block_time = t.seen_at
        FROM deposits d WHERE d.session_id = t.session_id;
      ALTER TABLE transfers ALTER COLUMN token_symbol SET NOT NULL;
      ALTER TABLE transfers ALTER COLUMN decimals SET NOT NULL;
      ALTER TABLE transfers ALTER COLUMN block_time SET NOT NULL;
      CREATE INDEX transfers_chain_block ON transfers (chain_id, block_number);

      -- Hashes of the most recent blocks each watcher processed, to notice reorganisations.
      CREATE TABLE chain_blocks (
        chain_id          integer NOT NULL,
        block_number      bigint NOT NULL,
        block_hash        text NOT NULL,
        parent_hash       text NOT NULL,
        PRIMARY KEY (chain_id, block_number)
      );
    `,
  },
  {
    version: 3,
    name: 'webhooks: endpoints, outbox events, deliveries, attempts',
    sql: `
      -- Where a merchant wants events. The secret signs (HMAC), so it is kept as is; the API shows
      -- only its prefix. After a rotation the previous secret signs too until it expires.
      CREATE TABLE webhook_endpoints (
        id                text PRIMARY KEY,
        livemode          boolean NOT NULL,
        url               text NOT NULL,
        description       text,
        events            jsonb NOT NULL,
        enabled           boolean NOT NULL DEFAULT true,
        secret            text NOT NULL,
        previous_secret   text,
        previous_secret_expires_at timestamptz,
        created_at        timestamptz NOT NULL,
        updated_at        timestamptz NOT NULL,
        deleted_at        timestamptz
      );
      CREATE INDEX webhook_endpoints_mode ON webhook_endpoints (livemode) WHERE deleted_at IS NULL;

      -- The outbox: one row per event, written in the transaction of the status change. The body is
      -- the exact text sent (jsonb would reorder keys), so every attempt signs and sends the same bytes.
      CREATE TABLE webhook_events (
        id                text PRIMARY KEY,
        seq               bigserial NOT NULL UNIQUE,
        livemode          boolean NOT NULL,
        type              text NOT NULL,
        session_id        text REFERENCES sessions (id),
        session_seq       integer,
        body              text NOT NULL,
        created_at        timestamptz NOT NULL,
        UNIQUE (session_id, session_seq)
      );
      CREATE INDEX webhook_events_mode_seq ON webhook_events (livemode, seq);
      CREATE INDEX webhook_events_session_seq ON webhook_events (session_id, seq);

      -- One row per event and endpoint. A worker claims a due row by moving next_attempt_at one lease
      -- ahead and setting claim_token: if it dies mid-attempt the row is simply due again later.
      CREATE TABLE webhook_deliveries (
        event_id          text NOT NULL REFERENCES webhook_events (id),
        endpoint_id       text NOT NULL REFERENCES webhook_endpoints (id),
        status            text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'canceled')),
        attempts          integer NOT NULL DEFAULT 0,
        next_attempt_at   timestamptz,
        claim_token       text,
        last_attempt_at   timestamptz,
        last_status_code  integer,
        last_error        text,
        created_at        timestamptz NOT NULL,
        updated_at        timestamptz NOT NULL,
        PRIMARY KEY (event_id, endpoint_id)
      );
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
      CREATE INDEX webhook_deliveries_endpoint_pending ON webhook_deliveries (endpoint_id)
        WHERE status = 'pending';

      CREATE TABLE webhook_attempts (
        id                text PRIMARY KEY,
        seq               bigserial NOT NULL UNIQUE,
        event_id          text NOT NULL,
        endpoint_id       text NOT NULL,
        url               text NOT NULL,
        attempted_at      timestamptz NOT NULL,
        status_code       integer,
        succeeded         boolean NOT NULL,
        error             text,
        latency_ms        integer NOT NULL,
        response_excerpt  text,
        FOREIGN KEY (event_id, endpoint_id) REFERENCES webhook_deliveries (event_id, endpoint_id)
      );
      CREATE INDEX webhook_attempts_event_seq ON webhook_attempts (event_id, seq);
    `,
  },
  {
    version: 4,
    name: 'API keys stored hashed; idempotency keys',
    sql: `
      -- Secret API keys made with "npm run cli -- keys create". Only a SHA-256 of the key is kept: the
      -- key is shown once and cannot be recovered from the database.
      CREATE TABLE api_keys (
        id                text PRIMARY KEY,
        mode              text NOT NULL CHECK (mode IN ('test', 'live')),
        secret_hash       text NOT NULL UNIQUE,
        prefix            text NOT NULL,
        description       text NOT NULL DEFAULT '',
        created_at        timestamptz NOT NULL,
        last_used_at      timestamptz,
        revoked_at        timestamptz
      );

      -- One row per Idempotency-Key and mode: the hash of the request it was first used with and,
      -- once finished, the answer to replay. lock_id is set while a request is executing it.
      CREATE TABLE idempotency_keys (
        mode              text NOT NULL CHECK (mode IN ('test', 'live')),
        key               text NOT NULL,
        request_hash      text NOT NULL,
        api_key_id        text NOT NULL,
        lock_id           text,
        locked_at         timestamptz,
        response_status   integer,
        response_body     text,
        created_at        timestamptz NOT NULL,
        PRIMARY KEY (mode, key)
      );
      CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
    `,
  },
  {
    version: 5,
    name: 'indexes for listing, searching and exporting sessions',
    sql: `
      -- Keyset pagination, newest first, within one mode: (created_at, id) < (cursor) walks an index.
      CREATE INDEX sessions_mode_created ON sessions (livemode, created_at, id);
      CREATE INDEX sessions_mode_status_created ON sessions (livemode, status, created_at, id);
      CREATE INDEX sessions_mode_order_created ON sessions (livemode, order_id, created_at, id);
      -- Few sessions need review: a partial index stays small.
      CREATE INDEX sessions_mode_review_created ON sessions (livemode, created_at, id)
        WHERE review_reasons <> '[]'::jsonb;
      CREATE INDEX deposits_method ON deposits (method);
      CREATE INDEX deposits_token ON deposits (lower(token_symbol));
    `,
  },
  {
    version: 6,
    name: 'the chain position of a cancel',
    sql: `
      -- The highest block of the session's chain the server knew when the merchant canceled (its
      -- watcher's cursor, or the node's head if higher): transfers above it came after the cancel.
      -- NULL when no method was chosen (no address, nothing to receive) and for older cancels.
      ALTER TABLE sessions ADD COLUMN canceled_at_block bigint;
    `,
  },
  {
    version: 7,
    name: 'the record of a locked rate',
    sql: `
      -- The source quotes a deposit's rate was aggregated from ([{source, rate, at}]), so accounting
      -- can reconstruct the conversion; '[]' for deposits made before it was recorded.
      ALTER TABLE deposits ADD COLUMN rate_sources jsonb NOT NULL DEFAULT '[]'::jsonb;
      -- Until when the rate is locked (NULL: for the whole session, as before).
      ALTER TABLE deposits ADD COLUMN rate_locked_until timestamptz;
    `,
  },
  {
    version: 8,
    name: 'deposits the buyer went back from',
    sql: `
      -- A deposit the buyer went back from (DELETE /v1/sessions/:id/payment) moves here instead of
      -- being deleted: its address stays watched until watch_until, because a buyer may already have
      -- sent money to it (an exchange withdrawal not yet mined) or pay its old QR code later. A transfer
      -- to it is recorded on the session and flagged (paid_to_abandoned_address), never counted.
      -- Its derivation index came from deposit_index_seq, so it is never handed out again.
      CREATE TABLE abandoned_deposits (
        session_id        text NOT NULL REFERENCES sessions (id),
        method            text NOT NULL,
        chain_id          integer NOT NULL,
        token_symbol      text NOT NULL,
        token_address     text,
        decimals          integer NOT NULL,
        address           text NOT NULL,
        derivation_index  bigint NOT NULL UNIQUE,
        amount_due_atomic numeric(78, 0) NOT NULL,
        rate              text NOT NULL,
        rate_sources      jsonb NOT NULL,
        created_at        timestamptz NOT NULL,
        watch_until       timestamptz NOT NULL,
        abandoned_at      timestamptz NOT NULL
      );
      CREATE UNIQUE INDEX abandoned_deposits_chain_address ON abandoned_deposits (chain_id, address);
      CREATE INDEX abandoned_deposits_session ON abandoned_deposits (session_id);
      CREATE INDEX abandoned_deposits_watch ON abandoned_deposits (watch_until);
    `,
  },
  {
    version: 9,
    name: 'chain numbers of every family',
    sql: `
      -- Chains of every family (chain/family.ts) share one integer key per chain: an EVM chain's
      -- EIP-155 id (TRON's JSON-RPC chain id likewise: Nile's 3448148188 does not fit in integer), or
      -- a fixed negative number for a UTXO chain, which has none. Existing ids keep their values.
      ALTER TABLE deposits ALTER COLUMN chain_id TYPE bigint;
      ALTER TABLE abandoned_deposits ALTER COLUMN chain_id TYPE bigint;
      ALTER TABLE transfers ALTER COLUMN chain_id TYPE bigint;
      ALTER TABLE chain_cursors ALTER COLUMN chain_id TYPE bigint;
      ALTER TABLE chain_blocks ALTER COLUMN chain_id TYPE bigint;
      -- A Bitcoin or Litecoin transaction has inputs, not a sender: its transfers name none.
      ALTER TABLE transfers ALTER COLUMN from_address DROP NOT NULL;
    `,
  },
  {
    version: 12,
    name: 'forwarder sweeps',
    sql: `
      -- One row per deposit address and asset moved (or planned to move) by one sweep transaction
      -- of ForwarderFactory (forwarder deposit mode, docs/treasury.md). A row is written 'pending'
      -- with the signed transaction before it is broadcast, so a restart finds and re-checks it;
      -- it becomes 'confirmed' (amount_atomic = what the receipt's logs show moved to the treasury),
      -- 'failed' (the transaction reverted: nothing moved, gas spent) or 'dropped' (never mined,
      -- its nonce used by another transaction). The ledger reads the confirmed rows.
      CREATE TABLE sweeps (
        chain_id              bigint NOT NULL,
        tx_hash               text NOT NULL,
        address               text NOT NULL,
        derivation_index      bigint NOT NULL,
        token_symbol          text NOT NULL,
        token_address         text,
        treasury_address      text NOT NULL,
        planned_atomic        numeric(78, 0) NOT NULL,
        amount_atomic         numeric(78, 0),
        status                text NOT NULL,
        batch_deposits        integer NOT NULL,
        tx_gas_used           numeric(78, 0),
        gas_share             numeric(78, 0),
        effective_gas_price   numeric(78, 0),
        block_number          bigint,
        relayer_address       text NOT NULL,
        nonce                 bigint NOT NULL,
        raw_tx                text NOT NULL,
        created_at            timestamptz NOT NULL,
        updated_at            timestamptz NOT NULL,
        PRIMARY KEY (chain_id, tx_hash, address, token_symbol)
      );
      -- An address and asset is in at most one sweep in flight: a second instance cannot plan it too.
      CREATE UNIQUE INDEX sweeps_in_flight ON sweeps (chain_id, address, token_symbol) WHERE status = 'pending';
      CREATE INDEX sweeps_chain_status ON sweeps (chain_id, status);
      CREATE INDEX sweeps_created ON sweeps (created_at);
    `,
  },
  {
    version: 14,
    name: 'treasury: the append-only ledger and payouts',
    sql: `
      -- Payouts the merchant asked for (POST /v1/payouts). amount_atomic is in the asset's smallest
      -- unit; fiat_value is the review valuation in the merchant's currency at request time.
      CREATE TABLE payouts (
        id                text PRIMARY KEY,
        livemode          boolean NOT NULL,
        status            text NOT NULL CHECK (status IN
                            ('requested', 'needs_approval', 'approved', 'submitted', 'confirmed', 'failed', 'canceled')),
        asset             text NOT NULL,
        chain_id          bigint NOT NULL,
        token_address     text,
        decimals          integer NOT NULL,
        destination       text NOT NULL,
        amount_atomic     numeric(78, 0) NOT NULL CHECK (amount_atomic > 0),
        fiat_value        text,
        fiat_currency     text NOT NULL,
        reference         text,
        metadata          jsonb NOT NULL DEFAULT '{}'::jsonb,
        requested_by      text NOT NULL,
        approved_by       text,
        canceled_by       text,
        -- Set when submitted: the address that pays (the payout key, a Safe, the merchant's wallet),
        -- the block from which its transfer is looked for, the nonce of an exported EIP-1559
        -- transaction; set when confirmed: the transfer found.
        source_address    text,
        submitted_at_block bigint,
        nonce             bigint,
        tx_hash           text,
        log_index         integer,
        failure_reason    text,
        created_at        timestamptz NOT NULL,
        updated_at        timestamptz NOT NULL
      );
      CREATE INDEX payouts_mode_created ON payouts (livemode, created_at, id);
      CREATE INDEX payouts_mode_status ON payouts (livemode, status, created_at, id);
      -- A transfer settles one payout at most.
      CREATE UNIQUE INDEX payouts_transfer ON payouts (chain_id, tx_hash, log_index) WHERE tx_hash IS NOT NULL;

      -- The ledger: append-only. A correction is a new entry (receipt_reversal, payout_release),
      -- never an UPDATE or DELETE. amount_atomic is signed; balances are sums over it by kind.
      CREATE TABLE ledger_entries (
        id                bigserial PRIMARY KEY,
        livemode          boolean NOT NULL,
        kind              text NOT NULL CHECK (kind IN ('receipt', 'receipt_reversal', 'sweep',
                            'payout_reserve', 'payout_release', 'payout_settle', 'fee')),
        asset             text NOT NULL,
        chain_id          bigint NOT NULL,
        token_address     text,
        amount_atomic     numeric(78, 0) NOT NULL,
        session_id        text REFERENCES sessions (id),
        payout_id         text REFERENCES payouts (id),
        -- The address whose holdings the entry moves (a deposit address, the treasury) and the other
        -- side (the payer, the treasury a sweep went to, a payout's destination).
        address           text,
        counterparty      text,
        tx_hash           text,
        log_index         integer,
        created_at        timestamptz NOT NULL
      );
      CREATE INDEX ledger_entries_mode_id ON ledger_entries (livemode, id);
      CREATE INDEX ledger_entries_session ON ledger_entries (session_id) WHERE session_id IS NOT NULL;
      CREATE INDEX ledger_entries_payout ON ledger_entries (payout_id) WHERE payout_id IS NOT NULL;
      -- A sweep transfer is recorded once, whoever reports it.
      CREATE UNIQUE INDEX ledger_entries_sweep_once ON ledger_entries (chain_id, tx_hash, log_index)
        WHERE kind = 'sweep';
      -- The ledger refuses changes at the database too, so no code path can rewrite history.
      CREATE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN
          RAISE EXCEPTION 'ledger_entries is append-only';
        END
      $fn$;
      CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE OR DELETE ON ledger_entries
        FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only();

      -- Sign-ins to the merchant page (/merchant): the cookie holds a random token, only its SHA-256
      -- is kept; the CSRF token goes into the page's forms. Expired rows are deleted at sign-in.
      CREATE TABLE merchant_sessions (
        token_hash        text PRIMARY KEY,
        key_id            text NOT NULL,
        mode              text NOT NULL CHECK (mode IN ('test', 'live')),
        scopes            jsonb,
        csrf_token        text NOT NULL,
        created_at        timestamptz NOT NULL,
        expires_at        timestamptz NOT NULL
      );
    `,
  },
  {
    version: 15,
    name: 'API key scopes',
    sql: `
      -- NULL: every right (keys made before scopes existed keep them), else a list of
      -- 'read', 'write', 'approve'.
      ALTER TABLE api_keys ADD COLUMN scopes jsonb;
    `,
  },
  {
    version: 16,
    name: 'payouts sent by the payout key',
    sql: `
      -- The signed transaction of a payout the payout key sends, written before it is broadcast
      -- (broadcast again after a restart, never signed twice), when it was recorded (the rolling
      -- 24 h limit), and why an approved payout is still waiting.
      ALTER TABLE payouts ADD COLUMN raw_tx text;
      ALTER TABLE payouts ADD COLUMN sent_at timestamptz;
      ALTER TABLE payouts ADD COLUMN waiting_reason text;
      CREATE INDEX payouts_hot_sent ON payouts (chain_id, asset, sent_at) WHERE sent_at IS NOT NULL;
    `,
  },
  {
    version: 19,
    name: 'sweeps reorganised away',
    sql: `
      -- A sweep whose transaction a reorganisation took away is reversed by a negative 'sweep'
      -- entry; mined again, it is recorded again. A transfer is still recorded once per reorg
      -- generation (how many reversals it had before), whoever reports it.
      ALTER TABLE ledger_entries ADD COLUMN reorg_generation integer NOT NULL DEFAULT 0;
      DROP INDEX ledger_entries_sweep_once;
      CREATE UNIQUE INDEX ledger_entries_sweep_once ON ledger_entries
        (chain_id, tx_hash, log_index, reorg_generation) WHERE kind = 'sweep' AND amount_atomic > 0;
    `,
  },
  {
    version: 21,
    name: 'UTXO treasury: treasury addresses, reserved coins, sweeps seen on chain',
    sql: `
      -- Bitcoin/Litecoin (docs/treasury.md): the treasury is the account's internal branch m/…/1/i,
      -- which the merchant's wallet controls with the same seed. Each export takes a fresh address
      -- (a sweep's destination, a payout's change); the watcher counts a spend to one of them (or to
      -- one a little past the highest handed out) as a move into the treasury.
      CREATE TABLE utxo_treasury_addresses (
        chain_id          bigint NOT NULL,
        derivation_index  bigint NOT NULL,
        address           text NOT NULL,
        purpose           text NOT NULL,
        created_at        timestamptz NOT NULL,
        PRIMARY KEY (chain_id, derivation_index)
      );
      CREATE UNIQUE INDEX utxo_treasury_addresses_address ON utxo_treasury_addresses (chain_id, address);
      -- Coins an unsigned export spends, held until it expires so that a second export cannot spend
      -- them too. expected_txid: the transaction's id, known before signing for SegWit inputs.
      CREATE TABLE utxo_reservations (
        chain_id          bigint NOT NULL,
        txid              text NOT NULL,
        vout              integer NOT NULL,
        purpose           text NOT NULL,
        expected_txid     text,
        reserved_at       timestamptz NOT NULL,
        expires_at        timestamptz NOT NULL,
        PRIMARY KEY (chain_id, txid, vout)
      );
      -- A UTXO sweep row is written by the watcher when it sees deposit coins spent: 'submitted'
      -- (in the mempool or below the chain's confirmations), 'confirmed', 'dropped' (conflicted or
      -- gone), or 'needs_review' (money sent outside the treasury: never booked silently).
      ALTER TABLE sweeps ADD COLUMN review_reason text;
    `,
  },
  {
    version: 22,
    name: 'deposits in the order they were stored',
    sql: `
      -- The chain watchers' address books (chain/address-book.ts) read new deposits by this number,
      -- taken when the row is inserted, not by derivation index: the derivation pool hands indexes
      -- out late and out of order (an index reserved minutes before its deposit is stored, below
      -- deposits stored since), so an index is no cursor. A hole in this sequence is only an insert
      -- still committing (or rolled back). A deposit the buyer went back from keeps its number in
      -- abandoned_deposits. Existing rows are numbered as the column is added.
      CREATE SEQUENCE deposit_watch_seq MINVALUE 0 START 0 NO CYCLE;
      ALTER TABLE deposits ADD COLUMN watch_seq bigint NOT NULL DEFAULT nextval('deposit_watch_seq');
      ALTER TABLE abandoned_deposits ADD COLUMN watch_seq bigint NOT NULL DEFAULT nextval('deposit_watch_seq');
      CREATE UNIQUE INDEX deposits_watch_seq ON deposits (watch_seq);
      CREATE UNIQUE INDEX abandoned_deposits_watch_seq ON abandoned_deposits (watch_seq);
    `,
  },
  {
    version: 24,
    name: 'TRON treasury watch: how far each chain was read',
    sql: `
      -- TRON (treasury/tron-treasury-watch.ts): what left the deposit addresses and the treasury is
      -- read block by block up to the solidified head; this is the last block read per chain, so a
      -- restart goes on from there. Sweeps, top-ups and transfers elsewhere are rows of 'sweeps'.
      CREATE TABLE tron_treasury_cursors (
        chain_id    bigint PRIMARY KEY,
        scanned_to  bigint NOT NULL,
        updated_at  timestamptz NOT NULL
      );
    `,
  },
  {
    version: 26,
    name: 'sweeps by mode: deposit addresses by lower case, deposit spends for review',
    sql: `
      -- The merchant page and the sweep webhooks find a sweep row's session by its deposit address,
      -- which sweeps keep in lower case while EVM deposits are stored checksummed: by lower(address).
      CREATE INDEX deposits_chain_lower_address ON deposits (chain_id, lower(address));
      CREATE INDEX abandoned_deposits_chain_lower_address ON abandoned_deposits (chain_id, lower(address));
      -- The merchant page's deposit spends waiting for review, newest first.
      CREATE INDEX sweeps_needs_review ON sweeps (created_at) WHERE status = 'needs_review';
    `,
  },
  {
    version: 27,
    name: 'ledger: treasury funding from outside',
    sql: `
      -- Money the merchant sends into a treasury from outside (TRX for a TRON treasury's top-ups,
      -- treasury/tron-treasury-watch.ts) is a ledger entry of its own kind, booked once per transfer.
      ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_kind_check;
      ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_kind_check CHECK (kind IN ('receipt',
        'receipt_reversal', 'sweep', 'payout_reserve', 'payout_release', 'payout_settle', 'fee',
        'treasury_funding'));
      CREATE UNIQUE INDEX ledger_entries_treasury_funding ON ledger_entries (chain_id, tx_hash, log_index)
        WHERE kind = 'treasury_funding';
    `,
  },
  {
    version: 28,
    name: 'TRON sweep exports: what each export holds until it is confirmed or expires',
    sql: `
      -- TRON (treasury/tron-sweep-reservations.ts): every transaction a sweep --export wrote, so
      -- that a second export leaves out the deposit addresses an earlier one still holds (top-ups
      -- would be paid twice). tx_id is the TRON txID (sha256 of raw_data, known before signing);
      -- address is the deposit address the transaction belongs to (a top-up's recipient, a sweep's
      -- sender). status: 'exported' (holds its address), 'superseded' (--replace exported the
      -- address again: holds nothing, yet can still be broadcast until expires_at), 'confirmed'
      -- (seen on chain by the treasury watch), 'expired' (the settled block passed expires_at
      -- without it). The watch books the transfers themselves (sweeps, ledger) whatever this says.
      CREATE TABLE tron_export_transactions (
        chain_id         bigint NOT NULL,
        export_id        text NOT NULL,
        tx_id            text NOT NULL,
        step             integer NOT NULL,
        purpose          text NOT NULL,
        address          text NOT NULL,
        signer           text NOT NULL,
        from_address     text NOT NULL,
        to_address       text NOT NULL,
        asset            text NOT NULL,
        token_address    text,
        amount_atomic    numeric(78, 0) NOT NULL,
        reference_block  bigint NOT NULL,
        expires_at       timestamptz NOT NULL,
        status           text NOT NULL,
        superseded_by    text,
        seen_tx_hash     text,
        block_number     bigint,
        created_at       timestamptz NOT NULL,
        updated_at       timestamptz NOT NULL,
        PRIMARY KEY (export_id, tx_id)
      );
      CREATE INDEX tron_export_transactions_open ON tron_export_transactions (chain_id, address)
        WHERE status IN ('exported', 'superseded');
      CREATE INDEX tron_export_transactions_tx_id ON tron_export_transactions (chain_id, tx_id);
    `,
  },
  {
    version: 29,
    name: 'xpub-mode EVM sweeps: exported, then found on chain',
    sql: `
      -- An EVM chain in xpub mode (treasury/xpub-sweep-watch.ts): 'sweep --export' records each
      -- unsigned transaction it writes as a row 'exported' (tx_hash: the keccak of the unsigned
      -- transaction, until the signed one is found; relayer_address: the deposit address that signs;
      -- raw_tx: the unsigned transaction; nonce: its nonce), with the block the chain was at when it
      -- was exported: the nonce cannot have been used before it, so the watch looks for the
      -- transaction that used it from there.
      ALTER TABLE sweeps ADD COLUMN export_block bigint;
      CREATE INDEX sweeps_exported ON sweeps (chain_id) WHERE status = 'exported';
    `,
  },
];

/**
 * Brings the schema up to date. Safe to run from several instances at once: an advisory lock makes
 * them take turns, and each migration commits together with its version row.
 */
export async function migrate(db: Database): Promise<number[]> {
  return db.transaction(async (tx) => {
    await lockForTransaction(tx, 'migrations');
    await tx.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)',
    );
    const { rows } = await tx.query<{ version: number }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((row) => row.version));
    const applied: number[] = [];
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, now())', [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    }
    return applied;
  });
}
