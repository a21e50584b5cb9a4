/**
 * The loop the treasury's background workers share (forwarder sweeper, payout key, UTXO sweep
 * watch): one run at once, then one every `tickMs`, only while `leads()` says this instance leads the
 * chain, never two runs at a time; a failed run is logged and the next tick tries again. `stop()`
 * waits for a run in flight.
 * @module
 */

/**
 * Runs `run` now and every `tickMs` while `leads()` (default: always); `failure` names a failed run
 * in the log, with `chain`.
 * @example const loop = runPeriodically(() => watch.syncOnce(), { tickMs: 5_000, chain: 'litecoin', failure: 'UTXO sweep watch failed' }); … await loop.stop();
 */
export function runPeriodically(
  run: () => Promise<unknown>,
  options: {
    tickMs: number;
    chain: string;
    failure: string;
    leads?: (() => boolean) | undefined;
    logger?: { warn(obj: object, msg: string): void } | undefined;
  },
): { stop(): Promise<void> } {
  let running: Promise<unknown> | null = null;
  const tick = () => {
    if (options.leads && !options.leads()) return;
    running ??= run()
      .catch((error: unknown) => options.logger?.warn({ err: error, chain: options.chain }, options.failure))
      .finally(() => (running = null));
  };
  const first = setTimeout(tick, 0);
  const timer = setInterval(tick, options.tickMs);
  timer.unref();
  return {
    async stop() {
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
