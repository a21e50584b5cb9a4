import {
  SESSION_ID_SOURCE,
  type ListSessionsQuery,
  type Session,
  type SessionFilter,
  type SessionList,
} from '@crypto-checkout/protocol';
import { InvalidRequestError } from '../errors.js';
import type { SessionPosition, SessionQuery, SessionStore } from '../store/session-store.js';
import type { SessionService } from './session-service.js';

const CURSOR_VERSION = '1';
const CURSOR_TEXT = new RegExp(`^1:(\\d{1,18}):(${SESSION_ID_SOURCE})$`);
/**
 * The latest position a cursor may hold: 9999-12-31T23:59:59.999999Z in microseconds since the epoch.
 * A cursor beyond it (or before the epoch, which no session is) was not made by this server, and
 * would fail inside PostgreSQL's timestamp arithmetic: it answers 400 instead.
 */
const MAX_CREATED_US = 253_402_300_799_999_999n;

/**
 * Encodes a position in the list as an opaque cursor (base64url). Clients only hand it back; the
 * format may change between versions.
 * @example encodeCursor({ created_us: '1738317600123456', id: 'cs_abc' }) // 'MToxNzM4…'
 */
export function encodeCursor(position: SessionPosition): string {
  return Buffer.from(`${CURSOR_VERSION}:${position.created_us}:${position.id}`, 'utf8').toString('base64url');
}

/** Decodes a cursor made by {@link encodeCursor}; a cursor that is not one answers 400. */
export function decodeCursor(cursor: string): SessionPosition {
  const match = CURSOR_TEXT.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match || BigInt(match[1]!) > MAX_CREATED_US) {
    throw InvalidRequestError.field(
      'cursor',
      'is not a cursor this server made; pass next_cursor of the previous page unchanged',
    );
  }
  return { created_us: match[1]!, id: match[2]! };
}

/** The store's query for the API's filters in one mode. */
function storeQuery(filter: SessionFilter, livemode: boolean): SessionQuery {
  return {
    livemode,
    order_id: filter.order_id,
    statuses: filter.status,
    review: filter.review,
    created_gte: filter.created_gte,
    created_lt: filter.created_lt,
    token: filter.token,
    method: filter.method,
  };
}

/**
 * Lists and exports sessions for reconciliation and support. Every page costs a fixed number of
 * queries (sessions, then their deposits, transfers and the chain cursors), whatever its size, and
 * renders the same merchant views as `GET /v1/sessions/:id`.
 */
export class SessionSearch {
  private readonly store: SessionStore;
  private readonly sessions: SessionService;

  constructor(options: { store: SessionStore; sessions: SessionService }) {
    this.store = options.store;
    this.sessions = options.sessions;
  }

  /** One page of sessions matching `query` in one mode, newest first. */
  async list(query: ListSessionsQuery, livemode: boolean): Promise<SessionList> {
    const after = query.cursor ? decodeCursor(query.cursor) : null;
    const { views, last, hasMore } = await this.page(storeQuery(query, livemode), query.limit, after);
    return { data: views, has_more: hasMore, next_cursor: hasMore && last ? encodeCursor(last) : null };
  }

  /**
   * Every session matching `filter` in one mode, newest first, `pageSize` at a time: memory stays
   * bounded however many there are, and the keyset keeps the walk stable while sessions are created.
   */
  async *all(filter: SessionFilter, livemode: boolean, pageSize = 500): AsyncGenerator<Session[]> {
    const query = storeQuery(filter, livemode);
    let after: SessionPosition | null = null;
    for (;;) {
      const { views, last, hasMore } = await this.page(query, pageSize, after);
      if (views.length) yield views;
      if (!hasMore || !last) return;
      after = last;
    }
  }

  private async page(query: SessionQuery, limit: number, after: SessionPosition | null) {
    // One more than asked tells whether there is a next page without a count query.
    const rows = await this.store.listSessions(query, { limit: limit + 1, after });
    const page = rows.slice(0, limit);
    const bundles = await this.store.loadBundles(
      this.store.db,
      page.map((row) => row.session),
    );
    return {
      views: bundles.map((bundle) => this.sessions.merchantView(bundle)),
      last: page.at(-1)?.position ?? null,
      hasMore: rows.length > limit,
    };
  }
}
