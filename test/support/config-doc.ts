/**
 * docs/configuration.md as `npm run docs:config` writes it: the schema's description
 * (packages/server/src/config-docs.ts) formatted by Prettier with the repository's settings, so that
 * `prettier --check` and the drift test agree on one text.
 */
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { configurationMarkdown } from '../../packages/server/src/config-docs.js';

const FILE = fileURLToPath(new URL('../../docs/configuration.md', import.meta.url));

/** The generated docs/configuration.md. */
export async function renderConfigurationDoc(): Promise<string> {
  const options = (await resolveConfig(FILE)) ?? {};
  return format(configurationMarkdown(), { ...options, filepath: FILE });
}
