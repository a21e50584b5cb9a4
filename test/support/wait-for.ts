/**
 * `waitFor`, the one way tests wait for a condition: Node and browser tests both import it (it uses no
 * Node module), so that no test sleeps a fixed time or keeps a copy of its own.
 * @module
 */

/**
 * Polls `fn` every 25 ms until it returns a truthy value, which it resolves with; rejects after
 * `timeoutMs` saying what it waited for (and the last error `fn` threw, if any).
 * @example const paid = await waitFor(async () => (await view()).status === 'paid' && view(), 10_000, 'paid');
 */
export async function waitFor<T>(
  fn: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
