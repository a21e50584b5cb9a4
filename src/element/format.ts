/**
 * Formatting helpers for the element. Money stays a decimal string all the way to the screen: token
 * amounts are shown exactly as the server sent them, because the buyer must send exactly that amount.
 * @module
 */

/**
 * Formats a fiat amount for display with the currency's symbol and minor units, in `locale` (a BCP 47
 * tag; empty or undefined means the browser's language).
 * The amount is passed to `Intl.NumberFormat` as a string, which browsers with Intl.NumberFormat v3
 * format exactly (older ones convert it to a number, which is fine for display only).
 * @example formatFiat('49.99', 'USD', 'en-US') // '$49.99'
 */
export function formatFiat(amount: string, currency: string, locale?: string): string {
  try {
    return new Intl.NumberFormat(locale || undefined, { style: 'currency', currency }).format(
      amount as `${number}`,
    );
  } catch {
    // An unknown locale or currency must not break the checkout.
    return `${amount} ${currency}`;
  }
}

/**
 * Formats a remaining duration as `mm:ss`, or `h:mm:ss` from one hour on. Negative values read `00:00`.
 * @example formatCountdown(65_000) // '01:05'
 * @example formatCountdown(3_725_000) // '1:02:05'
 */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const pad = (n: number) => String(n).padStart(2, '0');
  const hours = Math.floor(total / 3600);
  const rest = `${pad(Math.floor(total / 60) % 60)}:${pad(total % 60)}`;
  return hours ? `${hours}:${rest}` : rest;
}

/**
 * Whether a decimal string is greater than zero.
 * @example isPositive('0.00') // false
 */
export function isPositive(amount: string | null | undefined): boolean {
  return /[1-9]/.test(amount ?? '');
}

/**
 * Shortens a transaction hash for display.
 * @example shortHash('0x1234567890abcdef…') // '0x1234…cdef'
 */
export function shortHash(hash: string): string {
  return hash.length > 14 ? `${hash.slice(0, 6)}…${hash.slice(-4)}` : hash;
}
