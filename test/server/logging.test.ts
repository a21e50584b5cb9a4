import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { createLogger, maskSecrets, pathOf } from '../../packages/server/src/logger.js';
import { openPglite } from '../../packages/server/src/store/database.js';
import { buildTestApp } from '../support/app.js';
import { describeLeaks, scanLogs } from '../support/log-scan.js';
import { teeLogger } from '../support/logs.js';

/** A logger with the production options that keeps its lines. */
function capture() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, text: () => lines.join('\n'), sink };
}

const SIGNING_SECRET = 'whsec_dGhpcyBpcyBhIHNpZ25pbmcgc2VjcmV0IGZvciB0ZXN0cw==';
const SECRET_KEY = 'sk_test_4f1c0ffee4f1c0ffee4f1c0ffee4f1c0';
const CLIENT_SECRET = 'cs_AbCdEf0123456789_secret_ZyXwVu9876543210QrSt';

describe('the log scan', () => {
  const dirs: string[] = [];
  const folder = (files: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'cc-log-scan-'));
    dirs.push(dir);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  };
  after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  // A secret of no known shape: only its recording lets the scan find it.
  const opaque = 'opaque+Secret/"Value0123456789?x';
  const secrets = [opaque].map((s) => `${JSON.stringify(s)}\n`).join('');

  test('finds a recorded secret planted in a log, as is, URL-encoded and JSON-escaped', () => {
    const dir = folder({
      'secrets.1.txt': secrets,
      'a.log': `{"msg":"ok"}\n{"msg":"raw ${opaque}"}\n`,
      'b.log': `{"url":"/x?k=${encodeURIComponent(opaque)}"}\n{"msg":${JSON.stringify(`"${opaque}"`)}}\n`,
    });
    const { leaks, files, lines } = scanLogs(dir);
    assert.equal(files, 2);
    assert.equal(lines, 4);
    assert.deepEqual(
      leaks.map((leak) => `${leak.file}:${leak.line} ${leak.form}`),
      ['a.log:2 raw', 'b.log:1 url-encoded', 'b.log:2 json-escaped'],
    );
    assert.ok(!describeLeaks(leaks).includes(opaque), 'the report does not print the secret whole');
  });

  test('finds secret-shaped tokens nobody recorded', () => {
    const dir = folder({
      'a.log': `{"key":"${SECRET_KEY}"}\n{"cs":"${CLIENT_SECRET}"}\n{"w":"${SIGNING_SECRET}"}\n`,
    });
    assert.deepEqual(
      scanLogs(dir).leaks.map((leak) => `${leak.line} ${leak.form}`),
      ['1 shape', '2 shape', '3 shape'],
    );
  });

  test('passes logs that hold only redacted and masked forms', () => {
    const dir = folder({
      'secrets.1.txt': secrets,
      'a.log':
        `{"authorization":"[REDACTED]","msg":"bad key sk_test_[REDACTED]"}\n` +
        `{"path":"/v1/sessions/cs_AbCdEf0123456789/events","route":"/v1/sessions/:id/events"}\n`,
    });
    assert.deepEqual(scanLogs(dir).leaks, []);
  });
});

describe('the server logger keeps secrets out by construction', () => {
  test('a database error is logged without the query parameters or the offending values', async () => {
    const db = await openPglite('memory://');
    const log = capture();
    try {
      await db.exec('CREATE TABLE t (id int PRIMARY KEY, secret text UNIQUE)');
      await db.query('INSERT INTO t VALUES (1, $1)', [SIGNING_SECRET]);
      const error = await db.query('INSERT INTO t VALUES (2, $1)', [SIGNING_SECRET]).then(
        () => assert.fail('a duplicate must fail'),
        (caught: unknown) => caught as Record<string, unknown>,
      );
      // The error itself no longer holds them: whatever logs or prints it cannot leak them.
      assert.equal(error.params, undefined);
      assert.equal(error.detail, undefined);
      assert.ok(!JSON.stringify(error).includes('whsec_'), JSON.stringify(error));
      // Inside a transaction too.
      await assert.rejects(
        db.transaction((tx) => tx.query('INSERT INTO t VALUES (3, $1)', [SIGNING_SECRET])),
        (caught: Record<string, unknown>) => caught.params === undefined && caught.detail === undefined,
      );
      createLogger('trace', log.sink).error({ err: error }, 'insert failed');
      const [line] = log.lines.map((l) => JSON.parse(l) as { err: Record<string, unknown> });
      assert.equal(line!.err.code, '23505');
      assert.equal(line!.err.constraint, 't_secret_key');
      assert.ok(String(line!.err.message).includes('duplicate key'));
      assert.ok(!log.text().includes('whsec_'), log.text());
    } finally {
      await db.close();
    }
  });

  test('the error serializer keeps an allow-list: values an error carries stay out', () => {
    const log = capture();
    const error = Object.assign(new Error(`signature check failed for ${SIGNING_SECRET}`), {
      params: [SECRET_KEY],
      detail: `Key (secret)=(${SIGNING_SECRET}) already exists.`,
      request: { headers: { authorization: `Bearer ${SECRET_KEY}` } },
      code: 'E_TEST',
      cause: Object.assign(new Error(`with ${CLIENT_SECRET}`), { params: [CLIENT_SECRET] }),
    });
    createLogger('trace', log.sink).warn({ err: error, error, cause: error.cause }, 'failed');
    const text = log.text();
    for (const secret of [SIGNING_SECRET, SECRET_KEY, CLIENT_SECRET]) {
      assert.ok(!text.includes(secret), `${secret.slice(0, 8)}… leaked: ${text}`);
    }
    const line = JSON.parse(log.lines[0]!) as { err: { code: string; message: string; cause: object } };
    assert.equal(line.err.code, 'E_TEST');
    assert.equal(line.err.message, 'signature check failed for whsec_[REDACTED]');
    assert.ok(line.err.cause, 'the cause is kept, serialized the same way');
  });

  test('fields named like secrets are redacted at the top level and one level down', () => {
    const log = capture();
    createLogger('trace', log.sink).info(
      {
        secret: SIGNING_SECRET,
        endpoint: { url: 'https://shop.example/hooks', secret: SIGNING_SECRET },
        session: { id: 'cs_1', client_secret: CLIENT_SECRET },
        req: { headers: { authorization: `Bearer ${SECRET_KEY}`, cookie: 'sid=1' } },
      },
      'logged',
    );
    const line = JSON.parse(log.lines[0]!) as Record<string, Record<string, unknown>>;
    assert.equal(line.secret, '[REDACTED]');
    assert.equal(line.endpoint!.secret, '[REDACTED]');
    assert.equal(line.endpoint!.url, 'https://shop.example/hooks');
    assert.equal(line.session!.client_secret, '[REDACTED]');
    assert.equal(line.session!.id, 'cs_1');
    assert.ok(!log.text().includes(SECRET_KEY) && !log.text().includes('sid=1'), log.text());
  });

  test('the payout key is redacted by its path, a bare `key` elsewhere is kept', () => {
    const log = capture();
    const payoutKey = `0x${'5a'.repeat(32)}`;
    createLogger('trace', log.sink).info(
      {
        payouts: { key: payoutKey, daily_limit: { 'usdc@base': '10' } },
        config: { payouts: { key: payoutKey } },
        key: 'usdc',
      },
      'logged',
    );
    const line = JSON.parse(log.lines[0]!) as Record<string, Record<string, Record<string, unknown>>>;
    assert.equal(line.payouts!.key, '[REDACTED]');
    assert.equal(line.config!.payouts!.key, '[REDACTED]');
    assert.equal(line.key, 'usdc');
    assert.ok(!log.text().includes(payoutKey), log.text());
  });

  test('maskSecrets and pathOf', () => {
    assert.equal(maskSecrets(`a ${SECRET_KEY} b`), 'a sk_test_[REDACTED] b');
    assert.equal(maskSecrets(CLIENT_SECRET), 'cs_AbCdEf0123456789_secret_[REDACTED]');
    assert.equal(pathOf('/v1/sessions/cs_1/events?client_secret=x#y'), '/v1/sessions/cs_1/events');
    assert.equal(pathOf('/checkout/cs_1#frag'), '/checkout/cs_1');
  });

  test('requests are logged by route and path, never with their query string', async () => {
    const log = capture();
    const app = await buildTestApp({}, { logger: teeLogger('trace', log.sink) });
    try {
      const session = await app.createSession();
      const response = await app.server.inject({
        method: 'GET',
        url: `/v1/sessions/${session.id}?client_secret=${encodeURIComponent(session.client_secret)}`,
        headers: { authorization: `Bearer ${app.secretKey}` },
      });
      assert.ok(response.statusCode < 500, response.body);
      const lines = log.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      const request = lines.find((l) => l.msg === 'request' && l.method === 'GET');
      assert.ok(request, log.text());
      assert.equal(request.route, '/v1/sessions/:id');
      assert.equal(request.path, `/v1/sessions/${session.id}`);
      // The session's id and the request's id, both on the line (the request's own logger carries
      // them), once; and only on that request's lines: another session's request and a request about
      // no session carry their own or none (the binding never reaches a logger shared by requests).
      assert.equal(request.session_id, session.id, log.text());
      assert.equal(typeof request.request_id, 'string', log.text());
      assert.equal(JSON.stringify(request).split('"session_id"').length, 2, 'session_id once');
      const other = await app.createSession();
      await app.server.inject({
        method: 'GET',
        url: `/v1/sessions/${other.id}`,
        headers: { authorization: `Bearer ${app.secretKey}` },
      });
      await app.server.inject({ method: 'GET', url: '/health' });
      const requests = log.lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.msg === 'request');
      const of = (path: string) => requests.find((l) => l.path === path);
      assert.equal(of(`/v1/sessions/${other.id}`)?.session_id, other.id, log.text());
      assert.ok(of('/health'), log.text());
      assert.equal(of('/health')!.session_id, undefined, log.text());
      assert.ok(!log.text().includes('?'), log.text());
      for (const secret of [session.client_secret, app.secretKey]) {
        assert.ok(!log.text().includes(secret), log.text());
      }
    } finally {
      await app.close();
    }
  });
});
