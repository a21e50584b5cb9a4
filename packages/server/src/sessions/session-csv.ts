import {
  SESSION_EXPORT_COLUMNS,
  type Session,
  type SessionExportColumn,
  type Transfer,
} from '@crypto-checkout/protocol';

/**
 * Characters that make a spreadsheet read a cell as a formula (`=`, `+`, `-`, `@`) or that some
 * spreadsheets strip before doing so (tab, carriage return).
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV field: RFC 4180 quoting (a field with a comma, quote, CR or LF is quoted and its quotes
 * doubled) and formula neutralisation. The order id and metadata come from the merchant's systems,
 * which may have copied them from a buyer: a cell like `=HYPERLINK(…)` would run when finance opens
 * the file, so such a cell gets a leading apostrophe, which spreadsheets show as text (OWASP's advice
 * for CSV injection). No column holds negative numbers, so nothing legitimate is changed.
 * @example csvField('=1+1') // "'=1+1"
 * @example csvField('a,"b"') // '"a,""b"""'
 */
export function csvField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV record with its CRLF line end (RFC 4180). */
export function csvRecord(fields: readonly (string | number | boolean | null | undefined)[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

/** The header record of the export. */
export const SESSION_CSV_HEADER = csvRecord(SESSION_EXPORT_COLUMNS.map(([name]) => name));

type Row = Record<SessionExportColumn, string | number | boolean | null>;

/**
 * The export's records for one session (merchant view): one per transfer, or one with empty transfer
 * columns when nothing was received. Amounts are the views' decimal strings, never floats.
 */
export function sessionCsvRecords(session: Session): string {
  const payment = session.payment;
  const sessionColumns: Omit<Row, TransferColumn> = {
    session_id: session.id,
    order_id: session.order_id,
    status: session.status,
    review_reasons: session.review_reasons.join(' '),
    livemode: session.livemode,
    created_at: session.created_at,
    expires_at: session.expires_at,
    paid_at: session.paid_at,
    canceled_at: session.canceled_at,
    fiat_amount: session.amount,
    fiat_currency: session.currency,
    method: payment?.id ?? null,
    network: payment?.network ?? null,
    chain_id: payment?.chain_id ?? null,
    token: payment?.token ?? null,
    amount_due: payment?.amount_due ?? null,
    rate: payment?.rate ?? null,
    rate_locked_until: payment?.rate_locked_until ?? null,
    // JSON, so accounting can reconstruct the conversion from each source's quote and time.
    rate_sources: payment?.rate_sources.length ? JSON.stringify(payment.rate_sources) : null,
    amount_received: session.amount_received,
    amount_remaining: session.amount_remaining,
    amount_overpaid: session.amount_overpaid,
    deposit_address: payment?.address ?? null,
    metadata: Object.keys(session.metadata).length ? JSON.stringify(session.metadata) : null,
  };
  const transfers: (Transfer | null)[] = session.transfers.length ? session.transfers : [null];
  return transfers
    .map((transfer) => {
      const row: Row = { ...sessionColumns, ...transferColumns(transfer) };
      return csvRecord(SESSION_EXPORT_COLUMNS.map(([name]) => row[name]));
    })
    .join('');
}

type TransferColumn =
  | 'tx_hash'
  | 'log_index'
  | 'block_number'
  | 'transfer_network'
  | 'transfer_chain_id'
  | 'transfer_token'
  | 'transfer_amount'
  | 'from_address'
  | 'confirmations'
  | 'confirmations_required'
  | 'expected'
  | 'late'
  | 'transfer_to'
  | 'abandoned_address'
  | 'transfer_time'
  | 'seen_at';

function transferColumns(t: Transfer | null): Pick<Row, TransferColumn> {
  return {
    tx_hash: t?.tx_hash ?? null,
    log_index: t?.log_index ?? null,
    block_number: t?.block_number ?? null,
    transfer_network: t?.network ?? null,
    transfer_chain_id: t?.chain_id ?? null,
    transfer_token: t?.token ?? null,
    transfer_amount: t?.amount ?? null,
    from_address: t?.from ?? null,
    confirmations: t?.confirmations ?? null,
    confirmations_required: t?.confirmations_required ?? null,
    expected: t?.expected ?? null,
    late: t?.late ?? null,
    transfer_to: t?.to ?? null,
    abandoned_address: t?.abandoned_address ?? null,
    transfer_time: t?.block_time ?? null,
    seen_at: t?.seen_at ?? null,
  };
}
