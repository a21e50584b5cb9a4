import assert from 'node:assert/strict';
import type { BuyerSession, Session } from '@crypto-checkout/protocol';

import { waitFor } from './wait-for.js';

export { waitFor };

/** Waits until `count` sessions of the database are `paid` (the watcher has seen every payment). */
export async function waitForPaid(
  db: { query<R>(sql: string): Promise<{ rows: R[] }> },
  count: number,
  ms = 30_000,
): Promise<void> {
  await waitFor(
    async () => {
      const { rows } = await db.query<{ n: string }>(
        `SELECT count(*) AS n FROM sessions WHERE status = 'paid'`,
      );
      return Number(rows[0]!.n) === count;
    },
    ms,
    `${count} sessions paid`,
  );
}

/** The buyer chooses `method` for a session (with its client secret), as the element does. */
export async function choose(apiUrl: string, session: Session, method: string): Promise<BuyerSession> {
  const response = await fetch(`${apiUrl}/v1/sessions/${session.id}/payment`, {
    method: 'POST',
    headers: { authorization: `Bearer ${session.client_secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({ method }),
  });
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as BuyerSession;
}

/** The merchant's view of a session over HTTP. */
export async function view(apiUrl: string, secretKey: string, id: string): Promise<Session> {
  const response = await fetch(`${apiUrl}/v1/sessions/${id}`, {
    headers: { authorization: `Bearer ${secretKey}` },
  });
  assert.equal(response.status, 200);
  return (await response.json()) as Session;
}

/**
 * Calls the API over HTTP with a bearer token, JSON in and out; fails the test (with the answer's
 * status and body) unless it is 2xx.
 */
export async function callApi<T>(
  url: string,
  key: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}
