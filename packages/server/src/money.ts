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
