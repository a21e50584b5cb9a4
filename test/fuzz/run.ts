/**
 * `npm run fuzz`: the long fuzz run. The same property as `test/server/fuzz.test.ts` (no 5xx, every
 * error the documented body, every 2xx JSON its route's schema) over 100,000 generated requests by
 * default. Count and seed: `npm run fuzz -- 250000 [seed]`, or `FUZZ_RUNS` and `FUZZ_SEED`. Prints
 * the size, the seed, the time and the answers by status; exits 1 on the first violation, with
 * fast-check's seed and the shrunk request to replay it.
 */
import { fuzz, startFuzzTarget } from '../support/fuzz.js';

const runs = Number(process.argv[2] ?? process.env.FUZZ_RUNS ?? 100_000);
const seed = Number(process.argv[3] ?? process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
if (!Number.isSafeInteger(runs) || runs < 1) throw new Error(`not a request count: ${process.argv[2]}`);

const target = await startFuzzTarget();
console.log(`fuzzing ${target.routes.length} routes with ${runs} requests, seed ${seed}`);
const started = performance.now();
try {
  const { sent, statuses } = await fuzz(target, {
    runs,
    seed,
    onProgress: (n) => {
      if (n % 10_000 === 0)
        console.log(`  ${n} requests, ${((performance.now() - started) / 1000).toFixed(0)} s`);
    },
  });
  const seconds = (performance.now() - started) / 1000;
  const byStatus = [...statuses].sort(([a], [b]) => a - b).map(([status, n]) => `${status}: ${n}`);
  console.log(`${sent} requests in ${seconds.toFixed(1)} s (${Math.round(sent / seconds)}/s), seed ${seed}`);
  console.log(`answers by status: ${byStatus.join(', ')}`);
  console.log(`answers >= 500: ${[...statuses].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0)}`);
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await target.close();
}
