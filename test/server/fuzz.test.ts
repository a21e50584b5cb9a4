/**
 * The bounded fuzz run of `npm test`: thousands of generated requests over every documented route
 * (`test/support/fuzz.ts`), none answering a 5xx or an undocumented error body. `npm run fuzz` runs
 * the same property for longer. A failure prints fast-check's seed and path: rerun it with
 * `FUZZ_SEED=<seed>`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fuzz, startFuzzTarget, type FuzzTarget } from '../support/fuzz.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 5_000);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

describe('fuzzing every route', () => {
  let target: FuzzTarget;
  before(async () => {
    target = await startFuzzTarget();
  });
  after(() => target.close());

  test('the fuzzer covers every documented route and every kind of credential', () => {
    const operations = target.routes.map((r) => r.operation.operationId).sort();
    // The document lists every registered route (the app refuses an undocumented one).
    assert.ok(
      operations.includes('createSession') && operations.includes('streamSessionEvents'),
      operations.join(),
    );
    assert.ok(target.routes.length >= 20, `${target.routes.length} routes`);
    const { pools } = target;
    assert.ok(
      pools.sessionIds.length >= 4 &&
        pools.endpointIds.length &&
        pools.eventIds.length &&
        pools.cursors.length,
    );
  });

  test(`${RUNS} generated requests: no 5xx, every error is the documented body`, async () => {
    const { sent, statuses } = await fuzz(target, { runs: RUNS, seed: SEED });
    assert.equal(sent >= RUNS, true);
    // The run reached past authentication and validation: some requests succeeded, some were refused.
    assert.ok(
      [...statuses.keys()].some((s) => s < 300),
      JSON.stringify([...statuses]),
    );
    assert.ok(statuses.has(400) && statuses.has(401) && statuses.has(404), JSON.stringify([...statuses]));
  });
});
