/**
 * Exact decimal arithmetic for money. Amounts travel as decimal strings and live in code as bigint
 * atomic units; no floating point anywhere on the money path.
 */

/** A decimal as an integer and a power-of-ten scale: `{ units: 4999n, scale: 2 }` is 49.99. */
export interface Decimal {
  units: bigint;
  scale: number;
}

/**
 * Parses a non-negative decimal string exactly.
 * @example parseDecimal('49.99') // { units: 4999n, scale: 2 }
 */
export function parseDecimal(text: string): Decimal {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) throw new RangeError(`not a decimal string: ${JSON.stringify(text)}`);
  const fraction = match[2] ?? '';
  return { units: BigInt(match[1]! + fraction), scale: fraction.length };
}

/**
 * Converts a decimal string to atomic units with `decimals` places, refusing to round.
 * @example toAtomic('49.99', 6) // 49990000n
 */
export function toAtomic(text: string, decimals: number): bigint {
  const { units, scale } = parseDecimal(text);
  if (scale > decimals) throw new RangeError(`${text} has more than ${decimals} decimal places`);
  return units * 10n ** BigInt(decimals - scale);
}

/**
 * Formats atomic units as a decimal string without trailing zeros.
 * @example formatAtomic(49990000n, 6) // '49.99'
 */
export function formatAtomic(atomic: bigint, decimals: number): string {
  const negative = atomic < 0n;
  const digits = (negative ? -atomic : atomic).toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = digits.slice(digits.length - decimals).replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** Integer division rounding up (for amounts the buyer owes: never round in the buyer's favour). */
function divCeil(numerator: bigint, denominator: bigint): bigint {
  return (numerator + denominator - 1n) / denominator;
}

/**
 * Converts a fiat price into atomic token units at `rate` (fiat per whole token), rounding up to at
 * most `maxFractionDigits` token decimals so the buyer sees a short, typeable amount.
 * @example fiatToAtomic('49.99', '3000', 18, 8) // 16663334000000000n (0.01666334 ETH)
 */
export function fiatToAtomic(
  amount: string,
  rate: string,
  decimals: number,
  maxFractionDigits = decimals,
): bigint {
  const a = parseDecimal(amount);
  const r = parseDecimal(rate);
  if (r.units === 0n) throw new RangeError('rate must be positive');
  const exact = divCeil(a.units * 10n ** BigInt(r.scale + decimals), r.units * 10n ** BigInt(a.scale));
  const step = 10n ** BigInt(Math.max(0, decimals - maxFractionDigits));
  return divCeil(exact, step) * step;
}

/**
 * Formats a decimal without trailing zeros.
 * @example formatDecimal({ units: 4990n, scale: 2 }) // '49.9'
 */
export function formatDecimal(value: Decimal): string {
  return formatAtomic(value.units, value.scale);
}

/** Both decimals at one scale (the larger), so their units compare and add directly. */
function aligned(a: Decimal, b: Decimal): [bigint, bigint, number] {
  const scale = Math.max(a.scale, b.scale);
  return [a.units * 10n ** BigInt(scale - a.scale), b.units * 10n ** BigInt(scale - b.scale), scale];
}

/**
 * Compares two decimal strings exactly: negative, zero or positive as `a` is below, equal to or above `b`.
 * @example compareDecimals('2.50', '2.5') // 0
 */
export function compareDecimals(a: string, b: string): number {
  const [x, y] = aligned(parseDecimal(a), parseDecimal(b));
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The exact product of two decimal strings.
 * @example multiplyDecimals('3000.5', '0.92') // '2760.46'
 */
export function multiplyDecimals(a: string, b: string): string {
  const x = parseDecimal(a);
  const y = parseDecimal(b);
  return formatDecimal({ units: x.units * y.units, scale: x.scale + y.scale });
}

/**
 * `a / b` rounded half up to `fractionDigits` decimals (rates have no natural precision; 18 digits
 * keep far more than any price needs).
 * @example divideDecimals('1', '3', 4) // '0.3333'
 */
export function divideDecimals(a: string, b: string, fractionDigits = 18): string {
  const [x, y] = aligned(parseDecimal(a), parseDecimal(b));
  if (y === 0n) throw new RangeError('division by zero');
  const scaled = x * 10n ** BigInt(fractionDigits + 1);
  const quotient = scaled / y;
  return formatAtomic((quotient + 5n) / 10n, fractionDigits);
}

/**
 * The median of decimal strings, exact: the middle one, or the mean of the two middle ones.
 * @example medianDecimal(['3', '1', '2', '10']) // '2.5'
 */
export function medianDecimal(values: readonly string[]): string {
  if (!values.length) throw new RangeError('median of nothing');
  const sorted = [...values].sort(compareDecimals);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length % 2) return sorted[middle]!;
  const [x, y, scale] = aligned(parseDecimal(sorted[middle - 1]!), parseDecimal(sorted[middle]!));
  // x + y is exact at one more decimal place, so halving it never rounds.
  return formatDecimal({ units: ((x + y) * 10n) / 2n, scale: scale + 1 });
}

/**
 * Whether `value` lies more than `percent` % away from `reference` (both positive decimal strings).
 * @example deviatesBeyond('103', '100', '2') // true
 */
export function deviatesBeyond(value: string, reference: string, percent: string): boolean {
  const [v, r] = aligned(parseDecimal(value), parseDecimal(reference));
  const p = parseDecimal(percent);
  const difference = v > r ? v - r : r - v;
  // |v - r| / r > p / 100  ⇔  |v - r| · 100 · 10^scale(p) > p.units · r
  return difference * 100n * 10n ** BigInt(p.scale) > p.units * r;
}

/**
 * A positive decimal string from a number a market-data API sent as JSON (CoinGecko sends floats):
 * its shortest round-trip form, exponent notation expanded. Refuses non-finite and non-positive numbers.
 * @example decimalFromJsonNumber(1.2e-7) // '0.00000012'
 */
export function decimalFromJsonNumber(value: number): string {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`not a positive number: ${value}`);
  const match = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(value));
  if (!match) throw new RangeError(`not a decimal number: ${value}`);
  const digits = match[1]! + (match[2] ?? '');
  const scale = (match[2] ?? '').length - Number(match[3] ?? 0);
  return scale >= 0
    ? formatAtomic(BigInt(digits), scale)
    : formatAtomic(BigInt(digits) * 10n ** BigInt(-scale), 0);
}

/**
 * Converts a fiat amount into atomic token units at `rate`, rounding **down**: for allowances, which
 * must never exceed what was configured.
 * @example fiatToAtomicFloor('0.50', '3000', 18) // 166666666666666n
 */
export function fiatToAtomicFloor(amount: string, rate: string, decimals: number): bigint {
  const a = parseDecimal(amount);
  const r = parseDecimal(rate);
  if (r.units === 0n) throw new RangeError('rate must be positive');
  return (a.units * 10n ** BigInt(r.scale + decimals)) / (r.units * 10n ** BigInt(a.scale));
}
