/**
 * The merchant page, `/merchant`: balances, the payouts waiting for approval (approve, cancel), the
 * deposit spends waiting for review (money that left a deposit address for somewhere other than the
 * treasury), the xpub-mode sweeps exported and awaiting the merchant's signature, the transactions of
 * TRON `sweep --export` files not yet seen on chain (superseded ones too, while a signed copy could
 * still be broadcast), recent sweeps of every rail (EVM forwarder, adopted, xpub, UTXO, TRON) with their status, recent
 * payouts, the sessions for review and the latest sessions — server-rendered HTML, no script. Every
 * value shown is escaped: addresses, review reasons and references come from the chain or the API.
 *
 * How a browser holds the secret key: it does not. The sign-in form posts the key once; the server
 * identifies it like any API call and answers a cookie with a random token (only its SHA-256 is
 * stored, in `merchant_sessions`, with the key's id, mode and scopes and an expiry of 30 minutes).
 * The cookie is `HttpOnly` (no script reads it), `SameSite=Strict` (no other site's page sends it),
 * `Path=/merchant`, and `Secure` when the request came over https. Every form that changes something
 * also carries the session's CSRF token, compared in constant time — a second lock should a browser
 * not honour SameSite — and a cross-origin `Origin` is refused. The page is sent with a CSP that
 * allows no script at all, `X-Frame-Options: DENY` (no clickjacking of the approve buttons) and
 * `Cache-Control: no-store`. A key revoked after sign-in ends the session at the next request.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { parse as parseQuery } from 'node:querystring';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listSessionsQuerySchema, payoutIdSchema } from '@crypto-checkout/protocol';
import { secretsEqual, type Authenticator, type MerchantCaller } from '../../auth.js';
import type { Config } from '../../config.js';
import { ApiError } from '../../errors.js';
import { hasScope, type KeyScope } from '../../keys/key-scopes.js';
import { parseConfiguredKey } from '../../keys/secret-key.js';
import { formatAtomic } from '../../money.js';
import { errors, raw, security } from '../../openapi.js';
import type { SessionSearch } from '../../sessions/session-search.js';
import type { ApiKeyStore } from '../../store/api-key-store.js';
import { SweepStore } from '../../store/sweep-store.js';
import type { Ledger } from '../../treasury/ledger.js';
import { openTronExports } from '../../treasury/tron-sweep-reservations.js';
import { payoutView, type Payouts } from '../../treasury/payouts.js';
import { sweepRailOf, sweepStatusOf } from '../../webhooks/sweep-webhooks.js';
import { escapeHtml } from '../checkout/index.js';

/** How long a sign-in lasts. */
export const MERCHANT_SESSION_MS = 30 * 60 * 1000;
/** The cookie's name. */
export const MERCHANT_COOKIE = 'cc_merchant';

/** What the merchant page needs. */
export interface MerchantPageOptions {
  config: Config;
  auth: Authenticator;
  apiKeys: ApiKeyStore;
  ledger: Ledger;
  payouts: Payouts;
  search: SessionSearch;
  clock?: (() => Date) | undefined;
}

interface SignedIn {
  caller: MerchantCaller;
  csrf: string;
}

const hash = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

const CSP =
  "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const CSS = `body{font:15px/1.45 system-ui,sans-serif;margin:0;background:#f3f4f6;color:#111827}
main{max-width:64rem;margin:0 auto;padding:1rem}h1{font-size:1.3rem}h2{font-size:1.05rem;margin-top:1.6rem}
table{border-collapse:collapse;width:100%;background:#fff}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e5e7eb;font-variant-numeric:tabular-nums}
td.num{text-align:right}form.inline{display:inline}button{font:inherit;padding:.2rem .6rem}
.msg{padding:.6rem;background:#fef3c7;border:1px solid #f59e0b}code{font-size:.85em;overflow-wrap:anywhere}`;

/** The page around a body. */
function document(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title><style>${CSS}</style></head><body><main>${body}</main></body></html>`;
}

/** The sign-in form (and why the last try failed). */
function signInPage(message?: string): string {
  return document(
    'Sign in — merchant',
    `<h1>Merchant sign-in</h1>${message ? `<p class="msg" role="alert">${escapeHtml(message)}</p>` : ''}
<form method="post" action="/merchant/login"><label>Secret key <input name="key" type="password" autocomplete="off" required size="50"></label> <button>Sign in</button></form>
<p>The key is sent once; the browser then holds a 30-minute session cookie, never the key.</p>`,
  );
}

/** The merchant page; register with the prefix `/merchant`. */
export const merchantPageRoutes: FastifyPluginAsyncZod<MerchantPageOptions> = async (app, options) => {
  const { auth, ledger, payouts, search, config, apiKeys } = options;
  const clock = options.clock ?? (() => new Date());
  const db = ledger.db;
  const sweeps = new SweepStore(db);
  const chainName = (id: number) => config.chains.find((c) => c.id === id)?.key ?? String(id);
  /** A sweep row's amount with its asset: what reached the treasury once confirmed, else what it spends. */
  const sweptAmount = (row: {
    chain_id: number;
    token_address: string | null;
    token_symbol: string;
    status: string;
    planned_atomic: bigint;
    amount_atomic: bigint | null;
  }) => {
    const method = ledger.methodOf(row.chain_id, row.token_address);
    const atomic = row.status === 'confirmed' ? (row.amount_atomic ?? 0n) : row.planned_atomic;
    return {
      asset: method?.id ?? `${row.token_symbol.toLowerCase()}@${row.chain_id}`,
      atomic,
      decimals: method?.decimals ?? 0,
    };
  };

  // Forms post application/x-www-form-urlencoded: parsed here only, for these routes.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 4096 },
    (_req, body, done) => {
      const parsed = parseQuery(body as string);
      done(
        null,
        Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v])),
      );
    },
  );

  const send = (reply: FastifyReply, status: number, html: string) =>
    reply
      .status(status)
      .headers({
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': CSP,
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-store',
      })
      .send(html);

  const cookieOf = (request: FastifyRequest): string | null => {
    for (const part of (request.headers.cookie ?? '').split(';')) {
      const [name, ...value] = part.trim().split('=');
      if (name === MERCHANT_COOKIE) return value.join('=');
    }
    return null;
  };

  /** Whether the key behind a sign-in still works: configured still, or in the table and not revoked. */
  const keyStillValid = async (keyId: string) => {
    if (config.secret_keys.some((entry) => parseConfiguredKey(entry).id === keyId)) return true;
    const record = (await apiKeys.list()).find((k) => k.id === keyId);
    return !!record && !record.revoked_at;
  };

  const signedIn = async (request: FastifyRequest): Promise<SignedIn | null> => {
    const token = cookieOf(request);
    if (!token || !/^[A-Za-z0-9_-]{20,100}$/.test(token)) return null;
    const { rows } = await db.query<{
      key_id: string;
      mode: 'test' | 'live';
      scopes: KeyScope[] | null;
      csrf_token: string;
    }>(
      'SELECT key_id, mode, scopes, csrf_token FROM merchant_sessions WHERE token_hash = $1 AND expires_at > $2',
      [hash(token), clock()],
    );
    const row = rows[0];
    if (!row || !(await keyStillValid(row.key_id))) return null;
    return {
      caller: { kind: 'merchant', mode: row.mode, keyId: row.key_id, scopes: row.scopes },
      csrf: row.csrf_token,
    };
  };

  /** A form post must come from this origin (when the browser says) and carry the session's CSRF token. */
  const checkForm = (request: FastifyRequest, session: SignedIn): boolean => {
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== 'null') {
      const host = request.headers.host;
      if (!host || new URL(origin).host !== host) return false;
    }
    const given = (request.body as Record<string, unknown> | undefined)?.csrf;
    return typeof given === 'string' && secretsEqual(given, session.csrf);
  };

  const page = async (session: SignedIn, message?: string) => {
    const live = session.caller.mode === 'live';
    const balances = await ledger.balances(db, live);
    const waiting = await payouts.list(live, { status: 'needs_approval', limit: 100 });
    const recent = await payouts.list(live, { limit: 20 });
    const review = await search.list(listSessionsQuerySchema.parse({ limit: '20', review: 'true' }), live);
    const latest = await search.list(listSessionsQuerySchema.parse({ limit: '20' }), live);
    const spends = await sweeps.listForMode(live, { status: 'needs_review', limit: 100 });
    // xpub-mode EVM exports not found on chain yet: the merchant still has to sign (or they are unconfirmed).
    const exported = await sweeps.listForMode(live, { status: 'exported', limit: 100 });
    // TRON exports not seen on chain, nor expired: the top-ups and sweeps still to sign and broadcast.
    const tronExported = await openTronExports(db, live, 200);
    // The 20 newest sweep transactions: their rows (a batch has one per deposit address and asset).
    const sweepTxs = new Map<string, Awaited<ReturnType<typeof sweeps.listForMode>>>();
    for (const row of await sweeps.listForMode(live, { limit: 500 })) {
      const key = `${row.chain_id}:${row.tx_hash}`;
      if (!sweepTxs.has(key) && sweepTxs.size === 20) continue;
      sweepTxs.set(key, [...(sweepTxs.get(key) ?? []), row]);
    }
    const csrf = escapeHtml(session.csrf);
    const canApprove = hasScope(session.caller, 'approve');
    const canCancel = canApprove || hasScope(session.caller, 'write');
    const action = (id: string, verb: 'approve' | 'cancel') =>
      `<form class="inline" method="post" action="/merchant/payouts/${escapeHtml(id)}/${verb}"><input type="hidden" name="csrf" value="${csrf}"><button>${verb === 'approve' ? 'Approve' : 'Cancel'}</button></form>`;
    const rows = (cells: string[][]) =>
      cells.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('');
    const payoutRow = (p: ReturnType<typeof payoutView>, actions: boolean) => [
      `<code>${escapeHtml(p.id)}</code>`,
      escapeHtml(p.status),
      escapeHtml(`${p.amount} ${p.asset}`),
      escapeHtml(p.fiat_value === null ? '—' : `${p.fiat_value} ${p.fiat_currency}`),
      `<code>${escapeHtml(p.destination)}</code>`,
      escapeHtml(p.requested_by),
      actions
        ? [
            canApprove && p.requested_by !== session.caller.keyId ? action(p.id, 'approve') : '',
            canCancel ? action(p.id, 'cancel') : '',
          ].join(' ')
        : escapeHtml(p.tx_hash ?? ''),
    ];
    const sessionRow = (s: (typeof latest.data)[number]) => [
      `<code>${escapeHtml(s.id)}</code>`,
      escapeHtml(s.status),
      escapeHtml(`${s.amount} ${s.currency}`),
      escapeHtml(s.order_id ?? ''),
      escapeHtml(s.review_reasons.join(', ')),
      escapeHtml(s.created_at),
    ];
    return document(
      'Merchant',
      `<h1>Merchant (${live ? 'live' : 'test'} mode, key <code>${escapeHtml(session.caller.keyId)}</code>)</h1>
<form method="post" action="/merchant/logout"><input type="hidden" name="csrf" value="${csrf}"><button>Sign out</button></form>
${message ? `<p class="msg" role="status">${escapeHtml(message)}</p>` : ''}
<h2>Balances</h2><table><thead><tr><th>Asset</th><th>Received</th><th>In deposit addresses</th><th>In treasury</th><th>Pending payouts</th><th>Available</th></tr></thead><tbody>${rows(
        balances.map((b) => [
          escapeHtml(b.asset),
          ...[b.received, b.in_deposit_addresses, b.in_treasury, b.pending_payouts, b.available].map((v) =>
            escapeHtml(formatAtomic(v, b.decimals)),
          ),
        ]),
      )}</tbody></table>
<h2>Payouts awaiting approval (${waiting.length})</h2><table><thead><tr><th>Payout</th><th>Status</th><th>Amount</th><th>Value</th><th>Destination</th><th>Asked by</th><th></th></tr></thead><tbody>${rows(
        waiting.map((p) => payoutRow(payoutView(p), true)),
      )}</tbody></table>
<h2>Deposit spends for review (${spends.length})</h2>
<p>Money that left a deposit address for somewhere other than the treasury: not booked as a sweep, still counted in the deposit addresses until a person looks (reconcile shows it too).</p><table><thead><tr><th>Transaction</th><th>Chain</th><th>From deposit</th><th>Session</th><th>Amount</th><th>What left, and where</th><th>Seen</th></tr></thead><tbody>${rows(
        spends.map((r) => {
          const amount = sweptAmount(r);
          return [
            `<code>${escapeHtml(r.tx_hash)}</code>`,
            escapeHtml(chainName(r.chain_id)),
            `<code>${escapeHtml(r.address)}</code>`,
            `<code>${escapeHtml(r.session_id)}</code>`,
            escapeHtml(`${formatAtomic(amount.atomic, amount.decimals)} ${amount.asset}`),
            escapeHtml(r.review_reason ?? ''),
            escapeHtml(r.created_at.toISOString()),
          ];
        }),
      )}</tbody></table>
<h2>Sweeps exported, awaiting signature (${exported.length})</h2>
<p>Unsigned transactions written by <code>sweep --export</code> for a chain in xpub mode: each is booked once the transaction that uses its nonce has the chain's confirmations. A newer export of the same address replaces them.</p><table><thead><tr><th>From deposit</th><th>Chain</th><th>Nonce</th><th>Session</th><th>Amount</th><th>To</th><th>Exported</th></tr></thead><tbody>${rows(
        exported.map((r) => {
          const amount = sweptAmount(r);
          return [
            `<code>${escapeHtml(r.address)}</code>`,
            escapeHtml(chainName(r.chain_id)),
            escapeHtml(String(r.nonce)),
            `<code>${escapeHtml(r.session_id)}</code>`,
            escapeHtml(`${formatAtomic(amount.atomic, amount.decimals)} ${amount.asset}`),
            `<code>${escapeHtml(r.treasury_address)}</code>`,
            escapeHtml(r.created_at.toISOString()),
          ];
        }),
      )}</tbody></table>
<h2>TRON sweeps exported, awaiting signature (${tronExported.length})</h2>
<p>Transactions of TRON <code>sweep --export</code> files not yet seen on chain: sign and broadcast each file in its steps' order (a top-up is TRX from the treasury for its sweep's energy). Each is booked when the treasury watch sees it; unsent past its expiry, java-tron refuses it and its deposit address is free for the next export. A transaction superseded by <code>--replace</code> is listed until it expires: a copy already signed can still be broadcast until then.</p><table><thead><tr><th>Export</th><th>Step</th><th>Purpose</th><th>Chain</th><th>Signer</th><th>From → to</th><th>Amount</th><th>Status</th><th>Expires</th></tr></thead><tbody>${rows(
        tronExported.map((t) => [
          `<code>${escapeHtml(t.export_id)}</code>`,
          escapeHtml(String(t.step)),
          escapeHtml(t.purpose === 'top_up' ? 'top-up' : 'sweep'),
          escapeHtml(chainName(t.chain_id)),
          `<code>${escapeHtml(t.signer)}</code>`,
          `<code>${escapeHtml(t.from)}</code> → <code>${escapeHtml(t.to)}</code>`,
          escapeHtml(`${formatAtomic(t.amount_atomic, ledger.method(t.asset)?.decimals ?? 0)} ${t.asset}`),
          escapeHtml(
            t.status === 'superseded'
              ? `superseded by ${t.superseded_by ?? 'a later export'}: can still be broadcast until it expires`
              : 'exported (awaiting signature)',
          ),
          escapeHtml(t.expires_at.toISOString()),
        ]),
      )}</tbody></table>
<h2>Recent sweeps</h2><table><thead><tr><th>Transaction</th><th>Chain</th><th>Rail</th><th>Status</th><th>Deposits</th><th>Amount</th><th>To</th><th>Block</th></tr></thead><tbody>${rows(
        [...sweepTxs.values()].map((group) => {
          const first = group[0]!;
          const totals = new Map<string, { atomic: bigint; decimals: number }>();
          for (const row of group) {
            const amount = sweptAmount(row);
            const at = totals.get(amount.asset);
            totals.set(amount.asset, {
              atomic: (at?.atomic ?? 0n) + amount.atomic,
              decimals: amount.decimals,
            });
          }
          return [
            // An export's hash is unknown until it is signed: its nonce says which transaction it is.
            first.status === 'exported'
              ? escapeHtml(`unsigned, nonce ${first.nonce}`)
              : `<code>${escapeHtml(first.tx_hash)}</code>`,
            escapeHtml(chainName(first.chain_id)),
            escapeHtml(sweepRailOf(first)),
            // A TRON top-up is TRX the treasury sent a deposit address for its sweep's energy.
            escapeHtml(
              first.status === 'top_up'
                ? 'top-up'
                : first.status === 'exported'
                  ? 'exported (awaiting signature)'
                  : sweepStatusOf(first.status),
            ),
            escapeHtml(String(new Set(group.map((r) => r.address)).size)),
            escapeHtml(
              [...totals].map(([asset, t]) => `${formatAtomic(t.atomic, t.decimals)} ${asset}`).join(', '),
            ),
            `<code>${escapeHtml(first.treasury_address)}</code>`,
            escapeHtml(first.block_number === null ? '—' : String(first.block_number)),
          ];
        }),
      )}</tbody></table>
<h2>Recent payouts</h2><table><thead><tr><th>Payout</th><th>Status</th><th>Amount</th><th>Value</th><th>Destination</th><th>Asked by</th><th>Transaction</th></tr></thead><tbody>${rows(
        recent.map((p) => payoutRow(payoutView(p), false)),
      )}</tbody></table>
<h2>Sessions for review</h2><table><thead><tr><th>Session</th><th>Status</th><th>Amount</th><th>Order</th><th>Review</th><th>Created</th></tr></thead><tbody>${rows(
        review.data.map(sessionRow),
      )}</tbody></table>
<h2>Latest sessions</h2><table><thead><tr><th>Session</th><th>Status</th><th>Amount</th><th>Order</th><th>Review</th><th>Created</th></tr></thead><tbody>${rows(
        latest.data.map(sessionRow),
      )}</tbody></table>`,
    );
  };

  const html = (description: string) => ({
    tags: ['Merchant page'],
    security: security(),
    response: {
      200: raw('text/html', description),
      303: raw('text/html', 'Back to the page.'),
      401: raw('text/html', 'The sign-in form.'),
      403: raw('text/html', 'A form from elsewhere, or without its CSRF token.'),
      ...errors(400, 413, 415),
    },
  });

  app.get(
    '',
    {
      schema: {
        operationId: 'getMerchantPage',
        summary: 'The merchant page (signed in), or its sign-in form',
        ...html('The page.'),
      },
    },
    async (request, reply) => {
      const session = await signedIn(request);
      if (!session) return send(reply, 200, signInPage());
      const message =
        typeof (request.query as { msg?: unknown }).msg === 'string'
          ? (request.query as { msg: string }).msg.slice(0, 300)
          : undefined;
      return send(reply, 200, await page(session, message));
    },
  );

  app.post(
    '/login',
    {
      schema: {
        operationId: 'signInMerchantPage',
        summary: 'Sign in to the merchant page with a secret key',
        ...html('Signed in: back to the page.'),
      },
    },
    async (request, reply) => {
      const key = (request.body as Record<string, unknown> | undefined)?.key;
      let caller;
      try {
        caller = typeof key === 'string' ? await auth.identify(key.trim()) : null;
      } catch {
        caller = null;
      }
      if (!caller || caller.kind !== 'merchant')
        return send(reply, 401, signInPage('That is not a valid secret key.'));
      const token = randomBytes(32).toString('base64url');
      const now = clock();
      await db.query('DELETE FROM merchant_sessions WHERE expires_at <= $1', [now]);
      await db.query(
        `INSERT INTO merchant_sessions (token_hash, key_id, mode, scopes, csrf_token, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [
          hash(token),
          caller.keyId,
          caller.mode,
          caller.scopes ? JSON.stringify(caller.scopes) : null,
          randomBytes(24).toString('base64url'),
          now,
          new Date(now.getTime() + MERCHANT_SESSION_MS),
        ],
      );
      const secure = request.protocol === 'https' ? '; Secure' : '';
      return reply
        .status(303)
        .header(
          'set-cookie',
          `${MERCHANT_COOKIE}=${token}; Path=/merchant; HttpOnly; SameSite=Strict; Max-Age=${MERCHANT_SESSION_MS / 1000}${secure}`,
        )
        .header('location', '/merchant')
        .header('cache-control', 'no-store')
        .send('');
    },
  );

  app.post(
    '/logout',
    {
      schema: {
        operationId: 'signOutMerchantPage',
        summary: 'Sign out of the merchant page',
        ...html('Signed out.'),
      },
    },
    async (request, reply) => {
      const session = await signedIn(request);
      if (session && checkForm(request, session)) {
        await db.query('DELETE FROM merchant_sessions WHERE token_hash = $1', [hash(cookieOf(request)!)]);
      }
      return reply
        .status(303)
        .header('set-cookie', `${MERCHANT_COOKIE}=; Path=/merchant; HttpOnly; SameSite=Strict; Max-Age=0`)
        .header('location', '/merchant')
        .send('');
    },
  );

  const params = z.object({ id: payoutIdSchema, verb: z.enum(['approve', 'cancel']) });
  app.post(
    '/payouts/:id/:verb',
    {
      attachValidation: true,
      schema: {
        operationId: 'actOnPayoutFromMerchantPage',
        summary: 'Approve or cancel a payout from the merchant page',
        params,
        ...html('Done: back to the page.'),
      },
    },
    async (request, reply) => {
      const session = await signedIn(request);
      if (!session) return send(reply, 401, signInPage('Your session ended: sign in again.'));
      if (request.validationError || !checkForm(request, session)) {
        return send(
          reply,
          403,
          document(
            'Refused',
            '<h1>Refused</h1><p>This form did not come from the merchant page. <a href="/merchant">Back</a></p>',
          ),
        );
      }
      const { id, verb } = request.params as { id: string; verb: 'approve' | 'cancel' };
      let message: string;
      try {
        const done =
          verb === 'approve'
            ? await payouts.approve(session.caller, id)
            : await payouts.cancel(session.caller, id);
        message = `Payout ${done.id} is ${done.status}.`;
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        message = error.message;
      }
      return reply
        .status(303)
        .header('location', `/merchant?msg=${encodeURIComponent(message)}`)
        .send('');
    },
  );
};
