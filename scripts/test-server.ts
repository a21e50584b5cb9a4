/**
 * `npm run test:server`: runs the server test suite with every server it builds logging at `trace`
 * into a temporary folder (`CC_TEST_LOG_DIR`, see test/support/logs.ts), then scans those logs for
 * every secret the tests created or received (test/support/log-scan.ts). Fails when a test fails or
 * when any secret is in any log, listing where. The folder is removed when all is well, kept (and
 * named) otherwise. Test files may be given to run only those; the default is the whole suite.
 *
 *   npm run test:server
 *   npm run test:server -- test/server/api.test.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeLeaks, scanLogs } from '../test/support/log-scan.js';

const given = process.argv.slice(2);
const files = given.length
  ? given
  : ['test/server', 'test/webhooks'].flatMap((dir) =>
      readdirSync(dir)
        .filter((name) => name.endsWith('.test.ts'))
        .sort()
        .map((name) => join(dir, name)),
    );
const logDir = mkdtempSync(join(tmpdir(), 'cc-test-logs-'));

const started = Date.now();
const run = spawnSync(
  process.execPath,
  ['--conditions=@crypto-checkout/source', '--import', 'tsx', '--test', '--test-reporter=spec', ...files],
  { stdio: 'inherit', env: { ...process.env, CC_TEST_LOG_DIR: logDir } },
);
const seconds = ((Date.now() - started) / 1000).toFixed(1);

const scan = scanLogs(logDir);
const summary =
  `log scan: ${scan.lines} lines (${(scan.bytes / 1e6).toFixed(1)} MB) in ${scan.files} files, ` +
  `${scan.secrets} recorded secrets; suite ${seconds} s`;
if (scan.leaks.length) {
  console.error(`${summary}\nsecrets found in the logs (kept in ${logDir}):\n${describeLeaks(scan.leaks)}`);
  process.exit(1);
}
if (scan.lines === 0 && run.status === 0) {
  // A scan of nothing proves nothing: the suite must have logged.
  console.error(`${summary}\nno log lines were written to ${logDir}; is test/support/logs.ts in use?`);
  process.exit(1);
}
console.log(`${summary}: no secret in any log`);
if (run.status === 0) rmSync(logDir, { recursive: true, force: true });
else console.error(`logs kept in ${logDir}`);
process.exit(run.status ?? 1);
