/**
 * Timestamps of the process's start-up phases (configuration read, port open, modules loaded,
 * PGlite's WebAssembly compiled, its folder ready, migrations checked, app built, listening, workers
 * running), in milliseconds since the process started. main.ts logs them with "backend is listening"
 * (`startup_ms`), so an operator sees where a slow start spent its time, and bench/startup.ts reads
 * them. A phase marked twice keeps its first time; marks cost a `performance.now()` each.
 * @module
 */

const marks: Record<string, number> = {};

/** Records that start-up reached `phase` now (the first time only). */
export function markStartup(phase: string): void {
  marks[phase] ??= Math.round(performance.now());
}

/** Every phase marked so far, in ms since the process started. */
export function startupMarks(): Readonly<Record<string, number>> {
  return { ...marks };
}
