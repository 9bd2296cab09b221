/**
 * One fast-check seed per test file, printed before the properties run, so that any failure (a
 * counterexample, or a crash fast-check cannot shrink) can be replayed exactly:
 * `FIREBREAK_FC_SEED=<seed> npx vitest run <file>`. Without the variable each run draws a new
 * seed, so the properties keep exploring new inputs from one run to the next.
 */
import fc from 'fast-check';

export const SEED_VARIABLE = 'FIREBREAK_FC_SEED';

/** The seed named by FIREBREAK_FC_SEED (a 32-bit integer), or a fresh random one. */
export function propertySeed(environment: NodeJS.ProcessEnv = process.env): number {
  const given = environment[SEED_VARIABLE];
  if (given === undefined || given === '') return (Math.random() * 0x1_0000_0000) | 0;
  const seed = Number(given);
  if (!/^-?\d{1,10}$/.test(given.trim()) || !Number.isInteger(seed) || seed < -0x8000_0000 || seed > 0x7fff_ffff) {
    throw new Error(`${SEED_VARIABLE}=${JSON.stringify(given)}: expected a 32-bit integer, as printed by a previous run`);
  }
  return seed;
}

/** Seeds every `fc.assert` of the calling test file and prints how to replay it. */
export function seedProperties(file: string): number {
  const seed = propertySeed();
  fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
  console.info(`${file}: fast-check seed ${seed} (replay with ${SEED_VARIABLE}=${seed} npx vitest run ${file})`);
  return seed;
}
