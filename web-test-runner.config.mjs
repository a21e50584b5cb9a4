// Element tests: real Chromium (Debian's), real backend and real anvil chain (test/support/stack.ts).
// Run through `npm run test:element`, which loads tsx so that this file can import the TypeScript stack.
import { createRequire } from 'node:module';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { playwrightLauncher } from '@web/test-runner-playwright';
import { visualRegressionPlugin } from '@web/test-runner-visual-regression/plugin';
import { build } from 'vite';

const require = createRequire(import.meta.url);

/**
 * qrcode is CommonJS, which browsers cannot import. Vite turns it into ESM for the bundle; here Vite
 * bundles it once into one ES module that the dev server answers for every `import … from 'qrcode'`.
 * (@rollup/plugin-commonjs ≥ 22 does not work through @web/dev-server-rollup: it only exports
 * `__require` for a module it does not see imported from ESM.)
 * @returns {import('@web/test-runner').TestRunnerPlugin}
 */
function qrcodeAsEsm() {
  const path = '/__qrcode.js';
  /** @type {Promise<string> | undefined} */
  let code;
  const bundle = async () => {
    const result = await build({
      configFile: false,
      logLevel: 'warn',
      build: {
        write: false,
        minify: false,
        // A CommonJS entry comes out as an ES module whose default export is its module.exports.
        lib: { entry: createRequire(import.meta.url).resolve('qrcode/lib/browser.js'), formats: ['es'] },
      },
    });
    const [{ output }] = /** @type {any} */ (Array.isArray(result) ? result : [result]);
    return output[0].code;
  };
  return {
    name: 'qrcode-as-esm',
    resolveImport: ({ source }) => (source === 'qrcode' ? path : undefined),
    serve(context) {
      if (context.path === path) return (code ??= bundle()).then((body) => ({ body, type: 'js' }));
      return undefined;
    },
  };
}

/**
 * Packages bundled once per run with Vite (demo/esm-bundle.ts) into ES modules that the dev server
 * answers for their specifiers, under `/__<name>/`, the entries of one group sharing chunks so that they
 * agree on internals.
 * - viem is about 1 500 small ES modules; loading them one by one through the dev server took seconds
 *   for every test page that shows a payment (the wallet code imports viem): `viem`, `viem/actions` and
 *   `viem/accounts`.
 * - React is CommonJS, which browsers cannot import: `react`, `react/jsx-runtime`, `react-dom` and
 *   `react-dom/client`, as one copy of React (development build) with named exports.
 * @param {string} name
 * @param {Record<string, string>} entries chunk name → specifier
 * @param {{ commonjs?: boolean, entryFile?: (specifier: string) => string }} [options]
 * @returns {import('@web/test-runner').TestRunnerPlugin}
 */
function bundled(name, entries, options = {}) {
  const prefix = `/__${name}/`;
  /** @type {Promise<Map<string, string>> | undefined} */
  let files;
  const bundle = async () => {
    const { bundleAsEsm } = await import('./demo/esm-bundle.ts');
    const { entryFile = (/** @type {string} */ specifier) => specifier, commonjs } = options;
    const sources = Object.fromEntries(
      Object.entries(entries).map(([chunk, specifier]) => [chunk, entryFile(specifier)]),
    );
    const built = await bundleAsEsm(sources, { commonjs });
    return new Map([...built].map(([fileName, code]) => [prefix + fileName, code]));
  };
  const names = Object.fromEntries(Object.entries(entries).map(([chunk, specifier]) => [specifier, chunk]));
  return {
    name: `${name}-bundled`,
    resolveImport: ({ source }) => (names[source] ? `${prefix}${names[source]}.js` : undefined),
    async serve(context) {
      if (!context.path.startsWith(prefix)) return undefined;
      const body = (await (files ??= bundle())).get(context.path);
      return body === undefined ? undefined : { body, type: 'js' };
    },
  };
}

/**
 * Starts the real stack once for the whole run and lets tests drive it through
 * `executeServerCommand(command, payload)` from @web/test-runner-commands. The backend accepts
 * payments up to 0.5 % short as paid (`underpayment_tolerance_percent`), so that tests can show it.
 * @returns {import('@web/test-runner').TestRunnerPlugin}
 */
function stackPlugin() {
  /** @type {import('./test/support/stack.ts').Stack | undefined} */
  let stack;
  return {
    name: 'crypto-checkout-stack',
    async serverStart() {
      const { startStack } = await import('./test/support/stack.ts');
      stack = await startStack({
        // A merchant name, as the demo has: the above-the-fold layout test then counts its line too.
        config: { underpayment_tolerance_percent: '0.5', merchant_name: 'Demo Shop' },
        // An explorer, so that transactions are links (nothing is fetched from it).
        explorerUrl: 'https://explorer.invalid',
      });
    },
    async serverStop() {
      await stack?.stop();
    },
    async executeCommand({ command, payload, session }) {
      if (command === 'build-bundle') return (bundle ??= buildBundle());
      if (command === 'tap') {
        // A real touch tap (the page's browser context has touch), on a selector that pierces shadow roots.
        const { selector } = /** @type {{ selector: string }} */ (payload);
        const page = /** @type {any} */ (session.browser).getPage(session.id);
        await page.tap(selector, { timeout: 10_000 });
        return true;
      }
      if (!command.startsWith('stack-')) return undefined;
      if (!stack) throw new Error('the test stack did not start; see the output above');
      const args = /** @type {any} */ (payload ?? {});
      switch (command) {
        case 'stack-info':
          return { apiUrl: stack.apiUrl, rpcUrl: stack.rpcUrl, usdc: stack.usdc };
        case 'stack-create-session':
          return stack.createSession(args);
        case 'stack-pay':
          return stack.pay(args.address, args.amount, args.token);
        case 'stack-mine':
          await stack.mine(args.blocks);
          return true;
        case 'stack-expire':
          await stack.expire(args.sessionId);
          return true;
        case 'stack-cancel': {
          // The merchant's call, with the secret key: the browser only ever has the client secret.
          const response = await globalThis.fetch(`${stack.apiUrl}/v1/sessions/${args.sessionId}/cancel`, {
            method: 'POST',
            headers: { authorization: `Bearer ${stack.secretKey}` },
          });
          return { status: response.status, body: await response.json() };
        }
        case 'stack-next-block-after-now':
          await nextBlockAfterNow(stack.rpcUrl);
          return true;
        default:
          throw new Error(`unknown stack command ${command}`);
      }
    },
  };
}

/**
 * Makes the next block's timestamp later than the wall clock. Block timestamps have whole seconds and
 * a transfer mined in the second of the expiry (or cancellation) still counts as on time, so a test
 * of a late payment sets this before paying (as test/server/lifecycle.test.ts does).
 * @param {string} rpcUrl
 */
async function nextBlockAfterNow(rpcUrl) {
  const { devClients } = await import('./test/support/chain.ts');
  const { test, public: pub } = devClients(rpcUrl);
  const latest = await pub.getBlock();
  const now = BigInt(Math.ceil(Date.now() / 1000) + 1);
  await test.setNextBlockTimestamp({ timestamp: latest.timestamp >= now ? latest.timestamp + 1n : now });
}

/** The production bundle, built once per run for the tests that load it. @type {Promise<string> | undefined} */
let bundle;

/**
 * Builds the production bundle with vite.config.ts into a directory the test server serves, so that
 * test/element/bundle*.test.ts check what ships (not dist/, which `npm run build` owns), and the
 * classic script (vite.classic.config.ts) next to it, crypto-checkout.classic.js, as in dist/.
 * @returns {Promise<string>} the URL path of the bundle's entry
 */
async function buildBundle() {
  const outDir = 'node_modules/.cache/crypto-checkout-test-bundle';
  await build({ logLevel: 'warn', build: { outDir, emptyOutDir: true, sourcemap: false } });
  await build({
    logLevel: 'warn',
    configFile: 'vite.classic.config.ts',
    build: { outDir, sourcemap: false },
  });
  return `/${outDir}/crypto-checkout.js`;
}

/**
 * Debian's Chromium through Playwright.
 * @param {Parameters<typeof playwrightLauncher>[0]} [options] more launcher options (a browser context)
 */
const chromium = (options = {}) =>
  playwrightLauncher({
    product: 'chromium',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--headless',
      ],
    },
    ...options,
  });

/** An Android WebView's user agent (`; wv)`), as in a native app that embeds the checkout. */
const ANDROID_WEBVIEW_UA =
  'Mozilla/5.0 (Linux; Android 14; Pixel 7 Build/UQ1A.240105.004; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36';

/** @type {import('@web/test-runner').TestRunnerConfig} */
export default {
  files: ['test/element/**/*.test.ts', '!test/element/mobile/**'],
  nodeResolve: { browser: true, exportConditions: ['@crypto-checkout/source'] },
  concurrency: 1,
  // One browser at a time: the tests share one chain and its funded payer.
  concurrentBrowsers: 1,
  testsFinishTimeout: 180_000,
  testFramework: { config: { timeout: 30_000 } },
  browserStartTimeout: 60_000,
  plugins: [
    esbuildPlugin({
      ts: true,
      target: 'es2021',
      tsconfig: fileURLToPath(new URL('./tsconfig.json', import.meta.url)),
    }),
    qrcodeAsEsm(),
    bundled(
      'viem',
      { viem: 'viem', actions: 'viem/actions', accounts: 'viem/accounts' },
      // viem's `require` entry is its CommonJS build; bundle its ES modules.
      { entryFile: (specifier) => require.resolve(specifier).replace(/_cjs/, '_esm') },
    ),
    bundled(
      'react',
      {
        react: 'react',
        'jsx-runtime': 'react/jsx-runtime',
        'react-dom': 'react-dom',
        'react-dom-client': 'react-dom/client',
      },
      { commonjs: true },
    ),
    stackPlugin(),
    // Screenshots of every state (test/element/visual.test.ts) against the committed baselines in
    // test/element/screenshots/<browser>/baseline/; `--update-visual-baseline` rewrites them. Failed
    // shots and their diffs land beside them in failed/ (not committed). A pixel whose color moves
    // less than pixelmatch's threshold is the same pixel (antialiasing); 0.1 % of pixels may differ.
    visualRegressionPlugin({
      update: process.argv.includes('--update-visual-baseline'),
      baseDir: 'test/element/screenshots',
      diffOptions: { threshold: 0.1 },
      failureThreshold: 0.1,
      failureThresholdType: 'percent',
    }),
  ],
  browsers: [chromium()],
  groups: [
    {
      // A phone: 320 px wide, touch, inside a native app's webview.
      name: 'mobile',
      files: 'test/element/mobile/**/*.test.ts',
      // A page made for phones, as a merchant's would be: without this, a phone lays it out 980 px wide.
      testRunnerHtml: (testFramework) =>
        `<!doctype html><html><head><meta name="viewport" content="width=device-width, initial-scale=1"></head><body><script type="module" src="${testFramework}"></script></body></html>`,
      browsers: [
        chromium({
          createBrowserContext: ({ browser }) =>
            browser.newContext({
              viewport: { width: 320, height: 640 },
              deviceScaleFactor: 2,
              isMobile: true,
              hasTouch: true,
              userAgent: ANDROID_WEBVIEW_UA,
            }),
        }),
      ],
    },
  ],
};
