import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fiatToAtomic, formatAtomic, parseDecimal, toAtomic } from '../../packages/server/src/money.js';

describe('money', () => {
  test('parses decimal strings exactly', () => {
    assert.deepEqual(parseDecimal('49.99'), { units: 4999n, scale: 2 });
    assert.deepEqual(parseDecimal('0.000000000000000001'), { units: 1n, scale: 18 });
    assert.throws(() => parseDecimal('1e3'), RangeError);
    assert.throws(() => parseDecimal('-1'), RangeError);
  });

  test('converts to atomic units and refuses to round silently', () => {
    assert.equal(toAtomic('49.99', 6), 49_990_000n);
    assert.equal(toAtomic('1', 18), 10n ** 18n);
    assert.throws(() => toAtomic('0.0000001', 6), /more than 6 decimal places/);
  });

  test('formats atomic units without trailing zeros', () => {
    assert.equal(formatAtomic(49_990_000n, 6), '49.99');
    assert.equal(formatAtomic(0n, 6), '0');
    assert.equal(formatAtomic(1n, 18), '0.000000000000000001');
    assert.equal(formatAtomic(10n ** 30n, 6), '1000000000000000000000000');
  });

  test('prices in tokens round up, never in the buyer’s favour', () => {
    assert.equal(fiatToAtomic('49.99', '1', 6), 49_990_000n);
    assert.equal(fiatToAtomic('10', '3', 6), 3_333_334n);
    assert.equal(fiatToAtomic('49.99', '3000', 18, 8), 16_663_340_000_000_000n);
    assert.equal(fiatToAtomic('0.01', '2', 0), 1n);
    assert.throws(() => fiatToAtomic('1', '0', 6), /rate must be positive/);
  });

  test('stays exact far beyond float precision', () => {
    const huge = '123456789012345678.123456789012345678';
    assert.equal(formatAtomic(toAtomic(huge, 18), 18), huge);
  });
});
