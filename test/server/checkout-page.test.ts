import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import {
  sessionSchema,
  webhookSessionSchema,
  type BuyerSession,
  type Session,
} from '@crypto-checkout/protocol';
import { ConfigError, loadConfig, parseConfig } from '../../packages/server/src/config.js';
import { SESSION_EXAMPLE } from '../../packages/server/src/openapi.js';
import { checkoutUrl, merchantDisplayName, publicBaseUrl } from '../../packages/server/src/public-url.js';
import { hostedMessages } from '../../src/element/hosted-messages.js';
import type { Translation } from '../../src/element/messages.js';
import { buildTestApp, testConfig, type TestApp } from '../support/app.js';

/** A stand-in for `npm run build`'s output: the page's script, an entry, a hashed chunk, a map. */
async function fakeDist(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cc-dist-'));
  await writeFile(join(dir, 'hosted-page.js'), 'import "./crypto-checkout.js";\n');
  await writeFile(join(dir, 'crypto-checkout.js'), 'export const x = 1;\n');
  await writeFile(join(dir, 'qr-nPAwriXk.js'), 'export const qr = 1;\n');
  await writeFile(join(dir, 'qr-nPAwriXk.js.map'), '{"version":3}');
  await writeFile(join(dir, 'notes.txt'), 'not a script');
  await mkdir(join(dir, 'folder.js'));
  await mkdir(join(dir, 'types'));
  await writeFile(join(dir, 'types', 'index.d.js'), 'nested');
  return dir;
}

/** The directives of a Content-Security-Policy header, by name. */
function csp(response: LightMyRequestResponse): Map<string, string[]> {
  const header = String(response.headers['content-security-policy'] ?? '');
  return new Map(
    header
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...values]) => [name!, values]),
  );
}

const PUBLIC_URL = 'https://pay.shop.example/';
const PUBLIC_BASE = 'https://pay.shop.example';

describe('checkout_url', () => {
  let app: TestApp;
  before(async () => {
    app = await buildTestApp({ public_url: PUBLIC_URL, merchant_name: 'Acme Shop' });
  });
  after(() => app.close());

  const get = async (url: string, token: string) => {
    const response = await app.server.inject({
      method: 'GET',
      url,
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(response.statusCode, 200, response.body);
    return response.json();
  };

  test('create, retrieve, list and cancel answer {public_url}/checkout/{id}#{client_secret}', async () => {
    const created = await app.createSession({ order_id: 'A-1' });
    const expected = `${PUBLIC_BASE}/checkout/${created.id}#${created.client_secret}`;
    assert.equal(created.checkout_url, expected);
    sessionSchema.parse(created);

    assert.equal(
      ((await get(`/v1/sessions/${created.id}`, app.secretKey)) as Session).checkout_url,
      expected,
    );
    const list = (await get('/v1/sessions?order_id=A-1', app.secretKey)) as { data: Session[] };
    assert.deepEqual(
      list.data.map((s) => s.checkout_url),
      [expected],
    );
    const canceled = await app.server.inject({
      method: 'POST',
      url: `/v1/sessions/${created.id}/cancel`,
      headers: { authorization: `Bearer ${app.secretKey}` },
    });
    assert.equal(canceled.statusCode, 200, canceled.body);
    assert.equal((canceled.json() as Session).checkout_url, expected);
  });

  test('the client secret is only in the fragment, so the request line never carries it', async () => {
    const session = await app.createSession();
    const url = new URL(session.checkout_url);
    assert.equal(url.origin + url.pathname, `${PUBLIC_BASE}/checkout/${session.id}`);
    assert.equal(url.search, '');
    assert.equal(decodeURIComponent(url.hash.slice(1)), session.client_secret);
    assert.ok(!url.pathname.includes('secret'));
  });

  test('the buyer view has no checkout_url', async () => {
    const session = await app.createSession();
    const buyer = (await get(`/v1/sessions/${session.id}`, session.client_secret)) as BuyerSession;
    assert.equal('checkout_url' in buyer, false);
    assert.equal('client_secret' in buyer, false);
  });

  test('webhook payloads leave checkout_url out, as they leave the client secret out', async () => {
    assert.equal('checkout_url' in webhookSessionSchema.shape, false);
    const endpoint = await app.server.inject({
      method: 'POST',
      url: '/v1/webhook_endpoints',
      headers: { authorization: `Bearer ${app.secretKey}` },
      payload: { url: 'https://shop.example/hooks', events: ['*'] },
    });
    assert.equal(endpoint.statusCode, 201, endpoint.body);
    const session = await app.createSession();
    await app.server.inject({
      method: 'POST',
      url: `/v1/sessions/${session.id}/cancel`,
      headers: { authorization: `Bearer ${app.secretKey}` },
    });
    const events = (await get(`/v1/webhook_events?session_id=${session.id}`, app.secretKey)) as {
      data: { type: string; payload: { data: Record<string, unknown> } }[];
    };
    assert.equal(events.data[0]?.type, 'session.canceled');
    const data = events.data[0]!.payload.data;
    assert.equal(data.id, session.id);
    assert.equal('checkout_url' in data, false);
    assert.ok(!JSON.stringify(events).includes(session.client_secret));
  });

  test("the OpenAPI document's session example is a valid session with a checkout_url", () => {
    const example = sessionSchema.parse(SESSION_EXAMPLE);
    assert.equal(
      example.checkout_url,
      checkoutUrl('https://pay.shop.example', example.id, example.client_secret),
    );
  });
});

describe('public_url and merchant_name configuration', () => {
  test('without public_url, links use the address the server listens on', async () => {
    assert.equal(publicBaseUrl(testConfig()), 'http://127.0.0.1:8787');
    assert.equal(publicBaseUrl(testConfig({ host: '0.0.0.0', port: 9000 })), 'http://127.0.0.1:9000');
    assert.equal(publicBaseUrl(testConfig({ host: '::1' })), 'http://[::1]:8787');
    const config = testConfig({ port: 0 });
    assert.equal(
      publicBaseUrl(config, { address: '127.0.0.1', family: 'IPv4', port: 41234 }),
      'http://127.0.0.1:41234',
    );

    const app = await buildTestApp({ host: '127.0.0.1', port: 0 });
    try {
      await app.server.listen({ host: '127.0.0.1', port: 0 });
      const port = (app.server.server.address() as { port: number }).port;
      const session = await app.createSession();
      assert.equal(
        session.checkout_url,
        `http://127.0.0.1:${port}/checkout/${session.id}#${session.client_secret}`,
      );
    } finally {
      await app.close();
    }
  });

  test('public_url must be an http(s) URL without query or fragment; trailing slashes are dropped', () => {
    assert.equal(
      testConfig({ public_url: 'https://pay.example/shop//' }).public_url,
      'https://pay.example/shop',
    );
    for (const bad of [
      'ftp://pay.example',
      'pay.example',
      'https://pay.example/?a=1',
      'https://pay.example/#x',
      'https://u:p@pay.example',
    ]) {
      assert.throws(
        () => testConfig({ public_url: bad }),
        (error: Error) => {
          assert.ok(error instanceof ConfigError);
          assert.match(error.message, /public_url/);
          return true;
        },
        bad,
      );
    }
  });

  test('without merchant_name the page has no name to show, and every language has neutral words for it', async () => {
    assert.equal(merchantDisplayName({ merchant_name: undefined }), '');
    assert.equal(merchantDisplayName({ merchant_name: 'Acme' }), 'Acme');
    const languages = ['ar', 'de', 'es', 'fr', 'ja', 'pt', 'ru', 'tr', 'zh'];
    const all = [
      hostedMessages,
      ...(await Promise.all(
        languages.map(
          async (tag) =>
            ((await import(`../../src/element/locales/${tag}.ts`)) as { default: Translation }).default
              .hosted,
        ),
      )),
    ];
    for (const [i, hosted] of all.entries()) {
      for (const text of [hosted.title, hosted.returnTo, hosted.cancelAndReturn]) {
        const neutral = text('');
        assert.ok(neutral && neutral === neutral.trim(), `${i}: "${neutral}"`);
        assert.notEqual(
          neutral,
          text('Acme').replace('Acme', '').trim(),
          `${i}: "${neutral}" only drops the name`,
        );
        assert.ok(text('Acme').includes('Acme'));
      }
    }
  });

  test('merchant_name is trimmed, not empty, and free of control characters', () => {
    assert.equal(testConfig({ merchant_name: '  Acme  ' }).merchant_name, 'Acme');
    assert.throws(() => testConfig({ merchant_name: '   ' }), /merchant_name/);
    assert.throws(
      () => testConfig({ merchant_name: 'A\nB' }),
      /merchant_name: "A\\nB" must not contain control characters/,
    );
    assert.throws(() => testConfig({ merchant_name: 'x'.repeat(101) }), /merchant_name/);
  });

  test('CC_PUBLIC_URL and CC_MERCHANT_NAME set them from the environment', () => {
    const base = testConfig();
    const config = loadConfig({
      CC_XPUB: base.xpub,
      CC_CHAINS: JSON.stringify(base.chains),
      CC_PUBLIC_URL: 'https://pay.example/',
      CC_MERCHANT_NAME: 'Acme',
    });
    assert.equal(config.public_url, 'https://pay.example');
    assert.equal(config.merchant_name, 'Acme');
    assert.equal(parseConfig({ xpub: base.xpub, chains: base.chains }).public_url, undefined);
  });
});

describe('GET /checkout/:id and GET /checkout/assets/:file', () => {
  let app: TestApp;
  /** No merchant_name, WalletConnect on. */
  let other: TestApp;
  let dist: string;
  let outside: string;
  before(async () => {
    dist = await fakeDist();
    outside = await mkdtemp(join(tmpdir(), 'cc-outside-'));
    await writeFile(join(outside, 'secret.js'), 'export const secret = "outside dist";');
    await symlink(join(outside, 'secret.js'), join(dist, 'linked-AbCdEfGh.js'));
    [app, other] = await Promise.all([
      buildTestApp({ public_url: PUBLIC_URL, merchant_name: '<script>&"Acme\'' }, { distDir: dist }),
      buildTestApp(
        { public_url: 'https://pay.shop.example', walletconnect_project_id: 'abcdef0123456789' },
        { distDir: dist },
      ),
    ]);
  });
  after(async () => {
    await Promise.all([app.close(), other.close()]);
    await rm(dist, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  const page = (url: string) => app.server.inject({ method: 'GET', url });

  const assertPageHeaders = (response: LightMyRequestResponse) => {
    assert.equal(response.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(response.headers['referrer-policy'], 'no-referrer');
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.equal(response.headers['x-frame-options'], 'DENY');
    const policy = csp(response);
    assert.deepEqual(policy.get('default-src'), ["'none'"]);
    assert.deepEqual(policy.get('script-src'), ["'self'"]);
    assert.deepEqual(policy.get('connect-src'), ["'self'"]);
    assert.deepEqual(policy.get('img-src'), ["'self'", 'data:']);
    assert.deepEqual(policy.get('frame-ancestors'), ["'none'"]);
    assert.deepEqual(policy.get('base-uri'), ["'none'"]);
    assert.deepEqual(policy.get('form-action'), ["'none'"]);
    assert.equal(policy.has('frame-src'), false);
    const style = policy.get('style-src') ?? [];
    assert.equal(style.length, 1);
    assert.match(style[0]!, /^'nonce-[A-Za-z0-9+/]{24}'$/);
    assert.ok(!String(response.headers['content-security-policy']).includes('unsafe'));
  };

  test('answers the page with the merchant name, the page script and strict security headers', async () => {
    const session = await app.createSession();
    const response = await page(`/checkout/${session.id}`);
    assert.equal(response.statusCode, 200, response.body);
    assertPageHeaders(response);
    const html = response.body;
    assert.match(html, /^<!doctype html>\n<html lang="en" dir="ltr">/);
    assert.ok(
      html.includes(
        '<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">',
      ),
    );
    assert.ok(html.includes('<script type="module" src="assets/hosted-page.js"></script>'));
    assert.ok(html.includes(`data-session-id="${session.id}"`));
    // The one inline element is the <style>, admitted by the nonce of this response only.
    const nonce = /<style nonce="([^"]+)">/.exec(html)?.[1];
    assert.ok(nonce);
    assert.deepEqual(csp(response).get('style-src'), [`'nonce-${nonce}'`]);
    assert.equal((html.match(/<script/g) ?? []).length, 1);
    assert.ok(!/ on[a-z]+=/i.test(html), 'no inline event handlers');
    // Nothing of the session but its id: the client secret stays in the browser's fragment.
    assert.ok(!html.includes(session.client_secret));
    assert.ok(!html.includes('secret'));
    const again = await page(`/checkout/${session.id}`);
    assert.notDeepEqual(
      csp(again).get('style-src'),
      csp(response).get('style-src'),
      'a fresh nonce per response',
    );
  });

  test('escapes the merchant name everywhere it appears', async () => {
    const session = await app.createSession();
    const html = (await page(`/checkout/${session.id}`)).body;
    const escaped = '&lt;script&gt;&amp;&quot;Acme&#39;';
    assert.ok(html.includes(`<title>Pay ${escaped}</title>`), html);
    assert.ok(html.includes(`<h1 id="title">Pay ${escaped}</h1>`));
    assert.ok(html.includes(`data-merchant="${escaped}"`));
    assert.ok(!html.includes('<script>&'));
    assert.ok(!html.includes('"Acme'));
  });

  test('without merchant_name the page uses neutral words, never the host of public_url', async () => {
    const session = await other.createSession();
    const html = (await other.server.inject({ method: 'GET', url: `/checkout/${session.id}` })).body;
    assert.ok(html.includes('<title>Complete your payment</title>'), html);
    assert.ok(html.includes('<h1 id="title">Complete your payment</h1>'), html);
    assert.ok(html.includes('data-merchant=""'), html);
    assert.ok(!html.includes('pay.shop.example'), html);
  });

  test('allows WalletConnect hosts only when walletconnect_project_id is configured', async () => {
    const session = await other.createSession();
    const response = await other.server.inject({ method: 'GET', url: `/checkout/${session.id}` });
    assert.equal(response.statusCode, 200);
    const policy = csp(response);
    assert.equal(policy.get('connect-src')![0], "'self'");
    assert.ok(policy.get('connect-src')!.includes('wss://relay.walletconnect.org'));
    assert.ok(policy.get('connect-src')!.includes('https://rpc.walletconnect.org'));
    assert.ok(policy.get('frame-src')!.includes('https://verify.walletconnect.org'));
    assert.deepEqual(policy.get('script-src'), ["'self'"]);
  });

  test('an unknown or malformed session id answers a 404 page with the same headers, never a 5xx', async () => {
    for (const url of [
      '/checkout/cs_doesnotexist',
      '/checkout/nope',
      '/checkout/cs_',
      `/checkout/cs_${'a'.repeat(65)}`,
      '/checkout/cs_abc%00',
      '/checkout/cs_abc%2F..%2F..',
      '/checkout/%3Cscript%3Ealert(1)%3C%2Fscript%3E',
    ]) {
      const response = await page(url);
      assert.equal(response.statusCode, 404, `${url}: ${response.body}`);
      assertPageHeaders(response);
      assert.match(response.body, /<h1>Checkout not found<\/h1>/);
      assert.ok(!response.body.includes('<script'), url);
    }
  });

  test('a malformed percent-encoding is a client error, not a 5xx', async () => {
    const response = await page('/checkout/%E0%A4%A');
    assert.ok([400, 404].includes(response.statusCode), `${response.statusCode}`);
  });

  test('a HEAD request gets the headers', async () => {
    const session = await app.createSession();
    const response = await app.server.inject({ method: 'HEAD', url: `/checkout/${session.id}` });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['cache-control'], 'no-store');
  });

  const asset = (file: string) => app.server.inject({ method: 'GET', url: `/checkout/assets/${file}` });

  test('serves the entries with short caching and hashed chunks as immutable', async () => {
    for (const [file, cache] of [
      ['hosted-page.js', 'public, max-age=300'],
      ['crypto-checkout.js', 'public, max-age=300'],
      ['qr-nPAwriXk.js', 'public, max-age=31536000, immutable'],
    ] as const) {
      const response = await asset(file);
      assert.equal(response.statusCode, 200, `${file}: ${response.body}`);
      assert.equal(response.headers['content-type'], 'text/javascript; charset=utf-8');
      assert.equal(response.headers['cache-control'], cache, file);
      assert.equal(response.headers['x-content-type-options'], 'nosniff');
    }
    assert.equal((await asset('hosted-page.js')).body, 'import "./crypto-checkout.js";\n');
    const map = await asset('qr-nPAwriXk.js.map');
    assert.equal(map.statusCode, 200);
    assert.equal(map.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(map.headers['cache-control'], 'public, max-age=31536000, immutable');
  });

  test('refuses path traversal, other file types, folders, nested files and symlinks out of dist/', async () => {
    for (const file of [
      '..%2Fpackage.json',
      '..%2F..%2Fpackage.json',
      '%2E%2E%2Fpackage.json',
      '..%5Cpackage.json',
      '..%2Fsrc%2Fserver%2Fmain.js',
      '%2Fetc%2Fpasswd',
      '%2Fetc%2Fpasswd.js',
      '.hidden.js',
      'notes.txt',
      'folder.js',
      'types%2Findex.d.js',
      'missing.js',
      'linked-AbCdEfGh.js',
      'hosted-page.js%00.txt',
    ]) {
      const response = await asset(file);
      assert.equal(response.statusCode, 404, `${file}: ${response.statusCode} ${response.body}`);
      assert.equal((response.json() as { error: { code: string } }).error.code, 'not_found');
      assert.ok(!response.body.includes('outside dist'));
    }
    for (const url of [
      '/checkout/assets/..',
      '/checkout/assets/../../package.json',
      '/checkout/assets//etc/passwd',
      '/checkout/assets/types/index.d.js',
    ]) {
      const response = await app.server.inject({ method: 'GET', url });
      assert.equal(response.statusCode, 404, `${url}: ${response.body}`);
      assert.ok(!response.body.includes('"name": "crypto-checkout"'));
    }
  });
});

describe('without a build in dist/', () => {
  let app: TestApp;
  let empty: string;
  before(async () => {
    empty = await mkdtemp(join(tmpdir(), 'cc-empty-dist-'));
    app = await buildTestApp({}, { distDir: join(empty, 'dist') });
  });
  after(async () => {
    await app.close();
    await rm(empty, { recursive: true, force: true });
  });

  test('assets answer 503 checkout_page_unavailable saying to build', async () => {
    const response = await app.server.inject({ method: 'GET', url: '/checkout/assets/hosted-page.js' });
    assert.equal(response.statusCode, 503);
    const { error } = response.json() as { error: { code: string; message: string } };
    assert.equal(error.code, 'checkout_page_unavailable');
    assert.match(error.message, /npm run build/);
  });

  test('the page answers a 503 page for a real session and still 404 for an unknown one', async () => {
    const session = await app.createSession();
    const response = await app.server.inject({ method: 'GET', url: `/checkout/${session.id}` });
    assert.equal(response.statusCode, 503);
    assert.equal(response.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.match(response.body, /Checkout unavailable/);
    assert.equal((await app.server.inject({ method: 'GET', url: '/checkout/cs_unknown' })).statusCode, 404);
  });
});
