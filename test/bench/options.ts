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
 * The old generation's limit `npm run bench` gives the storm, in MiB (`--max-old-space-size`; V8's
 * default on this machine is about 4 GiB, far above what the run holds). The run's live heap is
 * about 130 MB (it completes under a limit of 160 MiB, at two and a half times the run CPU, V8
 * collecting all the time); below its limit V8 lets the heap grow past what is live, and most of the
 * peak RSS was garbage not yet collected. Session 33, side by side on one machine (load 2-4), peak
 * RSS with 256: 337, 350 and 328 MiB; without: 378, 398, 364 and 398 MiB, for no run CPU beyond the
 * noise (44.1, 43.0, 37.9 s against 50.2, 46.7, 37.6 s); 192 gave 301 MiB for about a fifth more
 * CPU. A larger storm (STORM_INSTANCES over 1000) holds more: all.ts then passes no limit unless
 * STORM_OLD_SPACE_MIB says one (0: none).
 */
export const STORM_OLD_SPACE_MIB = 256;

/** The `--max-old-space-size` flag `npm run bench` starts the storm with, if any (see STORM_OLD_SPACE_MIB). */
export function stormOldSpaceFlags(environment: NodeJS.ProcessEnv): string[] {
  const chosen = environment.STORM_OLD_SPACE_MIB;
  if (chosen === '0') return [];
  if (chosen !== undefined && chosen !== '') return [`--max-old-space-size=${wholeNumberFromEnvironment(environment, 'STORM_OLD_SPACE_MIB', STORM_OLD_SPACE_MIB)}`];
  return wholeNumberFromEnvironment(environment, 'STORM_INSTANCES', 1000) > 1000 ? [] : [`--max-old-space-size=${STORM_OLD_SPACE_MIB}`];
}

/**
 * A size flag a process was started with (`--max-semi-space-size`, `--max-old-space-size`), in MiB
 * (NODE_OPTIONS are read before the command line, so the last one given wins); undefined when none.
 */
function launchFlagMiB(name: string, execArgv: readonly string[], nodeOptions: string | undefined): number | undefined {
  const flags = [...(nodeOptions ?? '').split(/\s+/), ...execArgv];
  const pattern = new RegExp(`^--${name.replace(/-/g, '[-_]')}=(\\d+)$`);
  let found: number | undefined;
  for (const flag of flags) {
    const match = pattern.exec(flag);
    if (match) found = Number(match[1]);
  }
  return found;
}

/** The `--max-semi-space-size` a process was started with, in MiB; undefined when none. */
export function semiSpaceMiB(execArgv: readonly string[], nodeOptions: string | undefined): number | undefined {
  return launchFlagMiB('max-semi-space-size', execArgv, nodeOptions);
}

/** The `--max-old-space-size` a process was started with, in MiB; undefined when none. */
export function oldSpaceMiB(execArgv: readonly string[], nodeOptions: string | undefined): number | undefined {
  return launchFlagMiB('max-old-space-size', execArgv, nodeOptions);
}
