import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACTIONS, ACTION_NAMES } from '../../lib/playbooks/actions';
import { INSTANCE_ACTIONS, objectKeys } from '../../lib/playbooks/schema';

const PAGE = readFileSync(resolve(import.meta.dirname, '../../docs/playbooks.md'), 'utf8');

/** The rows of the first table after `heading`, each as its cells (outer pipes dropped). */
function tableAfter(heading: string): string[][] {
  const start = PAGE.indexOf(heading);
  if (start < 0) throw new Error(`docs/playbooks.md has no heading ${heading}`);
  const lines = PAGE.slice(start).split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    // Split on pipes not escaped as `\|` (an enum inside a cell: `governance\|compliance`).
    rows.push(line.slice(1, -1).split(/(?<!\\)\|/).map((cell) => cell.trim()));
  }
  return rows;
}

describe('docs/playbooks.md', () => {
  const steps = tableAfter('### `steps:`');
  const rowOf = (action: string): string[] | undefined => steps.find((cells) => cells[0] === `\`${action}\``);

  it('has a row in the steps table for every action the validator accepts, and none for another', () => {
    expect(ACTION_NAMES.filter((action) => rowOf(action) === undefined)).toEqual([]);
    expect(steps.map((cells) => cells[0]).filter((cell) => !ACTION_NAMES.some((action) => cell === `\`${action}\``))).toEqual([]);
  });

  it('names every `with:` option of each action in its row (or says none)', () => {
    const missing = ACTION_NAMES.flatMap((action) => {
      const options = rowOf(action)?.[2] ?? '';
      const keys = objectKeys(ACTIONS[action].options);
      if (keys.length === 0) return options === 'none' ? [] : [`${action}: says options where it has none`];
      return keys.filter((key) => !options.includes(`\`${key}\``)).map((key) => `${action}: ${key}`);
    });
    expect(missing).toEqual([]);
  });

  it("says 'changes resources' exactly for the actions that change resources", () => {
    const wrong = ACTION_NAMES.filter((action) => (rowOf(action)?.[3] ?? '').startsWith('yes') !== ACTIONS[action].mutates);
    expect(wrong).toEqual([]);
  });

  it('lists, under resourceKinds, every action that acts on an EC2 instance', () => {
    const resourceKinds = tableAfter('### `match:`').find((cells) => cells[0] === '`resourceKinds`')?.[1] ?? '';
    expect(INSTANCE_ACTIONS.filter((action) => !resourceKinds.includes(`\`${action}\``))).toEqual([]);
  });
});
