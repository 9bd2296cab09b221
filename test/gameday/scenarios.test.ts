/**
 * The shipped scenarios are the project's main job: each one runs here, on the real synthesized
 * state machines, responders and simulated account, and every one of its expectations must hold.
 */
import { resolve } from 'node:path';
import { flattenSteps } from '../../lib/playbooks/model';
import { PER_INSTANCE_ACTION } from '../../lib/playbooks/fan-out-names';
import { PER_CREDENTIAL_ACTION } from '../../lib/playbooks/fan-out-names';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../lib/gameday/runner';
import { loadScenarioDirectory } from '../../lib/gameday/scenario-loader';
import { defaultTemplateDirectories, listTemplates } from '../../lib/gameday/templates';
import { loadPlaybookDirectory } from '../../lib/playbooks/loader';

const ROOT = resolve(import.meta.dirname, '../..');
const playbooks = await loadPlaybookDirectory(resolve(ROOT, 'playbooks'));
const templates = [...(await listTemplates(defaultTemplateDirectories(ROOT))).keys()];
const scenarios = await loadScenarioDirectory(resolve(ROOT, 'playbooks/scenarios'), { playbooks, templates });

function failures(run: Awaited<ReturnType<typeof runScenario>>): string[] {
  return run.expectations.filter((result) => !result.passed).map((result) => `${result.name}: expected ${result.expected}, actual ${result.actual}`);
}

describe('shipped game-day scenarios', () => {
  it('cover every shipped playbook', () => {
    const tested = new Set(scenarios.map((scenario) => scenario.playbook));
    // A per-instance or per-credential playbook runs through the playbook that starts it (contain-each-instance, contain-each-credential).
    for (const playbook of playbooks) {
      if (!tested.has(playbook.name)) continue;
      for (const step of flattenSteps(playbook.steps)) if (step.action === PER_INSTANCE_ACTION || step.action === PER_CREDENTIAL_ACTION) tested.add(String(step.with.playbook));
    }
    expect(playbooks.map((playbook) => playbook.name).filter((name) => !tested.has(name))).toEqual([]);
  });

  for (const scenario of scenarios.filter((candidate) => candidate.pending === undefined)) {
    it(`${scenario.name}: every expectation holds`, async () => {
      const run = await runScenario(scenario, { playbooks });
      expect(run.error).toBeUndefined();
      expect(failures(run)).toEqual([]);
      expect(run.expectations.length).toBeGreaterThan(0);
      // IAM and event patterns are rehearsed as deployed: every injected event went through the
      // synthesized rules, and every condition of the synthesized policies was evaluated.
      const putsEvents = scenario.inject.some((entry) => entry.raw === undefined && entry.release === undefined && entry.invoke === undefined && entry.start === undefined);
      if (putsEvents) expect(run.routings.length).toBeGreaterThan(0);
      expect(run.findings).toEqual([]);
    });
  }

  for (const scenario of scenarios.filter((candidate) => candidate.pending !== undefined)) {
    it(`${scenario.name}: still pending (${scenario.pending?.slice(0, 60) ?? ''}…), so at least one expectation fails`, async () => {
      const run = await runScenario(scenario, { playbooks });
      // When this fails, the rail exists: remove the scenario's `pending:` line.
      expect(failures(run).length).toBeGreaterThan(0);
    });
  }
});
