/**
 * `@crypto-checkout/server`: the reference backend as a library, for operators who embed it in their
 * own process or tests. Most run it as a program instead: `crypto-checkout-server start` (or
 * `node node_modules/@crypto-checkout/server/dist/main.js`).
 *
 * @example
 * import { loadConfig, startServer } from '@crypto-checkout/server';
 * const server = await startServer(loadConfig());
 * process.once('SIGTERM', () => server.stop());
 * @module
 */
export { buildApp, type App, type AppOptions } from './app.js';
export {
  createServices,
  startWorkers,
  type Services,
  type ServicesOptions,
  type Workers,
  type WorkersOptions,
} from './composition.js';
export {
  ConfigError,
  loadConfig,
  parseConfig,
  type ChainConfig,
  type Config,
  type ConfigInput,
  type WebhooksConfig,
} from './config.js';
export { startServer, type RunningServer } from './server.js';
export { openDatabase, type Database } from './store/database.js';
export { migrate } from './store/migrations.js';
