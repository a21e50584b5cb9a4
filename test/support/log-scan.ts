/**
 * The scan that proves no secret reached a log: reads every `*.log` file of a folder the tests
 * logged into (test/support/logs.ts) and reports each line holding a secret the tests recorded
 * (`secrets.*.txt`) — as is, URL-encoded or JSON-escaped — or any token shaped like one of the
 * server's secrets (`sk_test_…`, `…_secret_…`, `whsec_…`), recorded or not.
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SECRET_TOKEN_PATTERNS } from '../../packages/server/src/logger.js';

/** One secret found in a log. */
export interface Leak {
  /** The log file, relative to the folder. */
  file: string;
  /** 1-based line number. */
  line: number;
  /** How it appeared: `raw`, `url-encoded`, `json-escaped`, or `shape` (a secret-shaped token). */
  form: 'raw' | 'url-encoded' | 'json-escaped' | 'shape';
  /** The secret, shortened so that the report itself does not print it whole. */
  secret: string;
}

/** What a scan read and found. */
export interface ScanResult {
  files: number;
  lines: number;
  bytes: number;
  secrets: number;
  leaks: Leak[];
}

/** Characters of an alphanumeric run used to look a secret up: every form of it keeps them. */
const KEY_LENGTH = 12;

/** `secret` shortened for a report: its first 10 characters. */
export function shorten(secret: string): string {
  return secret.length > 12 ? `${secret.slice(0, 10)}…` : '…';
}

/** The forms a secret may take in a log line. */
function formsOf(secret: string): { form: Leak['form']; text: string }[] {
  const forms: { form: Leak['form']; text: string }[] = [{ form: 'raw', text: secret }];
  const url = encodeURIComponent(secret);
  if (url !== secret) forms.push({ form: 'url-encoded', text: url });
  const json = JSON.stringify(secret).slice(1, -1);
  if (json !== secret) forms.push({ form: 'json-escaped', text: json });
  return forms;
}

/** Reads the secrets recorded in `dir` (`secrets.*.txt`, one JSON string a line). */
export function readRecordedSecrets(dir: string): Set<string> {
  const secrets = new Set<string>();
  for (const name of readdirSync(dir)) {
    if (!/^secrets\..*\.txt$/.test(name)) continue;
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      if (line) secrets.add(JSON.parse(line) as string);
    }
  }
  return secrets;
}

/**
 * Scans every `*.log` file in `dir` for the recorded secrets and secret-shaped tokens.
 * @example const { leaks } = scanLogs('/tmp/cc-test-logs'); assert.deepEqual(leaks, []);
 */
export function scanLogs(dir: string): ScanResult {
  const secrets = readRecordedSecrets(dir);
  // Each secret is looked up by an alphanumeric run of it, which URL-encoding and JSON-escaping
  // leave as it is; only lines holding such a run are searched for the secret's forms.
  const byKey = new Map<string, string[]>();
  for (const secret of secrets) {
    const run = (secret.match(/[A-Za-z0-9]+/g) ?? []).reduce((a, b) => (b.length > a.length ? b : a), '');
    const key = run.length >= KEY_LENGTH ? run.slice(0, KEY_LENGTH) : null;
    if (key) byKey.set(key, [...(byKey.get(key) ?? []), secret]);
  }
  const shortSecrets = [...secrets].filter((secret) => {
    const run = (secret.match(/[A-Za-z0-9]+/g) ?? []).reduce((a, b) => (b.length > a.length ? b : a), '');
    return run.length < KEY_LENGTH;
  });
  const result: ScanResult = { files: 0, lines: 0, bytes: 0, secrets: secrets.size, leaks: [] };
  for (const file of readdirSync(dir)
    .filter((name) => name.endsWith('.log'))
    .sort()) {
    const text = readFileSync(join(dir, file), 'utf8');
    result.files += 1;
    result.bytes += Buffer.byteLength(text);
    text.split('\n').forEach((line, index) => {
      if (!line) return;
      result.lines += 1;
      const found = new Map<string, Leak['form']>();
      const candidates = new Set<string>(shortSecrets);
      for (const [run] of line.matchAll(/[A-Za-z0-9]{12,}/g)) {
        for (let i = 0; i + KEY_LENGTH <= run.length; i++) {
          for (const secret of byKey.get(run.slice(i, i + KEY_LENGTH)) ?? []) candidates.add(secret);
        }
      }
      for (const secret of candidates) {
        const hit = formsOf(secret).find(({ text: form }) => line.includes(form));
        if (hit) found.set(secret, hit.form);
      }
      for (const pattern of SECRET_TOKEN_PATTERNS) {
        for (const [token] of line.matchAll(pattern)) {
          if (![...found.keys()].some((secret) => secret.includes(token) || token.includes(secret))) {
            found.set(token, 'shape');
          }
        }
      }
      for (const [secret, form] of found) {
        result.leaks.push({ file, line: index + 1, form, secret: shorten(secret) });
      }
    });
  }
  return result;
}

/** A report of `leaks` for a failure message, one line each. */
export function describeLeaks(leaks: Leak[]): string {
  return leaks.map((leak) => `  ${leak.file}:${leak.line} ${leak.form} ${leak.secret}`).join('\n');
}
