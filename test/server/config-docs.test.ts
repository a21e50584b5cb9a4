import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { describeConfig, type ConfigKey } from '../../packages/server/src/config-docs.js';
import { CONFIG_ENV_VARS, configSchema } from '../../packages/server/src/config.js';
import { renderConfigurationDoc } from '../support/config-doc.js';

const all = (keys: ConfigKey[]): ConfigKey[] => keys.flatMap((key) => [key, ...all(key.children)]);

describe('docs/configuration.md', () => {
  test('is what npm run docs:config makes from the schema', async () => {
    const committed = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    assert.ok(
      committed === (await renderConfigurationDoc()),
      'docs/configuration.md is out of date: run npm run docs:config',
    );
  });

  test('every key of the schema, at every depth, has a description', () => {
    const keys = all(describeConfig());
    assert.deepEqual(
      keys.filter((key) => !key.description).map((key) => key.path),
      [],
    );
    // Spot checks that the walk reaches each depth and reads types and defaults.
    const byPath = new Map(keys.map((key) => [key.path, key]));
    assert.equal(byPath.get('port')?.default, 8787);
    assert.equal(byPath.get('chains[].tokens[].decimals')?.required, true);
    assert.equal(byPath.get('limits.load_shedding.retry_after_seconds')?.default, 5);
    assert.equal(byPath.get('xpub')?.env, 'CC_XPUB');
  });

  test('every environment variable names a top-level key of the schema', () => {
    for (const { key } of CONFIG_ENV_VARS) assert.ok(key in configSchema.shape, key);
  });
});
