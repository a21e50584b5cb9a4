import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  reviewReasonSchema,
  sessionStatusSchema,
  TERMINAL_STATUSES,
  WEBHOOK_SESSION_EVENT_TYPES,
} from '@crypto-checkout/protocol';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** Rows of the first Markdown table after `heading` whose first cell is `code`: [first cell, …, last cell]. */
function tableAfter(heading: string): string[][] {
  const start = readme.indexOf(heading);
  assert.ok(start >= 0, `README has no "${heading}"`);
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

describe('README matches the code', () => {
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

  test('the webhook event table lists exactly one type per status, in order', () => {
    const rows = tableAfter('### Event types');
    assert.deepEqual(
      rows.map((row) => row[0]!.replaceAll('`', '')),
      WEBHOOK_SESSION_EVENT_TYPES,
    );
    assert.deepEqual(
      WEBHOOK_SESSION_EVENT_TYPES,
      sessionStatusSchema.options.map((status) => `session.${status}`),
    );
  });
});
