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
