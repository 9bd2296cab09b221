// The vitest run Stryker mutates the safety rails against (stryker.config.mjs, `npm run mutate`):
// only the suites that exercise the rails, so that its dry run and each mutant's run stay short.
// The CDK, CLI and game-day suites cover the rails too, but through a synth or a whole game day
// per mutant, which the two shared cores of this project cannot afford; a mutant that survives
// here is checked against them by hand before it counts as a gap (docs/testing.md).
import { defineConfig } from 'vitest/config';
import base from './vitest.config';

// Spread, not mergeConfig: mergeConfig appends `include` to the base's, which would run every suite.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['test/responders/**/*.test.ts', 'test/lambdas/**/*.test.ts', 'test/playbooks/guarded-playbooks.test.ts'],
    // One module graph for every file: these suites pass so (checked by the dry run Stryker starts
    // with), and re-importing the AWS SDK per file made each mutant's run four times slower.
    isolate: false,
  },
});
