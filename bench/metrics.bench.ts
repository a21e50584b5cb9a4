/**
 * What the metrics cost: HTTP creates per second on PGlite at 16 clients with metrics off, beside
 * the same with metrics on (`metrics.token`: every answer observed in the latency histogram) and a
 * scraper reading `/metrics` every second meanwhile, as Prometheus would (more often than its usual
 * 15 s). Rounds alternate off/on so that the machine's drift hits both alike; each figure is the
 * median of its rounds. Anchor: the same creates with metrics off, measured in the same run.
 * Run alone with `npm run bench -- --only=metrics`.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { buildApp } from '../packages/server/src/app.js';
import { ephemeralSecretBox } from '../packages/server/src/store/secret-box.js';
import { openPglite } from '../packages/server/src/store/database.js';
import { migrate } from '../packages/server/src/store/migrations.js';
import { testConfig } from '../test/support/app.js';
import { testSecretKey } from '../test/support/stack.js';
import type { BenchOptions, BenchRow } from './support/bench-row.js';
import type { LoadRequest, LoadResult } from './support/load-client.js';
import { load } from './support/load.js';

const CONNECTIONS = 16;
const CREATE_BODY = JSON.stringify({ amount: '49.99', currency: 'USD', order_id: 'bench' });

/** One round: a fresh app on in-memory PGlite, a warm-up, then `count` creates measured. */
async function round(metrics: boolean, count: number): Promise<{ result: LoadResult; scrapeMs: number[] }> {
  const secretKey = testSecretKey();
  const token = randomBytes(24).toString('hex');
  const db = await openPglite('memory://');
  await migrate(db);
  const app = await buildApp({
    config: testConfig({
      secret_keys: [secretKey],
      log_level: 'warn',
      ...(metrics ? { metrics: { token } } : {}),
    }),
    db,
    secrets: ephemeralSecretBox(),
    logger: false,
  });
  const url = await app.server.listen({ port: 0, host: '127.0.0.1' });
  const template: LoadRequest = {
    method: 'POST',
    path: '/v1/sessions',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${secretKey}` },
    body: CREATE_BODY,
  };
  const scrapeMs: number[] = [];
  try {
    await load({ url, connections: CONNECTIONS, repeat: Math.min(count, 1000), template });
    let scraping = metrics;
    const scraper = (async () => {
      while (scraping) {
        const started = performance.now();
        const answer = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
        if (answer.status !== 200) throw new Error(`scrape answered ${answer.status}`);
        await answer.text();
        scrapeMs.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    })();
    const result = await load({ url, connections: CONNECTIONS, repeat: count, template });
    scraping = false;
    await scraper;
    return { result, scrapeMs };
  } finally {
    await app.server.close();
    await db.close();
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** The rows: creates/s and p99 with metrics on, each beside the same with metrics off. */
export async function run({ quick }: BenchOptions): Promise<BenchRow[]> {
  const rounds = quick ? 1 : 3;
  const count = quick ? 1_000 : 5_000;
  const off: LoadResult[] = [];
  const on: LoadResult[] = [];
  const scrapes: number[] = [];
  for (let i = 0; i < rounds; i++) {
    off.push((await round(false, count)).result);
    const measured = await round(true, count);
    on.push(measured.result);
    scrapes.push(...measured.scrapeMs);
  }
  for (const result of [...off, ...on])
    if (result.errors) throw new Error(`creates failed: ${result.errors} (${result.firstError})`);
  const anchor = `metrics off, PGlite, ${CONNECTIONS} clients`;
  return [
    {
      figure: `creates/s, metrics on + 1 scrape/s, PGlite, ${CONNECTIONS} clients`,
      value: median(on.map((r) => r.perSecond)),
      unit: 'req/s',
      anchor,
      anchorValue: median(off.map((r) => r.perSecond)),
      target: '',
      met: null,
    },
    {
      figure: `create p99, metrics on + 1 scrape/s, PGlite, ${CONNECTIONS} clients`,
      value: median(on.map((r) => r.p99)),
      unit: 'ms',
      anchor,
      anchorValue: median(off.map((r) => r.p99)),
      target: '',
      met: null,
    },
    {
      figure: 'scrape of /metrics (median, during the load)',
      value: scrapes.length ? median(scrapes) : 0,
      unit: 'ms',
      anchor: `create p50, metrics off, ${CONNECTIONS} clients`,
      anchorValue: median(off.map((r) => r.p50)),
      target: '',
      met: null,
    },
  ];
}
