import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { exportSessionsQuerySchema, listSessionsQuerySchema } from '@crypto-checkout/protocol';
import { requireMerchant, type Authenticator } from '../auth.js';
import { ApiError } from '../errors.js';
import { SESSION_CSV_HEADER, sessionCsvRecords } from '../sessions/session-csv.js';
import type { SessionSearch } from '../sessions/session-search.js';

/**
 * Parses a query string with `schema`; a bad or unknown parameter answers 400 `invalid_request`
 * naming every parameter that failed.
 */
function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.output<S> {
  const result = schema.safeParse(query ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) =>
    issue.code === 'unrecognized_keys'
      ? { path: issue.keys.join(','), message: 'unknown parameter' }
      : { path: issue.path.join('.') || '(query)', message: issue.message },
  );
  throw new ApiError(400, 'invalid_request', issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
}

/**
 * `GET /v1/sessions` (list and search, cursor pagination) and `GET /v1/sessions/export.csv` (the same
 * filters, every page, as CSV for finance). Both need a secret key and see only its mode's sessions.
 */
export function registerSessionListRoutes(
  server: FastifyInstance,
  deps: { auth: Authenticator; search: SessionSearch },
): void {
  const { auth, search } = deps;

  server.get('/v1/sessions', async (request) => {
    const merchant = await requireMerchant(auth, request.headers.authorization, 'listing sessions');
    const query = parseQuery(listSessionsQuerySchema, request.query);
    return search.list(query, merchant.mode === 'live');
  });

  server.get('/v1/sessions/export.csv', async (request, reply) => {
    const merchant = await requireMerchant(auth, request.headers.authorization, 'exporting sessions');
    const filter = parseQuery(exportSessionsQuerySchema, request.query);
    const pages = search.all(filter, merchant.mode === 'live');
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
      .header('content-disposition', `attachment; filename="sessions-${merchant.mode}-${stamp}.csv"`)
      .header('cache-control', 'no-store')
      .send(Readable.from(csv(), { objectMode: false }));
  });
}
