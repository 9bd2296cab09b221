/**
 * A scenario that cannot run to its end (here: a release of an instance that was never quarantined,
 * refused as `firebreak release` refuses it; until session 37 a second release asked in the same
 * simulated second, which session 37's changes moved into the next second) while an approval is still held
 * for a later injection. Before, the held approval never answered, and the interpreter's task timer
 * (set beyond reach, lib/gameday/engine.ts withoutWallClockTimeouts) kept the process alive for
 * weeks after the game day had printed its result: `gameday run` never exited.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../lib/gameday/runner';
import { loadScenarioDirectory } from '../../lib/gameday/scenario-loader';
import { defaultTemplateDirectories, listTemplates } from '../../lib/gameday/templates';
import { loadPlaybookDirectory } from '../../lib/playbooks/loader';

const ROOT = resolve(import.meta.dirname, '../..');

const SCENARIO = `name: release-of-an-instance-never-contained
description: a release of a contained instance, its approval held for a third injection, which asks a release of an instance never contained and is refused
playbook: release-instance
environment:
  securityGroups:
    web-tier: {}
  instances:
    web:
      enis:
        - groups: [web-tier]
    db:
      enis:
        - groups: [web-tier]
inject:
  - template: guardduty-ec2-backdoor-c2activity-multi-eni
    target: web
  - release: web
    reason: first
  - release: db
    reason: second
approvals:
  - { step: WaitForApproval, answer: approve, by: carol, answerAfterInjection: 3 }
expect:
  executions: 3
`;

describe('a scenario cut short while an approval is held', () => {
  it('fails with the reason, and `gameday run` exits rather than wait on the held approval', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'firebreak-cut-short-'));
    try {
      await writeFile(join(dir, 'release-of-an-instance-never-contained.yaml'), SCENARIO);
      const playbooks = await loadPlaybookDirectory(resolve(ROOT, 'playbooks'));
      const templates = [...(await listTemplates(defaultTemplateDirectories(ROOT))).keys()];
      const [scenario] = await loadScenarioDirectory(dir, { playbooks, templates });
      const ran = await runScenario(scenario!, { playbooks });
      expect(ran.passed).toBe(false);
      expect(ran.error).toMatch(/^ReleaseSetupError: .*no firebreak:incident tag/);
      // The command itself, as a user runs it: a hang shows as the child killed at the bound (a
      // bound far above the few seconds the run takes: it detects a hang, it does not time a run).
      const cli = spawnSync(process.execPath, ['bin/firebreak.mjs', 'gameday', 'run', '--scenarios', dir, 'release-of-an-instance-never-contained', '--no-reports'], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 100_000,
      });
      expect({ signal: cli.signal, status: cli.status }).toEqual({ signal: null, status: 1 });
      expect(cli.stdout).toContain('the scenario could not run: ReleaseSetupError');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
