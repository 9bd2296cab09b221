/**
 * The storm benchmark's process holds the game day, not aws-cdk-lib: the definitions are
 * synthesized in a child process (test/bench/synthesize.ts), and nothing the bench imports may load
 * the CDK (a constant read from a stack module loaded all of aws-cdk-lib's modules, about 30 MB of
 * heap and RSS, in every storm and every game-day run). A fresh process imports what
 * test/bench/storm.ts imports and lists the CommonJS modules it loaded.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/stack/package-root';

const PROBE = `
import { createRequire } from 'node:module';
await import('./lib/gameday/backend.ts');
await import('./lib/gameday/deployment.ts');
await import('./lib/gameday/engine.ts');
await import('./lib/gameday/local-backend.ts');
await import('./lib/gameday/scenario.ts');
await import('./lib/gameday/templates.ts');
const loaded = Object.keys(createRequire(import.meta.url).cache);
process.stdout.write(JSON.stringify(loaded));
`;

describe('the storm benchmark process', () => {
  it('loads no aws-cdk-lib, constructs or cdk-nag module', () => {
    const probe = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', PROBE], { cwd: PROJECT_ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(probe.status, probe.stderr).toBe(0);
    const loaded = JSON.parse(probe.stdout) as string[];
    // The probe itself works: the SDK clients the engine uses are there.
    expect(loaded.some((file) => file.includes('/@aws-sdk/client-ec2/'))).toBe(true);
    expect(loaded.filter((file) => /\/node_modules\/(aws-cdk-lib|constructs|cdk-nag)\//.test(file))).toEqual([]);
  });
});
