// Mutation testing of the safety rails (`npm run mutate`; docs/testing.md). A hand mutation of
// these modules once found a real bypass that thousands of passing tests missed: Stryker makes
// that check a habit. It is slow, so it is not part of `npm test` or CI.
//
// One module at a time: npm run mutate -- --mutate lib/responders/grants.ts
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
const config = {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'vitest.mutation.config.ts', pool: 'forks' },
  mutate: [
    'lib/responders/effective-mode.ts',
    'lib/responders/grants.ts',
    'lib/responders/mutating.ts',
    'lib/responders/blast-radius.ts',
    'lib/responders/containment-guard*.ts',
    'lib/responders/credential-rails.ts',
    'lib/responders/record-integrity.ts',
    'lib/responders/record-mac.ts',
  ],
  // Each mutant runs only the tests that reach it.
  coverageAnalysis: 'perTest',
  // The machine has two cores, shared with other work.
  concurrency: 1,
  timeoutMS: 20000,
  // The first run, of every covering test with coverage per test, takes minutes on a busy machine.
  dryRunTimeoutMinutes: 40,
  // A rerun tests only the mutants whose code or covering tests changed.
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['cdk.out', 'dist', 'coverage', '.gameday-out', 'gameday-reports', 'reports'],
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 90, low: 80, break: null },
};

export default config;
