/**
 * Screenshot comparison for the Node-driven browser tests (test/e2e/), with the same maintained plugin
 * and the same settings as the element suite (@web/test-runner-visual-regression, see
 * web-test-runner.config.mjs): a Playwright page stands in for the test runner's browser session, so
 * that baselines, thresholds, failed shots and diffs work alike. Baselines live in
 * test/e2e/screenshots/Chromium/baseline/; `CC_UPDATE_VISUAL_BASELINE=1` rewrites them after a
 * deliberate change (look at the diff before committing).
 */
import type { Locator } from 'playwright-core';
import { visualRegressionPlugin } from '@web/test-runner-visual-regression/plugin';

/** Where the e2e suite's baselines (and, uncommitted, its failed shots and diffs) are. */
const BASE_DIR = 'test/e2e/screenshots';

const plugin = visualRegressionPlugin({
  update: process.env.CC_UPDATE_VISUAL_BASELINE === '1',
  baseDir: BASE_DIR,
  diffOptions: { threshold: 0.1 },
  failureThreshold: 0.1,
  failureThresholdType: 'percent',
}) as unknown as {
  executeCommand(args: { command: string; payload: unknown; session: unknown }): Promise<unknown>;
};

/**
 * Screenshots the element of `locator` and compares it with the baseline `name`; throws with the
 * plugin's message (how different, where the diff is) when it differs.
 * @example await visualDiff(tab.locator('main'), 'hosted-waiting-phone-light');
 */
export async function visualDiff(locator: Locator, name: string): Promise<void> {
  const page = locator.page();
  const handle = await locator.elementHandle();
  // The plugin finds the element by an id in this page-global map, as its browser command does.
  await page.evaluate((element) => {
    (window as unknown as { __WTR_VISUAL_REGRESSION__: Record<string, unknown> }).__WTR_VISUAL_REGRESSION__ =
      {
        '1': element,
      };
  }, handle);
  const result = (await plugin.executeCommand({
    command: 'visual-diff',
    payload: { id: '1', name },
    session: {
      id: 'e2e',
      testFile: '',
      browser: { name: 'Chromium', type: 'playwright', getPage: () => page },
    },
  })) as { passed: boolean; errorMessage?: string } | undefined;
  if (!result?.passed) throw new Error(result?.errorMessage ?? `visual diff of ${name} failed`);
}
