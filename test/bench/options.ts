/** The benchmarks' size options, read from the environment (STORM_INSTANCES, BUNDLE_RUNS…). */

/**
 * A whole number of at least 1 from `environment[name]`, or `fallback` when it is unset or empty.
 * Anything else stops the benchmark: Number('abc') is NaN, and a run with NaN sizes printed
 * failures ("exactly NaN playbook runs") that read as Firebreak's.
 */
export function wholeNumberFromEnvironment(environment: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = environment[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < 1) {
    throw new Error(`${name} must be a whole number from 1 (default ${fallback}), got '${text}'`);
  }
  return value;
}

/**
 * The semi-space size `npm run bench` gives the storm's young generation, in MiB (V8's default on
 * 64-bit is 16). Session 32: under heavy load (load 7-8), eight runs of 342-374 MiB and one of 388
 * beside 371-395 MiB with the default; on a quiet machine (load under 2) the two are not told apart
 * in three runs each (367-406 against 381-398 MiB), for up to a tenth more run CPU (docs/gameday.md,
 * "Recorded figures"). A launch flag: V8 sizes the young generation when the heap is made, and
 * `v8.setFlagsFromString` later changes nothing.
 */
export const STORM_SEMI_SPACE_MIB = 8;

/**
 * The `--max-semi-space-size` a process was started with, in MiB (NODE_OPTIONS are read before the
 * command line, so the last one given wins); undefined when none.
 */
export function semiSpaceMiB(execArgv: readonly string[], nodeOptions: string | undefined): number | undefined {
  const flags = [...(nodeOptions ?? '').split(/\s+/), ...execArgv];
  let found: number | undefined;
  for (const flag of flags) {
    const match = /^--max[-_]semi[-_]space[-_]size=(\d+)$/.exec(flag);
    if (match) found = Number(match[1]);
  }
  return found;
}
