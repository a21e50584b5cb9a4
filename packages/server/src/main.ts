/**
 * Entry point of the reference backend: `npm start` (or `node dist/main.js`). Reads the
 * configuration (see README → Configuration), starts everything and, on SIGTERM or SIGINT, shuts
 * down gracefully within `shutdown_timeout_ms` (see `RunningServer.stop`) and exits 0. A second
 * signal during the shutdown ends the process at once.
 * @module
 */
import { ConfigError, loadConfig } from './config.js';
import { listenEarly } from './early-listener.js';
import { compilePgliteWasm } from './store/pglite-wasm.js';
import { EncryptionKeyError } from './store/secret-box.js';
import { markStartup, startupMarks } from './startup-marks.js';

/** How long past `shutdown_timeout_ms` the process waits for the database to close before it gives up. */
const EXIT_MARGIN_MS = 5_000;

// Everything this process writes — PGlite's data files above all, which hold webhook signing
// secrets — is readable by its own user only: files 0600, folders 0700.
process.umask(0o077);

try {
  markStartup('main_loaded');
  // PGlite's WebAssembly compiles on V8's background threads from now on, while the configuration is
  // read and the server's modules load (openPglite takes the same compile). Not for PostgreSQL given
  // in the environment; one given in the configuration file costs an unused compile.
  if (!process.env.DATABASE_URL) void compilePgliteWasm();
  const config = loadConfig();
  markStartup('config_read');
  // The port opens now, before the database and the rest of the server's modules: connections made
  // during the start are accepted and held, then answered once the app is ready (early-listener.ts).
  // Not for `localhost`: Fastify binds each of its addresses (127.0.0.1 and ::1) with a server of
  // its own, which cannot share one handed-over socket; such a start opens its port when it listens.
  const listener =
    config.host.toLowerCase() === 'localhost'
      ? undefined
      : await listenEarly({ host: config.host, port: config.port });
  markStartup('port_open');
  // Opening the database (on a fresh PGlite folder: unpacking its template, compiling PGlite's
  // WebAssembly) starts now and overlaps the loading of the rest of the server's modules, which
  // are loaded only now so that the port opens first.
  const { openDatabase } = await import('./store/database.js');
  const opening = openDatabase({ databaseUrl: config.database_url, dataDir: config.data_dir });
  opening.catch(() => undefined); // awaited by startServer; this only keeps Node from calling it unhandled meanwhile
  const { startServer } = await import('./server.js');
  markStartup('modules_loaded');
  const server = await startServer(config, { opening, listener });
  const log = server.app.server.log;
  const cpu = process.cpuUsage();
  log.info(
    {
      url: server.url,
      database: server.db.kind,
      // Where the start spent its time, and the CPU it used (user + system), for an operator to compare.
      startup_ms: startupMarks(),
      startup_cpu_ms: Math.round((cpu.user + cpu.system) / 1000),
    },
    'crypto-checkout backend is listening',
  );
  const shutdown = (signal: NodeJS.Signals) => {
    log.info({ signal, timeout_ms: config.shutdown_timeout_ms }, 'shutting down');
    // The default action again: a second signal ends the process without waiting.
    process.removeAllListeners('SIGINT').removeAllListeners('SIGTERM');
    // The deadline cuts off requests, webhook attempts and sweeps; this only guards against a
    // database that does not close.
    setTimeout(() => {
      log.error('shutdown did not finish in time; exiting');
      process.exit(1);
    }, config.shutdown_timeout_ms + EXIT_MARGIN_MS).unref();
    server.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
} catch (error) {
  // A missing or wrong encryption key is a configuration problem too: its message says what to set.
  if (error instanceof ConfigError || error instanceof EncryptionKeyError) {
    console.error(error.message);
    process.exit(78); // EX_CONFIG
  }
  throw error;
}
