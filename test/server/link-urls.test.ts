import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ErrorBody, Session } from '@crypto-checkout/protocol';
import { ConfigError } from '../../packages/server/src/config.js';
import { buildTestApp, testConfig, type TestApp } from '../support/app.js';
import { recordSecrets } from '../support/logs.js';
import { testSecretKey } from '../support/stack.js';

/** Schemes a link must never carry, written as an attacker would. */
const HOSTILE = [
  'javascript:alert(1)',
  'JavaScript:alert(document.cookie)',
  ' javascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'vbscript:msgbox(1)',
  'file:///etc/passwd',
  'ftp://shop.example/thanks',
  'https:shop.example/thanks',
  '//shop.example/thanks',
];

describe('links a buyer follows (success_url, cancel_url)', () => {
  let app: TestApp;
  const liveKey = `sk_live_${testSecretKey().slice('sk_test_'.length)}`;
  recordSecrets(liveKey);
  before(async () => {
    const testKey = testSecretKey();
    app = await buildTestApp({ secret_keys: [testKey, liveKey] });
    app.secretKey = testKey;
  });
  after(() => app.close());

  const create = (key: string, body: Record<string, unknown>) =>
    app.server.inject({
      method: 'POST',
      url: '/v1/sessions',
      headers: { authorization: `Bearer ${key}` },
      payload: { amount: '5.00', currency: 'USD', ...body },
    });

  test('every scheme but http(s) is refused with 400 invalid_request naming the field', async () => {
    for (const url of HOSTILE) {
      for (const field of ['success_url', 'cancel_url']) {
        for (const key of [app.secretKey, liveKey]) {
          const response = await create(key, { [field]: url });
          assert.equal(response.statusCode, 400, `${field}=${url}: ${response.body}`);
          const { error } = response.json<ErrorBody>();
          assert.equal(error.code, 'invalid_request');
          assert.deepEqual(
            error.issues?.map((issue) => issue.path),
            [field],
            `${field}=${url}: ${response.body}`,
          );
        }
      }
    }
  });

  test('test mode takes https and http (a shop on localhost)', async () => {
    const response = await create(app.secretKey, {
      success_url: 'http://localhost:3000/thanks',
      cancel_url: 'https://shop.example/cart',
    });
    assert.equal(response.statusCode, 201, response.body);
    const session = response.json<Session>();
    assert.equal(session.success_url, 'http://localhost:3000/thanks');
    assert.equal(session.cancel_url, 'https://shop.example/cart');
  });

  test('live mode takes https only: http answers 400 naming each field', async () => {
    const refused = await create(liveKey, {
      success_url: 'http://shop.example/thanks',
      cancel_url: 'HTTP://shop.example/cart',
    });
    assert.equal(refused.statusCode, 400, refused.body);
    const { error } = refused.json<ErrorBody>();
    assert.equal(error.code, 'invalid_request');
    assert.deepEqual(
      error.issues?.map((issue) => issue.path),
      ['success_url', 'cancel_url'],
    );
    assert.match(error.message, /https URL in live mode/);

    const accepted = await create(liveKey, {
      success_url: 'https://shop.example/thanks',
      cancel_url: 'HTTPS://shop.example/cart',
    });
    assert.equal(accepted.statusCode, 201, accepted.body);
    assert.equal(accepted.json<Session>().livemode, true);
  });
});

describe('a chain explorer (explorer_url), which the element links transactions to', () => {
  const chain = (explorer_url: string) => ({
    chains: [
      {
        key: 'anvil',
        id: 31337,
        name: 'Anvil (local)',
        rpc_url: 'http://127.0.0.1:1',
        confirmations: 2,
        explorer_url,
      },
    ],
  });

  test('https is taken, and http on a loopback host (a local explorer beside anvil)', () => {
    for (const url of [
      'https://basescan.org',
      'http://localhost:5100',
      'http://127.0.0.1:5100/',
      'http://[::1]:5100',
    ]) {
      assert.equal(testConfig(chain(url)).chains[0]!.explorer_url, url);
    }
  });

  test('http elsewhere, and every other scheme, is a configuration error naming the field', () => {
    for (const url of ['http://explorer.example', 'http://10.0.0.5', ...HOSTILE.slice(0, 7)]) {
      assert.throws(
        () => testConfig(chain(url)),
        (error: unknown) =>
          error instanceof ConfigError &&
          /chains\[0\]\.explorer_url: "[^"]*" must be an https URL/.test(error.message),
        url,
      );
    }
  });
});
