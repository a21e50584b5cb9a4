/**
 * `npm run demo` as a user meets it: its options (ports by flag and environment, a taken port named
 * in the error, `--help`), and in Chromium every demo page reached from the shop's landing page,
 * each rendering a checkout that loaded its session from the backend.
 * @module
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { ROOT, startDemo, type RunningDemo } from '../../demo/demo.js';
import { DEMO_MERCHANT_NAME, DemoOptionsError, parseDemoOptions } from '../../demo/options.js';
import { DEMO_PAGES } from '../../demo/pages.js';
import { launchChromium } from '../support/browser.js';
import { recordSecrets, testLogger } from '../support/logs.js';

/** Runs `npm run demo -- …args` (as its script does: tsx with the source condition) to its exit. */
function runDemoCli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(
    process.execPath,
    ['--conditions=@crypto-checkout/source', '--import', 'tsx', join(ROOT, 'demo', 'start.ts'), ...args],
    { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, stdout, stderr })),
  );
}

/** Holds a port on 127.0.0.1, as another program would. */
async function occupyPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server };
}

describe('npm run demo: options', () => {
  test('flags win over the environment, PORT chooses the shop, the defaults are 8545, 8787 and 5173', () => {
    assert.deepEqual(parseDemoOptions([], {}), {
      chainPort: 8545,
      apiPort: 8787,
      shopPort: 5173,
      merchantName: DEMO_MERCHANT_NAME,
    });
    assert.deepEqual(
      parseDemoOptions(['--api-port', '9000', '--merchant-name', 'Acme'], {
        DEMO_API_PORT: '9100',
        DEMO_CHAIN_PORT: '9545',
        PORT: '3000',
      }),
      { chainPort: 9545, apiPort: 9000, shopPort: 3000, merchantName: 'Acme' },
    );
    assert.equal(
      (parseDemoOptions([], { DEMO_SHOP_PORT: '4000', PORT: '3000' }) as { shopPort: number }).shopPort,
      4000,
    );
    assert.equal(parseDemoOptions(['-h'], {}), 'help');
  });

  test('a port that is not a number, or an unknown flag, is an error naming it', () => {
    assert.throws(() => parseDemoOptions(['--shop-port', 'http'], {}), /--shop-port must be a port number/);
    assert.throws(
      () => parseDemoOptions([], { DEMO_API_PORT: '70000' }),
      /DEMO_API_PORT must be a port number/,
    );
    assert.throws(() => parseDemoOptions(['--port', '1'], {}), DemoOptionsError);
  });

  test('--help prints the options and exits 0', async () => {
    const { code, stdout } = await runDemoCli(['--help']);
    assert.equal(code, 0);
    for (const word of [
      '--chain-port',
      '--api-port',
      '--shop-port',
      '--merchant-name',
      'DEMO_API_PORT',
      'PORT',
    ])
      assert.ok(stdout.includes(word), `${word} in:\n${stdout}`);
  });

  test('a taken port stops the demo at once with an error naming the port and how to choose another', async () => {
    const taken = await occupyPort();
    try {
      const { code, stdout, stderr } = await runDemoCli(['--chain-port', '0', '--shop-port', '0'], {
        DEMO_API_PORT: String(taken.port),
      });
      assert.equal(code, 2, stderr);
      assert.match(stderr, new RegExp(`port ${taken.port} for the backend API is already in use`));
      assert.match(stderr, /npm run demo -- --api-port \d+ \(or DEMO_API_PORT=…\)/);
      // Nothing was built or started: the check runs first.
      assert.ok(!stdout.includes('building'), stdout);
    } finally {
      taken.server.close();
    }
  });
});

describe('npm run demo: every page from the landing page, in Chromium', () => {
  let demo: RunningDemo;
  let browser: Browser;
  let dataDir: string;
  let distDir: string;

  before(async () => {
    // Folders of its own: the test never races a build writing dist/ or a demo using .demo-data/.
    [dataDir, distDir] = await Promise.all([
      mkdtemp(join(tmpdir(), 'cc-demo-data-')),
      mkdtemp(join(tmpdir(), 'cc-demo-dist-')),
    ]);
    // Each assigned as it comes, so that after() stops whichever started when the other failed.
    const launching = launchChromium().then((launched) => (browser = launched));
    await Promise.all([
      launching,
      startDemo({
        chainPort: 0,
        apiPort: 0,
        shopPort: 0,
        merchantName: DEMO_MERCHANT_NAME,
        dataDir,
        distDir,
        logger: testLogger(),
      }).then((started) => (demo = started)),
    ]);
    recordSecrets(demo.secretKey);
  });

  after(async () => {
    await browser?.close();
    await demo?.stop();
    await Promise.all([dataDir, distDir].map((dir) => dir && rm(dir, { recursive: true, force: true })));
  });

  test('the landing page links every page of demo/ and demo/pages.ts, one line each', async () => {
    const files = (await readdir(join(ROOT, 'demo'))).filter((name) => name.endsWith('.html'));
    const listed = DEMO_PAGES.map((page) => page.path);
    for (const file of files)
      assert.ok(
        listed.includes(file === 'index.html' ? '/' : `/${file}`),
        `demo/${file} is not in demo/pages.ts`,
      );

    const tab = await browser.newPage();
    await tab.goto(demo.shopUrl);
    const links = tab.locator('#pages > li > a');
    const hrefs = await links.evaluateAll((anchors) => anchors.map((a) => a.getAttribute('href')));
    assert.deepEqual(hrefs, listed);
    const names = await links.allTextContents();
    assert.deepEqual(
      names,
      DEMO_PAGES.map((page) => page.title),
    );
    await tab.close();
  });

  /** The button each page needs clicked before it shows a checkout; none where it shows one at once. */
  const BUY: Record<string, string | null> = {
    '/': 'Book — $24.00',
    '/modal.html': 'Buy the book — $24.00',
    '/script-tag.html': 'Buy a coffee — $4.50',
    '/react.html': 'Book — $24.00',
    '/vue.html': 'Book — $24.00',
    '/svelte.html': 'Book — $24.00',
    '/webview.html': null,
    '/hosted': null,
  };

  for (const page of DEMO_PAGES) {
    test(`${page.title} (${page.path}): reached from the landing page, renders a checkout with its session`, async () => {
      assert.ok(page.path in BUY, `no buy step for ${page.path}`);
      const tab = await browser.newPage();
      const errors: string[] = [];
      tab.on('pageerror', (error) => errors.push(error.message));
      try {
        await tab.goto(demo.shopUrl);
        // Followed as a buyer would: the link on the landing page, not a typed URL.
        await Promise.all([
          tab.waitForURL((url) => url.pathname !== '/' || page.path === '/'),
          tab.locator(`#pages > li > a[href="${page.path}"]`).click(),
        ]);
        const buy = BUY[page.path];
        if (buy) await tab.getByRole('button', { name: buy, exact: true }).first().click();
        // status="open" is reflected once the element has loaded the session from the backend.
        await tab.locator('crypto-checkout[status="open"]').first().waitFor({ timeout: 20_000 });
        if (page.path === '/hosted') {
          assert.equal(new URL(tab.url()).origin, demo.apiUrl);
          await tab.getByRole('heading', { level: 1, name: `Pay ${DEMO_MERCHANT_NAME}` }).waitFor();
          assert.ok(!(await tab.title()).includes('127.0.0.1'), await tab.title());
          await tab.locator(`#return-link[href="${demo.shopUrl}/"]`).waitFor();
        }
        assert.deepEqual(errors, []);
      } finally {
        await tab.close();
      }
    });
  }
});
