import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectationsSchema } from '../../lib/gameday/scenario';

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
});
