/**
 * The merchant's session routes, behind a secret key: `POST /v1/sessions` (create),
 * `GET /v1/sessions` (list and search, cursor pagination), `GET /v1/sessions/export.csv` (the same
 * filters, every page, as CSV for finance) and `POST /v1/sessions/:id/cancel`. A key sees only its
 * mode's sessions. Both `POST`s take an `Idempotency-Key` (see {@link Idempotency}).
 * @module
 */
import { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  createSessionRequestSchema,
  exportSessionsQuerySchema,
  listSessionsQuerySchema,
  SESSION_EXPORT_COLUMNS,
  sessionIdSchema,
  sessionListSchema,
  sessionSchema,
} from '@crypto-checkout/protocol';
import type { Authenticator } from '../../../auth.js';
import { idempotencyHeadersSchema, type Idempotency } from '../../../idempotency.js';
import { errors, json, raw, security } from '../../../openapi.js';
import { SESSION_CSV_HEADER, sessionCsvRecords } from '../../../sessions/session-csv.js';
import type { SessionSearch } from '../../../sessions/session-search.js';
import type { SessionService } from '../../../sessions/session-service.js';
import { findSessionFor, merchantOf, secretKeyHook } from '../../auth-hooks.js';

/** What the merchant's session routes need. */
export interface SessionRoutesOptions {
  auth: Authenticator;
  sessions: SessionService;
  search: SessionSearch;
  idempotency: Idempotency;
}

/** `:id` of `/v1/sessions/:id…`. */
export const sessionIdParams = z.object({ id: sessionIdSchema.describe('The session id (`cs_…`).') });

const CSV_COLUMNS_TABLE = [
  '| column | meaning |',
  '| --- | --- |',
  ...SESSION_EXPORT_COLUMNS.map(([name, meaning]) => `| \`${name}\` | ${meaning} |`),
].join('\n');

/** The merchant's session routes; register with the prefix `/v1/sessions`. */
export const sessionRoutes: FastifyPluginAsyncZod<SessionRoutesOptions> = async (app, options) => {
  const { auth, sessions, search, idempotency } = options;
  app.addHook('onRequest', secretKeyHook(auth));

  app.post(
    '',
    {
      schema: {
        operationId: 'createSession',
        tags: ['Sessions'],
        summary: 'Create a session',
        description:
          'Creates a checkout session and answers the merchant view, whose `client_secret` is all the ' +
          'browser gets. The key decides the mode: `sk_live_…` creates live sessions, `sk_test_…` test ones.',
        security: security('secretKey'),
        headers: idempotencyHeadersSchema,
        body: createSessionRequestSchema,
        response: {
          201: json(
            sessionSchema,
            'The new session (merchant view). Embed the element with its `client_secret`, or redirect the ' +
              'buyer to its `checkout_url`.',
          ),
          ...errors(400, 401, 403, 409, 413, 415, 422),
        },
      },
    },
    async (request, reply) => {
      const merchant = merchantOf(request);
      return idempotency.respond(request, reply, merchant, async (commit) => {
        const session = await sessions.create(request.body, {
          livemode: merchant.mode === 'live',
          // Without an Idempotency-Key there is no answer to store: the create then needs no
          // transaction and joins the group commit of the creates arriving meanwhile.
          within: commit ? (tx, view) => commit(tx, { status: 201, body: view }) : undefined,
        });
        // The request's last lines (its answer) carry the new session's id, as later requests about it do.
        request.log = request.log.child({ session_id: session.id });
        return { status: 201, body: session };
      });
    },
  );

  app.get(
    '',
    {
      schema: {
        operationId: 'listSessions',
        tags: ['Reconciliation'],
        summary: 'List and search sessions',
        description:
          "Sessions of the key's mode, newest first, narrowed by every filter given. Follow `next_cursor` " +
          '(pass it as `cursor`, with the same filters) until `has_more` is false: pages neither repeat ' +
          'nor skip a session while new ones are created.',
        security: security('secretKey'),
        querystring: listSessionsQuerySchema,
        response: { 200: json(sessionListSchema, 'One page of merchant views.'), ...errors(400, 401, 403) },
      },
    },
    async (request) => search.list(request.query, merchantOf(request).mode === 'live'),
  );

  app.get(
    '/export.csv',
    {
      schema: {
        operationId: 'exportSessions',
        tags: ['Reconciliation'],
        summary: 'Export sessions and their payments as CSV',
        description:
          'Every session matching the filters (the same as the list), newest first, streamed as CSV ' +
          '(RFC 4180, UTF-8, CRLF line ends) for finance: one row per transfer to the deposit address and ' +
          'one row for a session that received nothing. Session columns repeat on each of its rows. ' +
          'Amounts are decimal strings. A cell starting with `=`, `+`, `-` or `@` gets a leading ' +
          'apostrophe so that spreadsheets do not run it as a formula.\n\n' +
          CSV_COLUMNS_TABLE,
        security: security('secretKey'),
        querystring: exportSessionsQuerySchema,
        response: {
          200: raw('text/csv', 'The CSV file, as an attachment.', {
            example: SESSION_CSV_HEADER,
            headers: {
              'Content-Disposition': {
                type: 'string',
                description: '`attachment; filename="sessions-<mode>-<time>.csv"`',
              },
            },
          }),
          ...errors(400, 401, 403),
        },
      },
    },
    async (request, reply) => {
      const { mode } = merchantOf(request);
      const pages = search.all(request.query, mode === 'live');
      // The first page is read before answering, so that a failing query is still a clean error
      // response; after the headers are out, a failure can only cut the download short.
      const first = await pages.next();
      async function* csv() {
        yield SESSION_CSV_HEADER;
        if (first.done) return;
        yield first.value.map(sessionCsvRecords).join('');
        for await (const page of pages) yield page.map(sessionCsvRecords).join('');
      }
      const stamp = new Date().toISOString().slice(0, 19).replaceAll(':', '').replace('T', '-');
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="sessions-${mode}-${stamp}.csv"`)
        .header('cache-control', 'no-store')
        .send(Readable.from(csv(), { objectMode: false }));
    },
  );

  app.post(
    '/:id/cancel',
    {
      schema: {
        operationId: 'cancelSession',
        tags: ['Sessions'],
        summary: 'Cancel a session',
        description:
          'Allowed while nothing was received; a session that received a transfer answers ' +
          '`409 session_not_cancelable`. Canceling a canceled session answers it again. Only the ' +
          "merchant cancels: the buyer's client secret answers 403.",
        security: security('secretKey'),
        params: sessionIdParams,
        headers: idempotencyHeadersSchema,
        response: {
          200: json(sessionSchema, 'The canceled session (merchant view).'),
          ...errors(400, 401, 403, 404, 409, 422),
        },
      },
    },
    async (request, reply) => {
      const merchant = merchantOf(request);
      // Canceling is safe to repeat, so its answer is stored after it rather than in its transaction.
      return idempotency.respond(request, reply, merchant, async () => {
        const bundle = await findSessionFor(sessions, request.params.id, merchant);
        return { status: 200, body: await sessions.cancel(bundle.session.id) };
      });
    },
  );
};
