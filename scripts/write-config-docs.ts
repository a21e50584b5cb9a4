/**
 * Writes docs/configuration.md from the configuration schema (packages/server/src/config-docs.ts),
 * laid out by Prettier as the rest of the docs are. test/server/config-docs.test.ts fails while the
 * committed file differs from the generated one.
 *
 *   npm run docs:config
 */
import { writeFileSync } from 'node:fs';
import { renderConfigurationDoc } from '../test/support/config-doc.js';

writeFileSync(new URL('../docs/configuration.md', import.meta.url), await renderConfigurationDoc());
console.log('wrote docs/configuration.md');
