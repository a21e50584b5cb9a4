// The four published packages as users get them: packed, installed offline into a fresh project
// (test/support/packed.ts), then imported there — Node for the server, the verifier and the protocol,
// the test browser for the element. Prints each package's dependency count and sizes (README table).
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createReadStream, existsSync, readdirSync as readdirSyncFs, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { Webhook } from 'standardwebhooks';
import { startAnvil, type Anvil } from '../support/chain.js';
import { launchChromium } from '../support/browser.js';
import { REPO } from '../support/built.js';
import { installPacked, PACKAGES, type PackageName, type PackedProject } from '../support/packed.js';
import { testMerchantWallet } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

const run = promisify(execFile);
const name = (dependency: string) => dependency.slice(0, dependency.lastIndexOf('@'));

/** Packages that have no business in a browser component's install. */
const NODE_ONLY =
  /^(fastify|@fastify\/.*|pg|pg-.*|@electric-sql\/pglite|pino|pino-.*|tsx|esbuild|vite|typescript|ws|yargs|@types\/node)$/;
/** Build, test and lint tools: none belongs in a production install of the server. */
const TOOLS =
  /^(tsx|esbuild|vite|rollup|rolldown|typescript|eslint|prettier|playwright.*|@web\/.*|@foundry-rs\/.*|mocha|chai|@types\/.*|standardwebhooks|@readme\/.*)$/;

describe('the published packages, packed and installed offline', { timeout: 600_000 }, () => {
  let project: PackedProject;
  /** Runs `code` as an ES module in Node in the installed project (no source condition, no tsx). */
  const node = async (code: string, env: Record<string, string> = {}) =>
    (
      await run(process.execPath, ['--input-type=module', '-e', code], {
        cwd: project.dir,
        env: { PATH: process.env.PATH, ...env },
      })
    ).stdout;

  before(async () => {
    project = await installPacked();
  });
  after(() => project?.remove());

  test('each package: dependencies, tarball and unpacked sizes (the README table)', () => {
    const rows = (Object.keys(PACKAGES) as PackageName[]).map((pkg) => {
      const { size, unpackedSize, entryCount } = project.packs[pkg];
      const deps = project.dependencies[pkg];
      return {
        package: pkg,
        'production dependencies': `${deps.length} (${new Set(deps.map(name)).size} names)`,
        tarball: `${(size / 1024).toFixed(0)} KB`,
        unpacked: `${(unpackedSize / 1024).toFixed(0)} KB, ${entryCount} files`,
        'install size': `${(project.installSize[pkg] / 1024 / 1024).toFixed(1)} MB`,
      };
    });
    console.table(rows);
    // Each tarball carries the licence its package.json names, the repository's own text.
    const license = readFileSync(join(REPO, 'LICENSE'), 'utf8');
    assert.match(license, /^MIT License/);
    for (const pkg of Object.keys(PACKAGES) as PackageName[]) {
      assert.ok(
        project.packs[pkg].files.some((file) => file.path === 'LICENSE'),
        `${pkg}'s tarball has no LICENSE`,
      );
      assert.equal(readFileSync(join(project.dir, 'node_modules', pkg, 'LICENSE'), 'utf8'), license, pkg);
    }
    assert.deepEqual(project.dependencies['@crypto-checkout/webhooks'], []);
    assert.deepEqual(project.dependencies['@crypto-checkout/protocol'].map(name), ['zod']);
  });

  test('the element package brings no Node-only package, and the server no build or test tool', () => {
    const element = project.dependencies['crypto-checkout'].map(name);
    assert.ok(element.includes('lit'), 'lit is the element’s runtime');
    assert.deepEqual(
      element.filter((dep) => NODE_ONLY.test(dep)),
      [],
    );
    const server = project.dependencies['@crypto-checkout/server'].map(name);
    assert.ok(server.includes('fastify') && server.includes('@electric-sql/pglite'));
    assert.deepEqual(
      server.filter((dep) => TOOLS.test(dep)),
      [],
    );
    // What `npm ls --omit=dev` sees in the installed project agrees: none of it is there at all.
    const installed = readdirNames(join(project.dir, 'node_modules'));
    assert.deepEqual(
      installed.filter((dep) => TOOLS.test(dep) && dep !== '@types/trusted-types'),
      [],
    );
  });

  test('@crypto-checkout/webhooks verifies in plain Node, agreeing with the Standard Webhooks library', async () => {
    const secret = `whsec_${Buffer.from('a'.repeat(32)).toString('base64')}`;
    const body = JSON.stringify({
      type: 'session.paid',
      timestamp: new Date().toISOString(),
      data: { id: 'x' },
    });
    const out = await node(
      `const { signWebhook, verifyWebhook } = await import('@crypto-checkout/webhooks');
       const headers = await signWebhook({ id: 'msg_1', body: process.env.BODY, secret: process.env.SECRET });
       const event = await verifyWebhook(process.env.BODY, headers, process.env.SECRET);
       console.log(JSON.stringify({ headers, type: event.type }));`,
      { BODY: body, SECRET: secret },
    );
    const { headers, type } = JSON.parse(out) as { headers: Record<string, string>; type: string };
    assert.equal(type, 'session.paid');
    assert.deepEqual(new Webhook(secret).verify(body, headers), JSON.parse(body));
  });

  test('@crypto-checkout/protocol parses with its zod schemas; its statuses need no zod', async () => {
    const out = await node(
      `const protocol = await import('@crypto-checkout/protocol');
       const statuses = await import('@crypto-checkout/protocol/statuses');
       console.log(JSON.stringify({
         ok: protocol.sessionStatusSchema.safeParse('paid').success,
         bad: protocol.sessionStatusSchema.safeParse('nope').success,
         terminal: statuses.isTerminalStatus('paid'),
       }));`,
    );
    assert.deepEqual(JSON.parse(out), { ok: true, bad: false, terminal: true });
    const statuses = readFileSync(
      join(project.dir, 'node_modules/@crypto-checkout/protocol/dist/statuses.js'),
      'utf8',
    );
    assert.doesNotMatch(statuses, /from ['"]zod['"]/);
  });

  describe('@crypto-checkout/server', () => {
    let anvil: Anvil;
    let data: string;
    before(async () => {
      anvil = await startAnvil();
      data = await mkdtemp(join(tmpdir(), 'cc-packed-data-'));
    });
    after(async () => {
      await anvil?.stop();
      await rm(data, { recursive: true, force: true });
    });

    test('its bin starts the compiled server with node on a fresh PGlite, serves the API and the hosted page', async () => {
      const bin = join(project.dir, 'node_modules/.bin/crypto-checkout-server');
      assert.ok(existsSync(bin));
      const started = performance.now();
      const child = spawn(bin, ['start'], {
        cwd: project.dir,
        env: {
          PATH: process.env.PATH,
          PORT: '0',
          HOST: '127.0.0.1',
          CC_DATA_DIR: data,
          CC_XPUB: testMerchantWallet().xpub,
          CC_CHAINS: JSON.stringify([{ key: 'anvil', rpc_url: anvil.rpcUrl }]),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      try {
        const url = await waitFor(
          () => /"url":"(http:\/\/[^"]+)"/.exec(output)?.[1],
          30_000,
          'the packed server to log that it listens',
        );
        const listeningMs = performance.now() - started;
        console.log(`packed server: spawn → listening on a fresh PGlite in ${listeningMs.toFixed(0)} ms`);
        assert.equal((await fetch(`${url}/health`)).status, 200);
        const openapi = (await (await fetch(`${url}/openapi.json`)).json()) as { openapi: string };
        assert.match(openapi.openapi, /^3\.1/);
        const page = await fetch(`${url}/checkout/assets/hosted-page.js`);
        assert.equal(page.status, 200, 'the hosted page’s scripts ship inside the server package');
        assert.match(page.headers.get('content-type') ?? '', /javascript/);
        // Every line it logged is JSON from pino, and no tool printed anything of its own.
        for (const line of output.trim().split('\n')) assert.doesNotThrow(() => JSON.parse(line), line);
      } finally {
        child.kill('SIGTERM');
      }
      assert.equal(await exited, 0, output);
      assert.ok(statSync(data).isDirectory());
    });
  });

  describe('crypto-checkout in the test browser', () => {
    let server: Server;
    let origin: string;
    before(async () => {
      server = createServer((req, res) => {
        const path = normalize(decodeURIComponent(new URL(req.url!, 'http://x').pathname));
        if (path === '/') {
          res.writeHead(200, { 'content-type': 'text/html' }).end(
            `<!doctype html><html lang="en"><body>
              <crypto-checkout no-wallet></crypto-checkout>
              <script type="module" src="/node_modules/crypto-checkout/dist/crypto-checkout.js"></script>
            </body></html>`,
          );
          return;
        }
        const file = join(project.dir, path);
        if (!file.startsWith(project.dir) || !existsSync(file) || !statSync(file).isFile()) {
          res.writeHead(404).end();
          return;
        }
        const type = { '.js': 'text/javascript', '.json': 'application/json' }[extname(file)] ?? 'text/plain';
        res.writeHead(200, { 'content-type': type });
        createReadStream(file).pipe(res);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const address = server.address() as { port: number };
      origin = `http://127.0.0.1:${address.port}`;
    });
    after(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

    test('the installed dist defines the three elements, which render without a session', async () => {
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('pageerror', (error) => errors.push(error.message));
        await page.goto(origin);
        await page.waitForFunction(() => customElements.get('crypto-checkout'));
        const state = await page.evaluate(async () => {
          const element = document.querySelector('crypto-checkout') as HTMLElement & {
            updateComplete: Promise<unknown>;
          };
          await element.updateComplete;
          return {
            defined: ['crypto-checkout', 'crypto-checkout-dialog', 'crypto-checkout-button'].map((tag) =>
              Boolean(customElements.get(tag)),
            ),
            rendered: Boolean(element.shadowRoot?.childElementCount),
          };
        });
        assert.deepEqual(state, { defined: [true, true, true], rendered: true });
        assert.deepEqual(errors, []);
      } finally {
        await browser.close();
      }
    });

    test('the installed package imports by name in plain Node (server-side rendering) with only lit', async () => {
      const out = await node(
        `const checkout = await import('crypto-checkout');
         console.log(JSON.stringify({ defined: Boolean(customElements.get('crypto-checkout')), exports: Object.keys(checkout).length > 0 }));`,
      );
      assert.deepEqual(JSON.parse(out), { defined: true, exports: true });
    });
  });
});

/** The package names installed directly under `node_modules` (scoped ones as `@scope/name`). */
function readdirNames(dir: string): string[] {
  return readdirSyncSafe(dir).flatMap((entry) =>
    entry.startsWith('@') ? readdirSyncSafe(join(dir, entry)).map((inner) => `${entry}/${inner}`) : [entry],
  );
}

function readdirSyncSafe(dir: string): string[] {
  return existsSync(dir) ? (readdirSyncFs(dir) as string[]).filter((entry) => !entry.startsWith('.')) : [];
}
