import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import type {
  Session,
  WebhookAttemptList,
  WebhookEndpointWithSecret,
  WebhookEvent,
  WebhookEventList,
} from '@crypto-checkout/protocol';
import { spawnBackend, type BackendProcess } from '../support/backend-process.js';
import { postgresBackend } from '../support/backends.js';
import { testMerchantWallet, testSecretKey } from '../support/stack.js';
import { callApi, waitFor } from '../support/wait.js';
import { startReceiver, type Receiver } from '../support/webhook-receiver.js';

/**
 * At-least-once across a crash: the backend (its real entry point, a child process) is killed with
 * SIGKILL while the receiver holds a webhook request open. After a restart on the same store the
 * event arrives again, with the same `webhook-id` and body. PGlite on disk and PostgreSQL.
 */

const PG = postgresBackend();

describe('webhook delivery across a SIGKILL', () => {
  const dirs: string[] = [];
  const backends: BackendProcess[] = [];
  const receivers: Receiver[] = [];

  before(async () => {
    await PG.setup();
  });
  after(async () => {
    for (const backend of backends) await backend.kill('SIGKILL');
    await Promise.all(receivers.map((r) => r.close()));
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
    await PG.cleanup();
  });

  for (const storage of ['PGlite', 'PostgreSQL'] as const) {
    test(`a webhook in flight when the backend is killed is sent again after the restart, same webhook-id (${storage})`, async (t) => {
      if (storage === 'PostgreSQL' && PG.unavailable) return t.skip(PG.unavailable);
      let store: Record<string, string>;
      if (storage === 'PGlite') {
        const dir = await mkdtemp(join(tmpdir(), 'cc-webhook-kill-'));
        dirs.push(dir);
        store = { CC_DATA_DIR: dir };
      } else {
        const db = await PG.fresh();
        const { rows } = await db.query<{ name: string }>('SELECT current_database() AS name');
        const url = new URL(process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
        url.pathname = `/${rows[0]!.name}`;
        // PostgreSQL needs the key set (no key file is derived for it).
        store = { DATABASE_URL: url.toString(), CC_ENCRYPTION_KEY: randomBytes(32).toString('base64') };
      }
      const secretKey = testSecretKey();
      const env: Record<string, string> = {
        ...store,
        LOG_LEVEL: 'info',
        CC_SECRET_KEYS: secretKey,
        CC_XPUB: testMerchantWallet().xpub,
        CC_RATES: JSON.stringify({ ETH: '2000' }),
        // No chain is needed: the status change is a cancellation.
        CC_CHAINS: JSON.stringify([
          { key: 'anvil', rpc_url: 'http://127.0.0.1:1', polling_interval_ms: 60_000 },
        ]),
        // The lease (how long a claimed delivery is reserved) is short, so the restarted server retries soon.
        CC_WEBHOOKS: JSON.stringify({
          poll_interval_ms: 50,
          timeout_ms: 2_500,
          lease_ms: 3_000,
          retry_schedule: [0.2, 0.2],
        }),
      };

      // The first request is held open (the merchant is slow); every later one is answered 200.
      let held = false;
      const receiver = await startReceiver(() => {
        if (held) return 200;
        held = true;
        return 'hold';
      });
      receivers.push(receiver);
      let backend = await spawnBackend(env);
      env.PORT = String(backend.port); // the restart listens where this one does
      backends.push(backend);
      const url = backend.url;
      const endpoint = await callApi<WebhookEndpointWithSecret>(
        url,
        secretKey,
        'POST',
        '/v1/webhook_endpoints',
        {
          url: receiver.url,
        },
      );
      const session = await callApi<Session>(url, secretKey, 'POST', '/v1/sessions', {
        amount: '12.00',
        currency: 'USD',
        order_id: `kill-${storage}`,
      });
      await callApi(url, secretKey, 'POST', `/v1/sessions/${session.id}/cancel`);
      await waitFor(() => receiver.requests.length === 1, 10_000, 'the first attempt to arrive');
      const [first] = receiver.requests;

      const killedAt = Date.now();
      await backend.kill('SIGKILL');
      backend = await spawnBackend(env);
      backends.push(backend);
      t.diagnostic(`restarted in ${Date.now() - killedAt} ms`);

      await waitFor(
        () => receiver.requests.some((r) => r.status === 200),
        20_000,
        'the event after the restart',
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n--- backend output ---\n${backend.tail()}`);
      });
      t.diagnostic(`delivered ${Date.now() - killedAt} ms after the kill`);
      const second = receiver.requests.find((r) => r.status === 200)!;
      assert.equal(second.id, first!.id, 'the same webhook-id');
      assert.match(second.id, /^msg_/);
      assert.deepEqual(second.body, first!.body, 'the same body bytes');
      const wh = new Webhook(endpoint.secret);
      for (const request of [first!, second]) {
        const payload = wh.verify(request.body.toString(), request.headers as Record<string, string>) as {
          type: string;
          data: { id: string };
        };
        assert.deepEqual([payload.type, payload.data.id], ['session.canceled', session.id]);
      }

      const events = await callApi<WebhookEventList>(
        url,
        secretKey,
        'GET',
        `/v1/webhook_events?session_id=${session.id}`,
      );
      assert.deepEqual(
        events.data.map((e) => e.id),
        [first!.id],
      );
      await waitFor(
        async () =>
          (await callApi<WebhookEvent>(url, secretKey, 'GET', `/v1/webhook_events/${first!.id}`))
            .deliveries[0]!.status === 'succeeded',
        5_000,
        'the delivery recorded as succeeded',
      );
      const { data: attempts } = await callApi<WebhookAttemptList>(
        url,
        secretKey,
        'GET',
        `/v1/webhook_events/${first!.id}/attempts`,
      );
      // The killed attempt never finished, so only the one after the restart is in the log.
      assert.deepEqual(
        attempts.map((a) => a.status_code),
        [200],
      );
      const delivery = (await callApi<WebhookEvent>(url, secretKey, 'GET', `/v1/webhook_events/${first!.id}`))
        .deliveries[0]!;
      assert.equal(delivery.attempts, 2, 'the killed attempt counts against the schedule');

      // It shuts down cleanly, and no secret reached its logs.
      await backend.kill('SIGTERM');
      assert.equal(backend.child.exitCode, 0, backend.tail());
      const secretPart = endpoint.secret.slice(6);
      assert.ok(
        !backends.some((b) => b.lines.some((line) => line.includes(secretPart))),
        'no secret in the logs',
      );
    });
  }
});
