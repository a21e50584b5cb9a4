import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import {
  errorCodeSchema,
  reviewReasonSchema,
  sessionStatusSchema,
  TERMINAL_STATUSES,
  WEBHOOK_SESSION_EVENT_TYPES,
} from '@crypto-checkout/protocol';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The user documentation: the README and docs/. */
const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).map((name) => `docs/${name}`)].filter((file) =>
  file.endsWith('.md'),
);
const readme = DOCS.map((file) => readFileSync(join(ROOT, file), 'utf8')).join('\n');

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchor(heading: string): string {
  return (
    heading
      .trim()
      .toLowerCase()
      .replace(/[`*]/g, '')
      // `_` of emphasis goes; `_` inside a word (`secret_keys`) stays, as on GitHub.
      .replace(/(^|\s)_+|_+(\s|$)/g, '$1$2')
      .replace(/[^\p{L}\p{N}_\- ]/gu, '')
      .replaceAll(' ', '-')
  );
}

/** The anchors of a Markdown file's headings (outside code blocks). */
function anchors(file: string): Set<string> {
  let fenced = false;
  const found = new Set<string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const heading = !fenced && /^#{1,6} (.*)$/.exec(line);
    if (heading) found.add(anchor(heading[1]!));
  }
  return found;
}

/** Rows of the first Markdown table after `heading` whose first cell is `code`: [first cell, …, last cell]. */
function tableAfter(heading: string): string[][] {
  const start = readme.indexOf(heading);
  assert.ok(start >= 0, `the docs have no "${heading}"`);
  const lines = readme.slice(start).split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

describe('README and docs/ match the code', () => {
  test('every relative link points at a file that exists, and every #anchor at a heading there', () => {
    let checked = 0;
    for (const file of DOCS) {
      let fenced = false;
      for (const line of readFileSync(join(ROOT, file), 'utf8').split('\n')) {
        if (line.startsWith('```')) fenced = !fenced;
        if (fenced) continue;
        for (const [, target] of line.matchAll(/\]\(([^)\s]+)\)/g)) {
          if (/^[a-z]+:/.test(target!)) continue;
          const [path, hash] = target!.split('#') as [string, string | undefined];
          const resolved = path ? join(ROOT, dirname(file), path) : join(ROOT, file);
          assert.ok(existsSync(resolved), `${file}: ${target} — no such file`);
          if (hash) assert.ok(anchors(resolved).has(hash), `${file}: ${target} — no such heading`);
          checked += 1;
        }
      }
    }
    assert.ok(checked > 20, `only ${checked} links found: is the link pattern still right?`);
  });

  test('the status table lists exactly the statuses, in order, with the right terminal flags', () => {
    const rows = tableAfter('## Statuses');
    assert.deepEqual(
      rows.map((row) => row[0]!.replaceAll('`', '')),
      sessionStatusSchema.options,
    );
    for (const row of rows) {
      const status = row[0]!.replaceAll('`', '') as (typeof sessionStatusSchema.options)[number];
      assert.equal(
        row.at(-1)!.startsWith('yes'),
        TERMINAL_STATUSES.includes(status),
        `terminal flag of ${status}`,
      );
    }
  });

  test('the review-reason table lists exactly the review reasons', () => {
    const rows = tableAfter('Merchant views carry `review_reasons`');
    assert.deepEqual(
      rows.map((row) => row[0]!.replaceAll('`', '')),
      reviewReasonSchema.options,
    );
  });

  test('the webhook event table lists exactly one type per status, in order, then session.needs_review', () => {
    const rows = tableAfter('### Event types');
    assert.deepEqual(
      rows.map((row) => row[0]!.replaceAll('`', '')),
      WEBHOOK_SESSION_EVENT_TYPES,
    );
    assert.deepEqual(WEBHOOK_SESSION_EVENT_TYPES, [
      ...sessionStatusSchema.options.map((status) => `session.${status}`),
      'session.needs_review',
    ]);
  });

  test('every relative src or href in HTML inside the docs (the README pictures) points at a file that exists', () => {
    let checked = 0;
    for (const file of DOCS) {
      for (const [, target] of readFileSync(join(ROOT, file), 'utf8').matchAll(/\b(?:src|href)="([^"#]+)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        assert.ok(existsSync(join(ROOT, dirname(file), target!)), `${file}: ${target} — no such file`);
        checked += 1;
      }
    }
    assert.ok(checked >= 2, `only ${checked} HTML links found: are the README's pictures still there?`);
  });

  test('docs/README.md links every page of docs/', () => {
    const index = readFileSync(join(ROOT, 'docs', 'README.md'), 'utf8');
    const linked = new Set([...index.matchAll(/\]\(([\w-]+\.md)\)/g)].map((m) => m[1]));
    const pages = readdirSync(join(ROOT, 'docs')).filter(
      (name) => name.endsWith('.md') && name !== 'README.md',
    );
    assert.deepEqual(
      pages.filter((page) => !linked.has(page)),
      [],
      'pages of docs/ missing from docs/README.md',
    );
  });

  test("troubleshooting's error-code table lists exactly the API's error codes", () => {
    const rows = tableAfter('## By error code');
    assert.deepEqual(
      rows.map((row) => row[0]!.replaceAll('`', '')).sort(),
      [...errorCodeSchema.options].sort(),
    );
  });
});
