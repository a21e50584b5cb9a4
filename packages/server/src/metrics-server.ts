/**
 * The metrics port (`metrics.port`): a listener of its own that serves `GET /metrics` and nothing
 * else, so that the scraper's network need not reach the API and the API's need not reach the
 * metrics. It listens on `metrics.host` (loopback by default) and asks for `metrics.token` when one is
 * set. `server.ts` starts it after the API listens and closes it on shutdown.
 * @module
 */
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import type { MetricsConfig } from './config.js';
import { clientErrorHandler, frameworkErrors, registerErrorHandler } from './error-handler.js';
import type { Metrics } from './metrics.js';
import { metricsRoutes } from './routes/metrics.js';

/** A running metrics listener. */
export interface MetricsServer {
  /** Its base URL, e.g. `http://127.0.0.1:9464`. */
  url: string;
  close(): Promise<void>;
}

/**
 * Listens on `config.port` of `config.host` and serves `GET /metrics` there; other paths answer 404
 * with the API's error body.
 * @example const server = await startMetricsServer({ config: config.metrics, metrics, logger }); … await server.close();
 */
export async function startMetricsServer(options: {
  config: MetricsConfig;
  metrics: Metrics;
  logger: FastifyBaseLogger;
}): Promise<MetricsServer> {
  const { config, metrics } = options;
  const app = Fastify({
    loggerInstance: options.logger.child({ listener: 'metrics' }),
    // Scrapes are not logged one by one: every 15 s forever would drown the API's lines.
    logController: new LogController({ disableRequestLogging: true }),
    frameworkErrors,
    clientErrorHandler,
  });
  registerErrorHandler(app);
  await app.register(metricsRoutes, { metrics, token: config.token });
  const address = await app.listen({ host: config.host, port: config.port ?? 0 });
  return { url: address.replace('[::1]', '127.0.0.1'), close: () => app.close() };
}
