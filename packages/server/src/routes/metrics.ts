/**
 * `GET /metrics`: the Prometheus text of `metrics.ts`. Registered on the main port only behind
 * `metrics.token`, or on a port of its own (`metrics.port`, `metrics-server.ts`), with the token too
 * when one is set. It is not part of the API: not in the OpenAPI document, not rate-limited or shed
 * (an overloaded server is when its metrics matter most).
 * @module
 */
import type { FastifyPluginAsync } from 'fastify';
import { secretsEqual } from '../auth.js';
import { UnauthorizedError } from '../errors.js';
import type { Metrics } from '../metrics.js';

/** What the metrics route needs. */
export interface MetricsRoutesOptions {
  metrics: Metrics;
  /** The bearer token a scraper must send; `undefined`: none (a port of its own, on a trusted network). */
  token: string | undefined;
}

/** The metrics route; register without a prefix. */
export const metricsRoutes: FastifyPluginAsync<MetricsRoutesOptions> = async (app, { metrics, token }) => {
  app.get('/metrics', async (request, reply) => {
    if (token !== undefined) {
      const given = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
      // Hashed, then compared in constant time: neither the length nor a prefix leaks (auth.ts).
      if (!given || !secretsEqual(given, token)) {
        reply.header('www-authenticate', 'Bearer realm="metrics"');
        throw new UnauthorizedError('send the metrics token: Authorization: Bearer <metrics.token>');
      }
    }
    const text = await metrics.render();
    return reply.type(metrics.contentType).header('cache-control', 'no-store').send(text);
  });
};
