import { z } from 'zod';
import { pageCursorSchema } from './paging.js';
import { repeatableParameters } from './query.js';
import { methodIdSchema, sessionSchema } from './session.js';
import { SESSION_STATUSES, type SessionStatus } from './statuses.js';

/** The query string arrives as strings; a repeated parameter (`?status=a&status=b`) as an array. */
const joinRepeated = (value: unknown) => (Array.isArray(value) ? value.join(',') : value);

/**
 * One status or several, comma-separated (`paid,overpaid`) or repeated (`status=paid&status=overpaid`),
 * each from the status vocabulary. Parsed into a list without duplicates.
 */
export const statusListSchema = z.preprocess(
  joinRepeated,
  z
    .string()
    .meta({
      description: `One status or several, comma-separated: ${SESSION_STATUSES.join(', ')}.`,
      examples: ['paid,overpaid'],
    })
    .transform((value, ctx): SessionStatus[] => {
      const parts = value.split(',').map((part) => part.trim());
      const unknown = parts.filter((part) => !(SESSION_STATUSES as readonly string[]).includes(part));
      if (unknown.length) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown status ${unknown.map((s) => JSON.stringify(s)).join(', ')}; use one or several of ${SESSION_STATUSES.join(', ')}, comma-separated`,
        });
        return z.NEVER;
      }
      return [...new Set(parts as SessionStatus[])];
    }),
);
repeatableParameters.add(statusListSchema);

/** The years PostgreSQL's timestamps and ISO 8601's four digits share, less year 0 which PostgreSQL lacks. */
const MIN_DATE_BOUND = new Date('0001-01-01T00:00:00Z');
const MAX_DATE_BOUND = new Date('+010000-01-01T00:00:00Z');

/**
 * A point in time for a date filter: an ISO date (`2025-01-31`, midnight UTC) or an ISO date-time
 * with `Z` or an offset (`2025-01-31T12:00:00+01:00`). Times without an offset are refused because
 * they would mean different moments on different servers.
 */
export const dateBoundSchema = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })], {
    error: 'must be an ISO date ("2025-01-31") or date-time with offset ("2025-01-31T12:00:00Z")',
  })
  .transform((value) => new Date(value.length === 10 ? `${value}T00:00:00Z` : value))
  // An offset can push 0000-01-01 or 9999-12-31 out of the years PostgreSQL and ISO 8601 share.
  .refine((date) => date >= MIN_DATE_BOUND && date < MAX_DATE_BOUND, {
    message: 'must be between 0001-01-01 and 9999-12-31 (UTC)',
  });

/**
 * Filters shared by `GET /v1/sessions` and `GET /v1/sessions/export.csv`. Every filter narrows the
 * result (they combine with AND); a key only ever sees sessions of its own mode (test or live).
 */
export const sessionFilterSchema = z.strictObject({
  order_id: z
    .string()
    .min(1)
    .max(200)
    .describe("The merchant's order reference, matched exactly.")
    .optional(),
  status: statusListSchema.optional(),
  review: z
    .enum(['true', 'false'])
    .describe('`true`: only sessions with `review_reasons`; `false`: only sessions without.')
    .transform((value) => value === 'true')
    .optional(),
  created_gte: dateBoundSchema
    .describe('Created at or after this time: an ISO date (midnight UTC) or date-time with offset.')
    .optional(),
  created_lt: dateBoundSchema
    .describe('Created before this time: an ISO date (midnight UTC) or date-time with offset.')
    .optional(),
  token: z
    .string()
    .regex(/^[A-Za-z0-9.]{1,16}$/, 'must be a token symbol such as "USDC"')
    .describe('Symbol of the chosen token, case-insensitive, on any network, e.g. `USDC`.')
    .optional(),
  method: methodIdSchema.describe('The chosen payment method, e.g. `usdc@base`.').optional(),
});

/** Filters of the session list and export, as parsed (statuses as a list, dates as `Date`). */
export type SessionFilter = z.output<typeof sessionFilterSchema>;

/** Query of `GET /v1/sessions`: the filters, a page size and the cursor of the previous page. */
export const listSessionsQuerySchema = sessionFilterSchema.extend({
  limit: z.coerce.number().int().min(1).max(100).default(20).describe('Sessions per page, 1–100.'),
  cursor: pageCursorSchema.optional(),
});

/** Query of `GET /v1/sessions`, as parsed. */
export type ListSessionsQuery = z.output<typeof listSessionsQuerySchema>;

/** Query of `GET /v1/sessions/export.csv`: the same filters as the list, without paging. */
export const exportSessionsQuerySchema = sessionFilterSchema;

/**
 * A page of sessions, newest first (by `created_at`, then `id`). Pages are stable while sessions are
 * created: following `next_cursor` never repeats or skips a session that existed when the first page
 * was read.
 */
export const sessionListSchema = z.object({
  /** Merchant views of the sessions on this page. */
  data: z.array(sessionSchema),
  /** Whether there are more sessions after this page. */
  has_more: z.boolean(),
  /** Pass as `cursor` to get the next page; `null` on the last page. */
  next_cursor: z.string().nullable(),
});

/** A page of sessions. */
export type SessionList = z.infer<typeof sessionListSchema>;

/**
 * Columns of the CSV export (`GET /v1/sessions/export.csv`), in order. One row per transfer to the
 * session's deposit address, and one row (with empty transfer columns) for a session without any.
 * Session columns repeat on every row of their session: sum `transfer_amount`, not `amount_received`.
 */
export const SESSION_EXPORT_COLUMNS = [
  ['session_id', 'session id (`cs_…`)'],
  ['order_id', "the merchant's order reference"],
  ['status', 'session status'],
  ['review_reasons', 'review reasons, separated by spaces'],
  ['livemode', '`true` for live mode, `false` for test mode'],
  ['created_at', 'when the session was created (ISO 8601, UTC)'],
  ['expires_at', 'when the session expires or expired'],
  ['paid_at', 'when it became paid'],
  ['canceled_at', 'when the merchant canceled it'],
  ['fiat_amount', 'price, decimal string'],
  ['fiat_currency', 'currency of the price'],
  ['method', 'chosen method, e.g. `usdc@base`'],
  ['network', 'network of the chosen method'],
  ['chain_id', 'chain id of the chosen method'],
  ['token', 'token of the chosen method'],
  ['amount_due', 'token units due'],
  ['rate', 'session currency per whole token, as locked (or last requoted)'],
  ['rate_locked_until', 'when that rate lock ends; empty for a fixed rate'],
  ['rate_sources', 'the quotes the rate was made from, as JSON `[{source, rate, at}]`'],
  ['amount_received', 'confirmed token units received (the whole session)'],
  ['amount_remaining', 'token units still due'],
  ['amount_overpaid', 'token units received beyond the amount due'],
  ['deposit_address', 'the deposit address'],
  ['tx_hash', 'transaction hash of the transfer'],
  ['log_index', 'log index of the ERC-20 transfer (empty for native coins)'],
  ['block_number', 'block of the transfer'],
  ['transfer_network', 'network the transfer was made on'],
  ['transfer_chain_id', 'chain id the transfer was made on'],
  ['transfer_token', 'token sent'],
  ['transfer_amount', 'token units of this transfer'],
  ['from_address', 'sender'],
  ['confirmations', 'confirmations when exported'],
  ['confirmations_required', 'confirmations the transfer needs'],
  ['expected', '`true` if it is the chosen token on the chosen network (only those count)'],
  ['late', '`true` if it arrived after expiry or cancellation'],
  ['transfer_to', 'the deposit address the transfer was sent to'],
  [
    'abandoned_address',
    '`true` if it was sent to the address of a method the buyer went back from (never counts; review)',
  ],
  ['transfer_time', 'block time of the transfer'],
  ['seen_at', 'when the server first saw the transfer'],
  ['metadata', "the merchant's metadata, as JSON"],
] as const;

/** Name of a column of the CSV export. */
export type SessionExportColumn = (typeof SESSION_EXPORT_COLUMNS)[number][0];
