/**
 * Main-thread CPU per HTTP create (`POST /v1/sessions`) on PGlite, at 16 clients: the noise-resistant
 * figure behind the sessions bench's creates/s (one thread at 1,500/s leaves ≤ ~0.6 ms a create).
 * `PROFILE=/tmp/create.cpuprofile` writes a CPU profile of the measured round (open it in Chrome's
 * DevTools); `DATABASE_URL=postgres://…` runs on PostgreSQL, `WORKER=1` on PGlite in a worker thread
 * (the spike in pglite-worker-spike.ts); `CONNECTIONS`, `CREATES`, `ROUNDS` as named.
 * `node --conditions=@crypto-checkout/source --import tsx bench/create-cpu.ts`
 * @module
 */
import { buildApp } from '../packages/server/src/app.js';
import { ephemeralSecretBox } from '../packages/server/src/store/secret-box.js';
import { openPglite, openPostgres } from '../packages/server/src/store/database.js';
import { openPgliteInWorker } from './pglite-worker-spike.js';
import { migrate } from '../packages/server/src/store/migrations.js';
import { testConfig } from '../test/support/app.js';
import { testSecretKey } from '../test/support/stack.js';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import type { LoadRequest } from './support/load-client.js';
import { load } from './support/load.js';

const secretKey = testSecretKey();
/** The main thread's CPU time in clock ticks (1/100 s), from /proc: `process.cpuUsage()` counts every thread. */
function mainThreadTicks(): number {
  const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
}
const count = Number(process.env.CREATES ?? 10_000);
const connections = Number(process.env.CONNECTIONS ?? 16);
const db = process.env.DATABASE_URL
  ? await openPostgres(process.env.DATABASE_URL)
  : process.env.WORKER
    ? await openPgliteInWorker('memory://')
    : await openPglite('memory://');
await migrate(db);
const app = await buildApp({
  config: testConfig({ secret_keys: [secretKey], log_level: 'warn' }),
  db,
  secrets: ephemeralSecretBox(),
  logger: false,
});
const url = await app.server.listen({ port: 0, host: '127.0.0.1' });
const template: LoadRequest = {
  method: 'POST',
  path: '/v1/sessions',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${secretKey}` },
  body: JSON.stringify({ amount: '49.99', currency: 'USD', order_id: 'bench', metadata: { a: 1 } }),
};
await load({ url, connections, repeat: 1000, template });
for (let round = 0; round < Number(process.env.ROUNDS ?? 1); round++) {
  const profiler = process.env.PROFILE ? new Session() : null;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  const mainBefore = mainThreadTicks();
  const before = process.cpuUsage();
  const result = await load({ url, connections, repeat: count, template });
  const cpu = process.cpuUsage(before);
  const mainUs = ((mainThreadTicks() - mainBefore) * 1e6) / 100;
  if (profiler) {
    const { profile } = await profiler.post('Profiler.stop');
    await writeFile(process.env.PROFILE!, JSON.stringify(profile));
    profiler.disconnect();
  }
  console.log(
    JSON.stringify({
      perSecond: Math.round(result.perSecond),
      p99: result.p99,
      errors: result.errors,
      cpuUsPerCreate: Math.round((cpu.user + cpu.system) / count),
      mainThreadUsPerCreate: Math.round(mainUs / count),
      userUs: Math.round(cpu.user / count),
      systemUs: Math.round(cpu.system / count),
    }),
  );
}
await app.server.close();
await db.close();
