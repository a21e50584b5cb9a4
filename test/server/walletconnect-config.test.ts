import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BuyerSession } from '@crypto-checkout/protocol';
import { ConfigError, loadConfig, parseConfig } from '../../packages/server/src/config.js';
import { buildTestApp, testConfig } from '../support/app.js';

describe('walletconnect_project_id', () => {
  test('is passed on to the buyer, and null without one', async () => {
    for (const [projectId, expected] of [
      ['0123456789abcdef0123456789abcdef', '0123456789abcdef0123456789abcdef'],
      [undefined, null],
    ] as const) {
      const app = await buildTestApp(projectId ? { walletconnect_project_id: projectId } : {});
      try {
        const session = await app.createSession();
        const buyer = await app.server.inject({
          method: 'GET',
          url: `/v1/sessions/${session.id}`,
          headers: { authorization: `Bearer ${session.client_secret}` },
        });
        assert.equal((buyer.json() as BuyerSession).walletconnect_project_id, expected);
        assert.equal(session.walletconnect_project_id, expected, 'the merchant view has it too');
      } finally {
        await app.close();
      }
    }
  });

  test('comes from CC_WALLETCONNECT_PROJECT_ID, and a malformed one is named', () => {
    const base = testConfig();
    const env = {
      CC_SECRET_KEYS: 'sk_test_abcdefghijklmnopqrstuvwxyz',
      CC_XPUB: base.xpub,
      CC_CHAINS: JSON.stringify([{ key: 'anvil', rpc_url: 'http://127.0.0.1:1' }]),
      CC_WALLETCONNECT_PROJECT_ID: 'abcdef0123456789',
    };
    assert.equal(loadConfig(env).walletconnect_project_id, 'abcdef0123456789');
    assert.throws(
      () => parseConfig({ ...base, walletconnect_project_id: 'not a project id!' }),
      (error: unknown) => error instanceof ConfigError && /walletconnect_project_id/.test(error.message),
    );
  });
});
