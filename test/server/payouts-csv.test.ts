/**
 * `payouts import`: a CSV batch through the CLI follows the same rules as the API (checks, review
 * threshold, all or nothing) and importing the same file again asks for nothing twice.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { parseCsv, treasuryCommands } from '../../packages/server/src/cli/treasury-commands.js';
import { buildTestApp, testSecretBox, type TestApp } from '../support/app.js';

describe('payouts import (CSV through the CLI)', () => {
  let app: TestApp;
  let dir: string;
  const command = treasuryCommands.find((c) => c.group === 'payouts' && c.name === 'import')!;
  const run = async (file: string) => {
    const lines: string[] = [];
    await command.run(
      { config: app.config, db: app.store.db, secrets: testSecretBox, print: (line) => lines.push(line) },
      { mode: 'test' },
      [file],
    );
    return lines;
  };
  const address = () => privateKeyToAccount(generatePrivateKey()).address;
  const count = async () =>
    (await app.store.db.query<{ n: number }>('SELECT count(*)::int AS n FROM payouts')).rows[0]!.n;

  before(async () => {
    app = await buildTestApp();
    dir = await mkdtemp(join(tmpdir(), 'cc-payouts-csv-'));
    const { ledger } = app.treasury;
    await ledger.transaction((tx) =>
      ledger.recordSweep(tx, {
        livemode: false,
        asset: 'usdc@anvil',
        from: address(),
        to: address(),
        amount_atomic: 1_000_000_000n,
        tx_hash: `0x${randomBytes(32).toString('hex')}`,
        log_index: 0,
        at: new Date(),
      }),
    );
  });
  after(async () => {
    await app?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('parses quoted fields, doubled quotes and CRLF', () => {
    assert.deepEqual(parseCsv('a,"b,""c"""\r\n\r\nd,e\n'), [
      ['a', 'b,"c"'],
      ['d', 'e'],
    ]);
  });

  test('a file is asked for once: a second import skips every reference already used', async () => {
    const file = join(dir, 'batch.csv');
    await writeFile(
      file,
      [
        'destination,asset,amount,reference',
        `${address()},usdc@anvil,12.5,"inv-1, March"`,
        `${address()},usdc@anvil,600,inv-2`,
        `${address()},usdc@anvil,1,inv-3`,
      ].join('\r\n'),
    );
    const first = await run(file);
    assert.equal(first.length, 4, first.join('\n'));
    assert.match(first[0]!, /^po_\w+ approved inv-1, March 12\.5 usdc@anvil -> 0x/);
    assert.match(first[1]!, /^po_\w+ needs_approval inv-2 600 usdc@anvil/);
    assert.equal(first[3], '3 payout(s) asked for, 0 skipped (reference already used)');
    const again = await run(file);
    assert.deepEqual(again, ['0 payout(s) asked for, 3 skipped (reference already used)']);
    assert.equal(await count(), 3);
  });

  test('a file with a bad row asks for nothing, and says which field is wrong', async () => {
    const file = join(dir, 'bad.csv');
    await writeFile(
      file,
      `destination,asset,amount,reference\n${address()},usdc@anvil,1,ok-1\n${address().toLowerCase()},usdc@anvil,1,bad-1\n`,
    );
    await assert.rejects(run(file), /payouts\.1\.destination: must carry its EIP-55 checksum/);
    assert.equal(await count(), 3);
  });
});
