/**
 * `merchant_name` and `merchant_logo_url` reach the buyer's view as `merchant`, which the element
 * shows at the top of the checkout; a logo must be https (http on loopback only).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BuyerSession } from '@crypto-checkout/protocol';
import { ConfigError, parseConfig } from '../../packages/server/src/config.js';
import { buildTestApp, testConfig } from '../support/app.js';

describe('merchant_name and merchant_logo_url', () => {
  test("are the buyer view's merchant, each null when not configured", async () => {
    for (const [config, expected] of [
      [
        { merchant_name: 'Acme Shop', merchant_logo_url: 'https://shop.example/logo.svg' },
        { name: 'Acme Shop', logo_url: 'https://shop.example/logo.svg' },
      ],
      [{}, { name: null, logo_url: null }],
    ] as const) {
      const app = await buildTestApp(config);
      try {
        const session = await app.createSession();
        const buyer = await app.server.inject({
          method: 'GET',
          url: `/v1/sessions/${session.id}`,
          headers: { authorization: `Bearer ${session.client_secret}` },
        });
        assert.equal(buyer.statusCode, 200);
        assert.deepEqual((buyer.json() as BuyerSession).merchant, expected);
      } finally {
        await app.close();
      }
    }
  });

  test('a logo must be an https URL (http on a loopback host only)', () => {
    const base = testConfig();
    assert.equal(
      parseConfig({ ...base, merchant_logo_url: 'http://127.0.0.1:5173/logo.svg' }).merchant_logo_url,
      'http://127.0.0.1:5173/logo.svg',
    );
    for (const bad of ['javascript:alert(1)', 'http://shop.example/logo.svg', 'data:image/svg+xml,<svg/>']) {
      assert.throws(
        () => parseConfig({ ...base, merchant_logo_url: bad }),
        (error: unknown) => error instanceof ConfigError && /merchant_logo_url/.test(error.message),
        bad,
      );
    }
  });
});
