import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import {
  signWebhook,
  verifyWebhook,
  WebhookVerificationError,
  type WebhookVerificationReason,
} from '@crypto-checkout/webhooks';

/**
 * The signature scheme against an independent implementation (the Standard Webhooks reference
 * library, `standardwebhooks`) in both directions, and what `verifyWebhook` says when it refuses.
 */

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const secret = () => `whsec_${randomBytes(32).toString('base64')}`;
const body = JSON.stringify({
  type: 'session.paid',
  timestamp: '2025-01-31T12:00:00.000Z',
  data: { id: 'cs_test', status: 'paid', order_id: 'A-1', amount: '49.99', note: 'üñí €' },
});

async function refused(
  fn: () => Promise<unknown>,
  reason: WebhookVerificationReason,
  message: RegExp,
): Promise<void> {
  await assert.rejects(fn, (error: unknown) => {
    assert.ok(error instanceof WebhookVerificationError, `not a WebhookVerificationError: ${String(error)}`);
    assert.equal(error.reason, reason);
    assert.match(error.message, message);
    return true;
  });
}

describe('webhook signatures', () => {
  test('what signWebhook signs verifies with the standardwebhooks package', async () => {
    const key = secret();
    const headers = await signWebhook({ id: 'msg_abc123', body, secret: key });
    assert.match(headers['webhook-signature'], /^v1,[A-Za-z0-9+/]{43}=$/);
    assert.deepEqual(new Webhook(key).verify(body, headers), JSON.parse(body));
    assert.throws(() => new Webhook(secret()).verify(body, headers), /No matching signature/);
  });

  test('verifyWebhook accepts what the standardwebhooks package signs, from a string or the raw bytes', async () => {
    const key = secret();
    const at = new Date();
    const headers = {
      'webhook-id': 'msg_xyz',
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(key).sign('msg_xyz', at, body),
    };
    assert.deepEqual(await verifyWebhook(body, headers, key), JSON.parse(body));
    assert.deepEqual(await verifyWebhook(Buffer.from(body), headers, key), JSON.parse(body));
    // Header names in any case, and a fetch Headers object (Next.js, Hono, Deno, Bun).
    const upper = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]));
    assert.equal((await verifyWebhook(body, upper, key)).type, 'session.paid');
    assert.equal(
      (await verifyWebhook(new TextEncoder().encode(body), new Headers(headers), key)).type,
      'session.paid',
    );
  });

  test('during a rotation both signatures are sent and a receiver holding either secret verifies', async () => {
    const [oldKey, newKey] = [secret(), secret()];
    const headers = await signWebhook({ id: 'msg_rot', body, secret: [newKey, oldKey] });
    assert.equal(headers['webhook-signature'].split(' ').length, 2);
    for (const key of [oldKey, newKey]) {
      assert.equal((await verifyWebhook(body, headers, key)).type, 'session.paid');
      assert.deepEqual(new Webhook(key).verify(body, headers), JSON.parse(body));
    }
    // A receiver mid-switch passes both of its secrets.
    assert.equal(
      (
        await verifyWebhook(body, await signWebhook({ id: 'msg_rot', body, secret: newKey }), [
          oldKey,
          newKey,
        ])
      ).type,
      'session.paid',
    );
    await refused(
      () => verifyWebhook(body, headers, secret()),
      'no_matching_signature',
      /2 v1 signature\(s\)/,
    );
  });

  test('a wrong secret is refused with a message naming the likely causes', async () => {
    const headers = await signWebhook({ id: 'msg_1', body, secret: secret() });
    await refused(
      () => verifyWebhook(body, headers, secret()),
      'no_matching_signature',
      /no signature matched .*wrong secret.*was the body re-serialised\? verify the raw request bytes/,
    );
  });

  test('a re-serialised body is refused, and a parsed object is refused before any HMAC', async () => {
    const key = secret();
    const pretty = `{"type":"session.paid","timestamp":"2025-01-31T12:00:00.000Z","data":{"id":"cs_test"}}`;
    const headers = await signWebhook({ id: 'msg_2', body: pretty, secret: key });
    const reserialised = JSON.stringify(JSON.parse(pretty), null, 2);
    await refused(() => verifyWebhook(reserialised, headers, key), 'no_matching_signature', /re-serialised/);
    // JSON.stringify escapes differ from other serialisers: "\u20ac" vs "€" is the same JSON, not the same bytes.
    const escaped = body.replace('€', '\\u20ac');
    const signedUnescaped = await signWebhook({ id: 'msg_3', body, secret: key });
    await refused(
      () => verifyWebhook(escaped, signedUnescaped, key),
      'no_matching_signature',
      /raw request bytes/,
    );
    await refused(
      () => verifyWebhook(JSON.parse(pretty) as unknown as string, headers, key),
      'invalid_body',
      /rawBody must be the raw request body .* got object: your framework has probably parsed the JSON/,
    );
  });

  test('a stale or future timestamp is refused as a replay or a wrong clock; the tolerance is an option', async () => {
    const key = secret();
    const signedAt = new Date('2025-01-31T12:00:00Z');
    const headers = await signWebhook({ id: 'msg_4', body, secret: key, timestamp: signedAt });
    const at = (seconds: number) => new Date(signedAt.getTime() + seconds * 1000);
    assert.equal((await verifyWebhook(body, headers, key, { now: at(300) })).type, 'session.paid');
    await refused(
      () => verifyWebhook(body, headers, key, { now: at(301) }),
      'timestamp_too_old',
      /webhook-timestamp is 301 s old, more than the 300 s tolerance: a replayed request, or this machine's clock is wrong/,
    );
    await refused(
      () => verifyWebhook(body, headers, key, { now: at(-400) }),
      'timestamp_in_future',
      /400 s in the future/,
    );
    assert.equal(
      (await verifyWebhook(body, headers, key, { now: at(3600), toleranceSeconds: 7200 })).type,
      'session.paid',
    );
    // Checked against the real clock by default: a fixture signed in 2025 is stale now.
    await refused(() => verifyWebhook(body, headers, key), 'timestamp_too_old', /s old/);
    // And the reference library agrees.
    assert.throws(() => new Webhook(key).verify(body, headers), /timestamp too old/);
  });

  test('missing headers and a malformed timestamp say what is wrong', async () => {
    const key = secret();
    const headers = await signWebhook({ id: 'msg_5', body, secret: key });
    await refused(
      () => verifyWebhook(body, { 'webhook-id': headers['webhook-id'] }, key),
      'missing_headers',
      /missing header\(s\) webhook-timestamp, webhook-signature/,
    );
    await refused(
      () => verifyWebhook(body, { ...headers, 'webhook-timestamp': '2025-01-31T12:00:00Z' }, key),
      'invalid_timestamp',
      /Unix time in seconds/,
    );
  });

  test('a secret that is not whsec_… is a programming error, not a failed verification', async () => {
    const headers = await signWebhook({ id: 'msg_6', body, secret: secret() });
    await assert.rejects(() => verifyWebhook(body, headers, 'sk_test_abcdefghijklmnopqrstuvwx'), TypeError);
    await assert.rejects(() => signWebhook({ id: 'msg.7', body, secret: secret() }), /no "\."/);
  });

  test('the built package runs in plain Node by its name, and imports nothing but its own files', async (t) => {
    const dist = `${REPO}/packages/webhooks/dist`;
    if (!existsSync(`${dist}/index.js`)) {
      return t.skip(
        'packages/webhooks/dist is missing: run `npm run build` (npm test builds before this suite)',
      );
    }
    for (const file of readdirSync(dist).filter((name) => name.endsWith('.js'))) {
      const specifiers = [
        ...readFileSync(`${dist}/${file}`, 'utf8').matchAll(
          /^(?:import|export)\b[^;]*?\bfrom\s*['"]([^'"]+)['"]|^import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]/gm,
        ),
      ].map((match) => match[1] ?? match[2] ?? match[3]);
      assert.ok(file !== 'index.js' || specifiers.length >= 3, 'the scan finds the entry’s re-exports');
      for (const specifier of specifiers) assert.match(specifier!, /^\.\//, `${file} imports ${specifier}`);
    }
    const key = secret();
    const headers = await signWebhook({ id: 'msg_built', body, secret: key });
    // Imported by the package's own name, the way a merchant imports it (no source condition: dist/).
    const script = `
      const { verifyWebhook, WebhookVerificationError } = await import('@crypto-checkout/webhooks');
      const event = await verifyWebhook(process.env.BODY, JSON.parse(process.env.HEADERS), process.env.KEY);
      let refused = '';
      try { await verifyWebhook(process.env.BODY + ' ', JSON.parse(process.env.HEADERS), process.env.KEY); }
      catch (error) { refused = error instanceof WebhookVerificationError ? error.reason : String(error); }
      console.log(JSON.stringify({ type: event.type, refused }));`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: REPO,
      env: { PATH: process.env.PATH, BODY: body, HEADERS: JSON.stringify(headers), KEY: key },
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { type: 'session.paid', refused: 'no_matching_signature' });
  });
});
