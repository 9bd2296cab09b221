/**
 * `npm run bench`: every benchmark, each in its own Node process (so that one's memory does not
 * count in another's peak), figures printed, not timed tests. `npm run bench -- storm triage`
 * runs some of them.
 *
 * - storm: 10,000 findings over 1,000 instances through the local engine (test/bench/storm.ts);
 * - triage: pure triage throughput per core (test/bench/triage.ts);
 * - bundles: responder bundle sizes and init times beside their floor (test/bench/bundles.ts, measureResponderBundles);
 * - containment: predicted time to containment per shipped playbook (test/bench/containment.ts).
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { STORM_SEMI_SPACE_MIB, stormOldSpaceFlags } from './options';

const HERE = import.meta.dirname;
const BENCHES: Readonly<Record<string, { readonly file: string; readonly nodeFlags?: readonly string[] }>> = {
  // A young generation of 8 MiB semi-spaces instead of V8's 16, and an old generation limited to
  // 256 MiB (test/bench/options.ts says why).
  storm: { file: 'storm.ts', nodeFlags: [`--max-semi-space-size=${STORM_SEMI_SPACE_MIB}`, ...stormOldSpaceFlags(process.env)] },
  triage: { file: 'triage.ts' },
  bundles: { file: 'bundles.ts' },
  containment: { file: 'containment.ts' },
};

const chosen = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(BENCHES);
let failed = 0;
for (const name of chosen) {
  if (!(name in BENCHES)) {
    console.error(`unknown benchmark '${name}' (${Object.keys(BENCHES).join(', ')})`);
    failed += 1;
    continue;
  }
  const { file, nodeFlags = [] } = BENCHES[name] as (typeof BENCHES)[string];
  // As the firebreak command runs (bin/firebreak.mjs): AsyncLocalStorage without promise hooks.
  const result = spawnSync(process.execPath, ['--experimental-async-context-frame', ...nodeFlags, '--import', 'tsx', resolve(HERE, file)], { stdio: 'inherit' });
  if (result.status !== 0) failed += 1;
  console.log();
}
process.exitCode = failed === 0 ? 0 : 1;
