/**
 * One rule for credentials on every route, taken from the OpenAPI document so that a new route is
 * held to it at once: no credentials or wrong ones answer 401 `unauthorized`; valid credentials that
 * do not reach the resource (a client secret on a merchant route or on another session, a key of the
 * other mode) answer 403 `forbidden`; the right ones pass; public routes refuse nobody.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { errorBodySchema } from '@crypto-checkout/protocol';
import { send, startFuzzTarget, type FuzzRoute, type FuzzTarget } from '../support/fuzz.js';

/** What a credential should get on a route: refused with 401 or 403, or let through. */
type Expected = 401 | 403 | 'pass';

/** A body each route with one accepts, by operation. */
const BODIES: Record<string, unknown> = {
  createSession: { amount: '1.00', currency: 'USD' },
  choosePaymentMethod: { method: 'usdc@anvil' },
  createWebhookEndpoint: { url: 'https://example.com/hook' },
  updateWebhookEndpoint: { description: 'renamed' },
  rotateWebhookSecret: {},
  redeliverWebhookEvent: {},
  createPayouts: {
    payouts: [
      { destination: '0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65', asset: 'usdc@anvil', amount: '1' },
    ],
  },
  exportPayouts: { chain_id: 31337, format: 'safe', from: '0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc' },
};

/**
 * The merchant page (`/merchant…`) is public to the document: its credential is the page's own
 * cookie, not a bearer token, and it answers HTML (test/server/ledger-merchant-page.test.ts).
 */
const bearerRoutes = (routes: FuzzRoute[]) => routes.filter((r) => !r.path.startsWith('/merchant'));

describe('401 for missing or wrong credentials, 403 for valid ones without access, on every route', () => {
  let target: FuzzTarget;
  before(async () => {
    target = await startFuzzTarget();
  });
  after(() => target.close());

  /** The credentials tried on every route, with what each is. */
  function credentials() {
    const { pools } = target;
    const [mine, theirs] = [pools.sessionIds[0]!, pools.sessionIds[1]!];
    return {
      session: mine,
      kinds: {
        none: undefined,
        'a garbage token': 'Bearer garbage',
        'a well-formed unknown secret key': `Bearer sk_test_${'0'.repeat(48)}`,
        'a revoked secret key': `Bearer ${pools.revokedKey}`,
        'a forged client secret of the session': `Bearer ${mine}_secret_forged0000000000000000000000`,
        'a secret key of the mode': `Bearer ${pools.testKey}`,
        'a secret key of the other mode': `Bearer ${pools.liveKey}`,
        "the session's client secret": `Bearer ${pools.clientSecrets[0]!}`,
        "another session's client secret": `Bearer ${pools.clientSecrets[1]!}`,
      } as Record<string, string | undefined>,
      theirs,
    };
  }

  /** What `kind` should get on `route`, from the route's documented security. */
  function expected(route: FuzzRoute, kind: string): Expected {
    const schemes = (route.operation as { security?: Record<string, unknown>[] }).security ?? [];
    const names = schemes.flatMap((s) => Object.keys(s));
    if (!names.length) return 'pass';
    if (
      [
        'none',
        'a garbage token',
        'a well-formed unknown secret key',
        'a revoked secret key',
        'a forged client secret of the session',
      ].includes(kind)
    ) {
      return 401;
    }
    const forSession = names.some((n) => n.startsWith('clientSecret'));
    switch (kind) {
      case 'a secret key of the mode':
        return 'pass';
      case 'a secret key of the other mode':
        // Lists show the key's own mode; one session, endpoint or event of the other mode is not reached.
        return route.path.includes('{id}') ? 403 : 'pass';
      case "the session's client secret":
        return forSession ? 'pass' : 403;
      case "another session's client secret":
        return 403;
    }
    throw new Error(`no expectation for ${kind}`);
  }

  test('the matrix covers every route of the document', () => {
    assert.ok(target.routes.length >= 20);
    for (const route of bearerRoutes(target.routes)) {
      if (route.operation.requestBody) {
        assert.ok(
          route.operation.operationId in BODIES,
          `teach BODIES a body for ${route.operation.operationId}`,
        );
      }
    }
  });

  test('every route × every kind of credential answers as documented', async () => {
    const { session, kinds } = credentials();
    const { pools } = target;
    const ids: Record<string, string> = {
      '/v1/sessions/{id}': session,
      '/checkout/{id}': session,
      '/checkout/assets/{file}': 'hosted-page.js',
      '/v1/webhook_endpoints/{id}': pools.endpointIds[0]!,
      '/v1/webhook_events/{id}': pools.eventIds[0]!,
      '/v1/payouts/{id}': pools.payoutIds[0]!,
    };
    const failures: string[] = [];
    // Reads first, then writes, and the DELETE last: what one request changes cannot hide another's answer.
    const order = (r: FuzzRoute) => (r.method === 'DELETE' ? 2 : r.method === 'GET' ? 0 : 1);
    for (const route of bearerRoutes(target.routes).sort((a, b) => order(a) - order(b))) {
      const path = route.path.replace(/\{[^}]+\}/g, (match: string, offset: number) => {
        const key = route.path.slice(0, offset) + match;
        const value = ids[key];
        if (!value) throw new Error(`no id for ${key}`);
        return value;
      });
      // Refused credentials first: one let through may change the resource (a DELETE).
      const tries = Object.entries(kinds).sort(
        ([a], [b]) => Number(expected(route, a) === 'pass') - Number(expected(route, b) === 'pass'),
      );
      for (const [kind, authorization] of tries) {
        const want = expected(route, kind);
        const body = BODIES[route.operation.operationId];
        const answer = await send(target, {
          route: `${route.method} ${route.path}`,
          method: route.method,
          url: path,
          headers: authorization ? { authorization } : {},
          ...(body === undefined ? {} : { payload: body as object }),
        });
        const where = `${route.method} ${route.path} with ${kind}: ${answer.status} ${answer.body.slice(0, 160)}`;
        // The target's chain is never contacted (its node is not there): exporting payouts, which
        // reads the chain, answers the documented 503 chain_unavailable, as it would in production.
        const chainDown = answer.status === 503 && answer.body.includes('"chain_unavailable"');
        if (answer.status >= 500 && !chainDown) failures.push(where);
        else if (chainDown && want !== 'pass') failures.push(`${where} (expected ${want})`);
        else if (want === 'pass') {
          if (answer.status === 401 || answer.status === 403) failures.push(`${where} (expected to pass)`);
        } else if (answer.status !== want) {
          failures.push(`${where} (expected ${want})`);
        } else {
          const code = errorBodySchema.parse(JSON.parse(answer.body)).error.code;
          if (code !== (want === 401 ? 'unauthorized' : 'forbidden'))
            failures.push(`${where} (code ${code})`);
        }
      }
    }
    assert.deepEqual(failures, []);
  });

  test('a client secret in the query of the event stream follows the same rule', async () => {
    const { pools } = target;
    const [mine, theirs] = [pools.sessionIds[0]!, pools.sessionIds[1]!];
    const stream = (id: string, secret: string) =>
      send(target, {
        route: 'GET /v1/sessions/{id}/events',
        method: 'GET',
        url: `/v1/sessions/${id}/events?client_secret=${encodeURIComponent(secret)}`,
      });
    assert.equal((await stream(mine, `${mine}_secret_forged0000000000000000000000`)).status, 401);
    assert.equal((await stream(theirs, pools.clientSecrets[0]!)).status, 403);
    assert.ok([200, 204].includes((await stream(mine, pools.clientSecrets[0]!)).status));
  });
});
