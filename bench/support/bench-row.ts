/**
 * What every bench module hands the `npm run bench` harness (bench/run.ts): the rows of the table,
 * each figure beside an anchor measured in the same run, so that a figure reads as a ratio to what
 * the machine can do at all, not as an absolute number from an unknown machine.
 * @module
 */

/** One line of the bench table. */
export interface BenchRow {
  /** What was measured, e.g. `creates, PGlite, 16 clients`. */
  figure: string;
  value: number;
  /** `req/s`, `ms`, `MB`, … */
  unit: string;
  /** What the figure is compared with, measured in the same run, e.g. `bare Fastify POST`. */
  anchor: string;
  /** The anchor's value in the same unit as its own (the ratio is `value / anchorValue`). */
  anchorValue: number;
  /** The goal, as text (`≥ 1500 req/s`), or an empty string when there is none. */
  target: string;
  /** Whether the figure meets the target; `null` without a target. */
  met: boolean | null;
  /**
   * When the figure is the median of repeated runs: every run's value, for the table's spread column
   * (min–max and the count). A figure that is itself a percentile of many samples in one run leaves
   * it out.
   */
  runs?: number[];
}

/** Options every bench's `run` takes. */
export interface BenchOptions {
  /** Fewer and shorter rounds: for a smoke run of the harness, not for figures to record. */
  quick: boolean;
}

/**
 * The shape of a bench module the harness picks up: a file `bench/<name>.bench.ts` exporting `run`.
 * @example export const run: BenchModule['run'] = async ({ quick }) => [ … rows … ];
 */
export interface BenchModule {
  run(options: BenchOptions): Promise<BenchRow[]>;
}
