/**
 * Money sent to the address of a method the buyer went back from, on a real anvil node: the buyer
 * chooses USDC, goes back, chooses ETH, and USDC then arrives on the first address (an exchange
 * withdrawal sent before going back, or the old QR code paid later). The old address stays watched,
 * also across a restart of the backend (PGlite on disk and PostgreSQL); the transfer is recorded on
 * the session, flagged in every view and the CSV export, never counted toward the ETH amount, and
 * the session needs review (`paid_to_abandoned_address`, with its `session.needs_review` webhook).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import {
  sessionWebhookPayloadSchema,
  type BuyerSession,
  type Session,
  type WebhookEndpointWithSecret,
} from '@crypto-checkout/protocol';
import { startServer, type RunningServer } from '../../packages/server/src/server.js';
import { testLogger } from '../support/logs.js';
import { parseCsv } from '../support/csv.js';
import { startStack, type Stack } from '../support/stack.js';
import { callApi, choose, view, waitFor } from '../support/wait.js';
import { startReceiver, type Receiver } from '../support/webhook-receiver.js';

/** The buyer goes back to the method list (`DELETE …/payment`), as the element's back action does. */
async function goBack(apiUrl: string, session: Session): Promise<Response> {
  return fetch(`${apiUrl}/v1/sessions/${session.id}/payment`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${session.client_secret}` },
  });
}

/** Chooses USDC, goes back and chooses ETH; returns the abandoned USDC address and the ETH payment. */
async function chooseUsdcThenEth(apiUrl: string, session: Session) {
  const usdc = (await choose(apiUrl, session, 'usdc@anvil')).payment!;
  const back = await goBack(apiUrl, session);
  assert.equal(back.status, 200, await back.clone().text());
  assert.equal(((await back.json()) as BuyerSession).payment, null);
  const eth = (await choose(apiUrl, session, 'eth@anvil')).payment!;
  // A new index, so a new address: the old one is never handed out again.
  assert.notEqual(eth.address.toLowerCase(), usdc.address.toLowerCase());
  return { abandoned: usdc.address, eth };
}

const flagged = (s: Session) =>
  s.transfers.length === 1 && s.review_reasons.includes('paid_to_abandoned_address');

describe('money sent to an abandoned deposit address', () => {
  let stack: Stack;
  let receiver: Receiver;

  before(async () => {
    stack = await startStack({ config: { webhooks: { poll_interval_ms: 50 } } });
    receiver = await startReceiver();
  });
  after(async () => {
    await stack?.stop();
    await receiver?.close();
  });

  test('USDC to the first address after switching to ETH is recorded, flagged, announced, and never counted', async () => {
    const endpoint = await callApi<WebhookEndpointWithSecret>(
      stack.apiUrl,
      stack.secretKey,
      'POST',
      '/v1/webhook_endpoints',
      { url: receiver.url },
    );
    const session = await stack.createSession({ amount: '10.00', order_id: 'abandoned-1' });
    const { abandoned, eth } = await chooseUsdcThenEth(stack.apiUrl, session);

    await stack.pay(abandoned, '10');
    await stack.mine(1);
    await waitFor(
      async () => flagged(await view(stack.apiUrl, stack.secretKey, session.id)),
      15_000,
      'the transfer to the abandoned address is recorded and flagged',
    );
    const merchant = await view(stack.apiUrl, stack.secretKey, session.id);
    assert.equal(merchant.status, 'open');
    assert.deepEqual(merchant.review_reasons, ['paid_to_abandoned_address']);
    assert.equal(merchant.payment!.id, 'eth@anvil');
    assert.equal(merchant.amount_received, '0');
    assert.equal(merchant.amount_remaining, eth.amount_due);
    const [t] = merchant.transfers;
    assert.equal(t!.to, abandoned);
    assert.equal(t!.abandoned_address, true);
    assert.equal(t!.expected, false);
    assert.equal(t!.token, 'USDC');
    assert.equal(t!.amount, '10');
    // Nothing reached the current address: the buyer may still go back from ETH.
    assert.equal(merchant.can_change_method, true);

    // The buyer's view carries the same flag.
    const buyer = await callApi<BuyerSession>(
      stack.apiUrl,
      session.client_secret,
      'GET',
      `/v1/sessions/${session.id}`,
    );
    assert.equal(buyer.transfers[0]!.abandoned_address, true);
    assert.equal(buyer.transfers[0]!.to, abandoned);
    assert.equal(buyer.amount_received, '0');

    // One session.needs_review webhook, with the reason.
    const reviews = () =>
      receiver.requests
        .map((r) =>
          sessionWebhookPayloadSchema.parse(
            new Webhook(endpoint.secret).verify(r.body.toString(), r.headers as Record<string, string>),
          ),
        )
        .filter((p) => p.type === 'session.needs_review' && p.data.id === session.id);
    await waitFor(() => reviews().length === 1, 10_000, 'the session.needs_review webhook');
    assert.deepEqual(reviews()[0]!.data.review_reasons, ['paid_to_abandoned_address']);

    // The CSV export: the transfer's row says where it went and that it was abandoned.
    const csv = await fetch(`${stack.apiUrl}/v1/sessions/export.csv?order_id=abandoned-1`, {
      headers: { authorization: `Bearer ${stack.secretKey}` },
    });
    assert.equal(csv.status, 200);
    const [header, row, ...more] = parseCsv(await csv.text());
    assert.deepEqual(more, []);
    const cell = (name: string) => row![header!.indexOf(name)];
    assert.equal(cell('transfer_to'), abandoned);
    assert.equal(cell('abandoned_address'), 'true');
    assert.equal(cell('review_reasons'), 'paid_to_abandoned_address');
    assert.equal(cell('method'), 'eth@anvil');

    // The ETH payment settles the session by itself; the USDC stays flagged for the merchant.
    await stack.pay(eth.address, eth.amount_due, 'eth');
    await stack.mine(1);
    await waitFor(
      async () => (await view(stack.apiUrl, stack.secretKey, session.id)).status === 'paid',
      15_000,
      'the ETH payment settles the session',
    );
    const paid = await view(stack.apiUrl, stack.secretKey, session.id);
    assert.equal(paid.amount_received, eth.amount_due);
    assert.equal(paid.amount_overpaid, '0');
    assert.deepEqual(paid.review_reasons, ['paid_to_abandoned_address']);
    assert.deepEqual(
      paid.transfers.map((x) => [x.token, x.abandoned_address, x.expected]),
      [
        ['USDC', true, false],
        ['ETH', false, true],
      ],
    );
    // Money on the current address ties the buyer to it again.
    const late = await goBack(stack.apiUrl, session);
    assert.equal(late.status, 409);
  });

  test('choosing the same method again derives a new address; the old one does not count', async () => {
    const session = await stack.createSession({ amount: '5.00' });
    const first = (await choose(stack.apiUrl, session, 'usdc@anvil')).payment!;
    assert.equal((await goBack(stack.apiUrl, session)).status, 200);
    const second = (await choose(stack.apiUrl, session, 'usdc@anvil')).payment!;
    assert.notEqual(second.address, first.address);

    await stack.pay(first.address, '5');
    await stack.mine(2);
    await waitFor(
      async () => flagged(await view(stack.apiUrl, stack.secretKey, session.id)),
      15_000,
      'the transfer to the old address is flagged',
    );
    const s = await view(stack.apiUrl, stack.secretKey, session.id);
    // Same token, same amount, confirmed: still it does not pay the session.
    assert.equal(s.status, 'open');
    assert.equal(s.amount_received, '0');
    assert.equal(s.transfers[0]!.expected, false);
  });
});

/** Where a restarted backend keeps its data: a PGlite directory, or a fresh PostgreSQL database. */
interface Storage {
  name: string;
  config(): Promise<{ data_dir?: string; database_url?: string } | null>;
  cleanup(): Promise<void>;
}

const PG_SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function pgliteOnDisk(): Storage {
  let dir: string | undefined;
  return {
    name: 'PGlite on disk',
    async config() {
      dir = await mkdtemp(join(tmpdir(), 'cc-abandoned-'));
      return { data_dir: dir };
    },
    async cleanup() {
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

function postgres(): Storage {
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: PG_SERVER_URL, connectionTimeoutMillis: 3000 });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  let name: string | undefined;
  return {
    name: 'PostgreSQL',
    async config() {
      try {
        await admin('SELECT 1');
      } catch {
        return null;
      }
      name = `cc_abandoned_${randomBytes(6).toString('hex')}`;
      await admin(`CREATE DATABASE ${name}`);
      const url = new URL(PG_SERVER_URL);
      url.pathname = `/${name}`;
      return { database_url: url.toString() };
    },
    async cleanup() {
      if (name) await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

for (const storage of [pgliteOnDisk(), postgres()]) {
  describe(`an abandoned address is still watched after a restart (${storage.name})`, () => {
    let stack: Stack | undefined;
    let second: RunningServer | undefined;
    after(async () => {
      await second?.stop();
      await stack?.stop();
      await storage.cleanup();
    });

    test('USDC sent while the backend was down is found on the abandoned address after the restart', async (t) => {
      const config = await storage.config();
      if (!config) return t.skip(`${storage.name} not reachable at ${new URL(PG_SERVER_URL).host}: SKIPPED`);
      stack = await startStack({
        ...(config.database_url ? { databaseUrl: config.database_url } : {}),
        ...(config.data_dir ? { config: { data_dir: config.data_dir } } : {}),
      });
      const session = await stack.createSession({ amount: '10.00' });
      const { abandoned } = await chooseUsdcThenEth(stack.apiUrl, session);
      await stack.server.stop();

      await stack.pay(abandoned, '10');
      await stack.mine(2);

      second = await startServer(stack.config, { logger: testLogger() });
      const url = second.url;
      const secretKey = stack.secretKey;
      await waitFor(
        async () => flagged(await view(url, secretKey, session.id)),
        15_000,
        'the transfer to the abandoned address is found after the restart',
      );
      const s = await view(url, secretKey, session.id);
      assert.equal(s.status, 'open');
      assert.equal(s.transfers[0]!.abandoned_address, true);
      assert.equal(s.transfers[0]!.confirmed, true);
      assert.equal(s.amount_received, '0');
    });
  });
}
