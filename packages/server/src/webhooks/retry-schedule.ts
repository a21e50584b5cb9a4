/**
 * Seconds to wait after each failed attempt before the next one: the Standard Webhooks example
 * schedule. With the first attempt at once that makes 10 attempts over 75.6 hours (plus jitter), at
 * least 3 days, after which the delivery is marked failed.
 *
 * | attempt | after the previous one | since the event |
 * | ------- | ---------------------- | --------------- |
 * | 1       | at once                | 0               |
 * | 2       | 5 s                    | 5 s             |
 * | 3       | 5 min                  | 5 min 5 s       |
 * | 4       | 30 min                 | 35 min          |
 * | 5       | 2 h                    | 2 h 35 min      |
 * | 6       | 5 h                    | 7 h 35 min      |
 * | 7       | 10 h                   | 17 h 35 min     |
 * | 8       | 14 h                   | 31 h 35 min     |
 * | 9       | 20 h                   | 51 h 35 min     |
 * | 10      | 24 h                   | 75 h 35 min     |
 */
export const DEFAULT_RETRY_SCHEDULE: readonly number[] = [
  5,
  5 * 60,
  30 * 60,
  2 * 3600,
  5 * 3600,
  10 * 3600,
  14 * 3600,
  20 * 3600,
  24 * 3600,
];

/**
 * Milliseconds until the next attempt after `attempts` failed ones, or `null` when the schedule is
 * used up (the delivery failed). Jitter only lengthens a delay (by up to `jitter` × delay), so that
 * retries of many deliveries that failed together spread out, and the schedule never gets shorter
 * than documented.
 * @example retryDelayMs(1, DEFAULT_RETRY_SCHEDULE, 0.2, () => 0.5) // 5_500
 */
export function retryDelayMs(
  attempts: number,
  schedule: readonly number[],
  jitter: number,
  random: () => number = Math.random,
): number | null {
  const seconds = schedule[attempts - 1];
  if (seconds === undefined) return null;
  return Math.round(seconds * 1000 * (1 + jitter * random()));
}
