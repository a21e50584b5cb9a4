/**
 * Writes packages/server/openapi.json: the OpenAPI document the server generates from its routes'
 * schemas (and serves at GET /openapi.json), committed so that a change to the API shows in review.
 * test/server/openapi.test.ts fails while the committed file differs from the generated one.
 *
 *   npm run openapi
 */
import { writeFileSync } from 'node:fs';
// The document does not depend on the configuration: any app will do, so the tests' one is used.
import { buildTestApp } from '../test/support/app.js';

const OUT = new URL('../packages/server/openapi.json', import.meta.url);

const app = await buildTestApp();
try {
  await app.server.ready();
  const response = await app.server.inject({ method: 'GET', url: '/openapi.json' });
  if (response.statusCode !== 200)
    throw new Error(`GET /openapi.json: ${response.statusCode} ${response.body}`);
  writeFileSync(OUT, `${JSON.stringify(response.json(), null, 2)}\n`);
  console.log('wrote packages/server/openapi.json');
} finally {
  await app.close();
}
