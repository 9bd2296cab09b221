import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectationsSchema } from '../../lib/gameday/scenario';
import { validateScenarioDirectory } from '../../lib/gameday/scenario-loader';
import { defaultTemplateDirectories, listTemplates } from '../../lib/gameday/templates';
import { loadPlaybookDirectory } from '../../lib/playbooks/loader';

const ROOT = resolve(import.meta.dirname, '../..');
const PAGE = readFileSync(resolve(ROOT, 'docs/gameday.md'), 'utf8');

/** The first cell of each row of the first table after `heading`. */
function firstCellsAfter(heading: string): string[] {
  const start = PAGE.indexOf(heading);
  if (start < 0) throw new Error(`docs/gameday.md has no heading ${heading}`);
  const lines = PAGE.slice(start).split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  const cells: string[] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    cells.push(line.slice(1).split('|')[0]!.trim());
  }
  return cells;
}

// A new user reads these two tables to find a scenario to copy and an expectation to write; both
// had fallen behind the files and the schema (24 scenarios and two keys were missing).
describe('docs/gameday.md', () => {
  it('has a row in "The shipped scenarios" for every scenario in playbooks/scenarios/, and none for another', () => {
    const shipped = readdirSync(resolve(ROOT, 'playbooks/scenarios'))
      .filter((name) => name.endsWith('.yaml'))
      .map((name) => name.slice(0, -'.yaml'.length))
      .sort();
    const rows = firstCellsAfter('## The shipped scenarios').sort();
    expect(shipped.filter((name) => !rows.includes(name))).toEqual([]);
    expect(rows.filter((name) => !shipped.includes(name))).toEqual([]);
  });

  it('names every key a scenario may expect in the "Expectations" table', () => {
    const keys = firstCellsAfter('### Expectations').flatMap((cell) => [...cell.matchAll(/`([A-Za-z0-9]+)[^`]*`/g)].map((match) => match[1]));
    expect(Object.keys(expectationsSchema.shape).filter((key) => !keys.includes(key))).toEqual([]);
  });

  // The key-by-key sample is what a new user copies to start a scenario: its ENIs named a group
  // (monitoring-agents) the sample never declared, so the copy failed to load.
  it('has a "Writing a scenario" sample that loads as a scenario once its expect is filled in', async () => {
    const start = PAGE.indexOf('```yaml', PAGE.indexOf('## Writing a scenario'));
    const sample = PAGE.slice(PAGE.indexOf('\n', start) + 1, PAGE.indexOf('\n```', start)).replace(/^expect: \{ … \}.*$/m, 'expect: {}');
    const dir = mkdtempSync(join(tmpdir(), 'firebreak-doc-scenario-'));
    try {
      writeFileSync(join(dir, 'compromised-instance-multi-eni.yaml'), sample);
      const playbooks = await loadPlaybookDirectory(resolve(ROOT, 'playbooks'));
      const templates = [...(await listTemplates(defaultTemplateDirectories(ROOT))).keys()];
      const { scenarios, problems } = await validateScenarioDirectory(dir, { playbooks, templates });
      expect(problems.map((problem) => `${problem.line}:${problem.column}: ${problem.message}`)).toEqual([]);
      expect(scenarios.map((scenario) => scenario.name)).toEqual(['compromised-instance-multi-eni']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
