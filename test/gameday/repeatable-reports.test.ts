/**
 * A game day's reports repeat: two runs of the same scenario write byte-identical Markdown and HTML
 * (the simulated clock, seeded ids and seeded isolation-group names; never the wall clock).
 * The scenarios chosen are those that once did not: a playbook started directly (its receipt time
 * was the wall clock's), an impostor holding the isolation group's name (a random suffix), and an
 * attack sequence (a gathered report of four records).
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderIncidentReportHtml, renderIncidentReportMarkdown } from '../../lib/operator/incident-report-render';
import { runScenario } from '../../lib/gameday/runner';
import { loadScenarioDirectory } from '../../lib/gameday/scenario-loader';
import { defaultTemplateDirectories, listTemplates } from '../../lib/gameday/templates';
import { loadPlaybookDirectory } from '../../lib/playbooks/loader';

const ROOT = resolve(import.meta.dirname, '../..');
const playbooks = await loadPlaybookDirectory(resolve(ROOT, 'playbooks'));
const templates = [...(await listTemplates(defaultTemplateDirectories(ROOT))).keys()];
const scenarios = await loadScenarioDirectory(resolve(ROOT, 'playbooks/scenarios'), { playbooks, templates });

async function reportsOf(name: string): Promise<string[]> {
  const scenario = scenarios.find((candidate) => candidate.name === name);
  if (!scenario) throw new Error(`no scenario ${name}`);
  const run = await runScenario(scenario, { playbooks });
  return (run.reports ?? []).flatMap((report) => [renderIncidentReportMarkdown(report), renderIncidentReportHtml(report)]);
}

describe('game-day reports', () => {
  it.each(['playbook-started-directly', 'impostor-isolation-group', 'attack-sequence-three-instances-one-protected'])('are byte-identical across two runs of %s', async (name) => {
    const first = await reportsOf(name);
    const second = await reportsOf(name);
    expect(first.length).toBeGreaterThan(0);
    expect(second).toEqual(first);
  }, 120_000);
});
