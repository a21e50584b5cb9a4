/**
 * A probe of choosing a method on PGlite over HTTP, for comparing two versions of the code on a busy
 * machine: per round, the server process's CPU time per choice (`process.cpuUsage()`; the load
 * client is another process), the statements per choice and each statement's mean wall time
 * (queueing included), beside the rate and p99. Run it from each checkout in turn, alternating:
 * `COUNT=1000 ROUNDS=3 CONNS=16 npx tsx --conditions=@crypto-checkout/source bench/choose-cpu.ts`.
 * `PROFILE=/tmp/choose.cpuprofile` writes a CPU profile of the last round's measured choices (open it
 * in Chrome's DevTools).
 * Not a bench module (the table's figures are `sessions`' rows); it prints, it does not judge.
 * @module
 */
import { buildApp } from '../packages/server/src/app.js';
import { ephemeralSecretBox } from '../packages/server/src/store/secret-box.js';
import { openPglite, type QueryOptions } from '../packages/server/src/store/database.js';
import { migrate } from '../packages/server/src/store/migrations.js';
import { testConfig } from '../test/support/app.js';
import { testSecretKey } from '../test/support/stack.js';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import type { LoadRequest } from './support/load-client.js';
import { load } from './support/load.js';

const COUNT = Number(process.env.COUNT ?? 3000);
const raw = await openPglite('memory://');
await migrate(raw);
const stats = new Map<string, { n: number; ms: number }>();
let tracking = false;
/** Statements are timed and counted only around the measured choices. */
const origQuery = raw.query.bind(raw);
const db = Object.assign(Object.create(raw) as typeof raw, {
  query: async (sql: string, params?: unknown[], options?: QueryOptions) => {
    if (!tracking) return origQuery(sql, params, options);
    const t = performance.now();
    try {
      return await origQuery(sql, params, options);
    } finally {
      const k = sql.replace(/\s+/g, ' ').slice(0, 90);
      const s = stats.get(k) ?? { n: 0, ms: 0 };
      s.n++;
      s.ms += performance.now() - t;
      stats.set(k, s);
    }
  },
}) as typeof raw;
const app = await buildApp({
  config: testConfig({ secret_keys: [testSecretKey()], log_level: 'warn' }),
  db,
  secrets: ephemeralSecretBox(),
  logger: false,
});
const url = await app.server.listen({ port: 0, host: '127.0.0.1' });
const rounds = Number(process.env.ROUNDS ?? 3);
for (let round = 0; round < rounds; round++) {
  const requests: LoadRequest[] = [];
  for (let i = 0; i < COUNT; i++) {
    const session = await app.sessions.create({ amount: '49.99', currency: 'USD' });
    requests.push({
      method: 'POST',
      path: `/v1/sessions/${session.id}/payment`,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${session.client_secret}` },
      body: JSON.stringify({ method: i % 4 ? 'usdc@anvil' : 'eth@anvil' }),
    });
  }
  await load({ url, connections: 16, requests: requests.slice(0, 300) });
  tracking = true;
  stats.clear();
  const profiler = process.env.PROFILE && round === rounds - 1 ? new Session() : null;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  const cpu = process.cpuUsage();
  const r = await load({ url, connections: Number(process.env.CONNS ?? 16), requests: requests.slice(300) });
  const used = process.cpuUsage(cpu);
  tracking = false;
  if (profiler) {
    const { profile } = await profiler.post('Profiler.stop');
    await writeFile(process.env.PROFILE!, JSON.stringify(profile));
    profiler.disconnect();
  }
  for (const [k, v] of stats) console.log(`${v.n} × ${(v.ms / v.n).toFixed(3)} ms  ${k}`);
  console.log(
    `statements per choice: ${([...stats.values()].reduce((a, v) => a + v.n, 0) / (COUNT - 300)).toFixed(2)}`,
  );
  const n = COUNT - 300;
  console.log(
    `round ${round}: ${r.perSecond.toFixed(0)}/s p99 ${r.p99.toFixed(1)} ms errors ${r.errors} ${r.firstError ?? ''}; CPU ${((used.user + used.system) / n).toFixed(0)} µs/choice (user ${(used.user / n).toFixed(0)})`,
  );
}
await app.server.close();
await db.close();
