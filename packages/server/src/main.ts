/**
 * Entry point of the reference backend: `npm start` (or `tsx src/server/main.ts`). Reads the
 * configuration (see README → Configuration), starts everything and shuts down gracefully on
 * SIGINT/SIGTERM.
 * @module
 */
import { ConfigError, loadConfig } from './config.js';
import { startServer } from './server.js';

try {
  const config = loadConfig();
  const server = await startServer(config);
  server.app.server.log.info(
    { url: server.url, database: server.db.kind },
    'crypto-checkout backend is listening',
  );
  const shutdown = (signal: string) => {
    server.app.server.log.info({ signal }, 'shutting down');
    server.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(78); // EX_CONFIG
  }
  throw error;
}
