/**
 * Formatting helpers for the element. Money stays a decimal string all the way to the screen: token
 * amounts are shown exactly as the server sent them, because the buyer must send exactly that amount.
 * @module
 */

/**
 * Formats a price (a session's amount, or a rate in the session's currency) in `locale` (a BCP 47 tag;
 * empty or undefined means the browser's language). An ISO 4217 currency gets its symbol and minor
 * units from `Intl.NumberFormat` (`$49.99`, `￥1,000`); a crypto asset (`ETH`, `USDC`) is no Intl
 * currency, and its amount keeps every digit it has (`0.0123 ETH`, never `0.01`).
 * The amount is passed to `Intl.NumberFormat` as a string, which browsers with Intl.NumberFormat v3
 * format exactly (older ones convert it to a number, which is fine for display only).
 * @example formatFiat('49.99', 'USD', 'en-US') // '$49.99'
 * @example formatFiat('0.0123', 'ETH', 'en-US') // '0.0123 ETH'
 */
export function formatFiat(amount: string, currency: string, locale?: string): string {
  // Intl formats any three letters as a currency with two decimals (ETH among them): ask which it knows.
  if (!(isoCurrencies ??= new Set(Intl.supportedValuesOf?.('currency'))).has(currency))
    return `${formatAmount(amount, locale)} ${currency}`;
  try {
    return new Intl.NumberFormat(locale || undefined, { style: 'currency', currency }).format(
      amount as `${number}`,
    );
  } catch {
    // An unknown locale must not break the checkout.
    return `${amount} ${currency}`;
  }
}

/** The ISO 4217 currencies the browser knows (none where it cannot list them: amounts shown as sent). */
let isoCurrencies: Set<string> | undefined;

/**
 * Formats a remaining duration as `mm:ss`, or `h:mm:ss` from one hour on, with the digits of `locale`
 * (Arabic-Indic digits in Arabic, say). Negative values read `00:00`.
 * @example formatCountdown(65_000) // '01:05'
 * @example formatCountdown(3_725_000) // '1:02:05'
 */
export function formatCountdown(ms: number, locale?: string): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const digits = (n: number, minimumIntegerDigits: number) => {
    try {
      return new Intl.NumberFormat(locale || undefined, { minimumIntegerDigits, useGrouping: false }).format(
        n,
      );
    } catch {
      return String(n).padStart(minimumIntegerDigits, '0');
    }
  };
  const hours = Math.floor(total / 3600);
  const rest = `${digits(Math.floor(total / 60) % 60, 2)}:${digits(total % 60, 2)}`;
  return hours ? `${digits(hours, 1)}:${rest}` : rest;
}

/** Whether `Intl.NumberFormat` formats decimal strings exactly (Intl.NumberFormat v3; Chrome 106, Safari 15.4). */
const exactDecimals =
  typeof (Intl.NumberFormat.prototype as { formatRange?: unknown }).formatRange === 'function';

/**
 * Formats a token amount (a decimal string) for reading in `locale`: its decimal separator and digit
 * grouping, every decimal kept. Where the browser cannot format a decimal string exactly, the amount
 * stays as the server sent it: a buyer must never read a rounded amount. Fields the buyer copies keep
 * the server's string as is, because wallets expect a dot.
 * @example formatAmount('1234.50', 'de') // '1.234,50'
 */
export function formatAmount(amount: string, locale?: string): string {
  if (!exactDecimals || !/^\d+(\.\d+)?$/.test(amount)) return amount;
  const decimals = amount.split('.')[1]?.length ?? 0;
  try {
    return new Intl.NumberFormat(locale || undefined, {
      minimumFractionDigits: decimals,
      maximumFractionDigits: decimals,
    }).format(amount as `${number}`);
  } catch {
    return amount;
  }
}

/**
 * Formats the time of day of an ISO timestamp in `locale`, e.g. for "expires at 14:05".
 * @example formatTime('2026-01-01T14:05:00Z', 'de') // '15:05' (in Berlin)
 */
export function formatTime(iso: string, locale?: string): string {
  try {
    return new Intl.DateTimeFormat(locale || undefined, { timeStyle: 'short' }).format(Date.parse(iso));
  } catch {
    return iso;
  }
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

/**
 * Drops the trailing zeros of a decimal string's fraction (and a dot left alone), so that the amount a
 * buyer reads and copies is one number, not `4.500000` beside a wallet's `4.5`. The value is the same.
 * @example trimAmount('4.500000') // '4.5'
 * @example trimAmount('12.000') // '12'
 */
export function trimAmount(amount: string): string {
  return /^\d+\.\d+$/.test(amount) ? amount.replace(/\.?0+$/, '') : amount;
}
