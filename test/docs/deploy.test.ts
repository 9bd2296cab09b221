import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTEXT_KEYS } from '../../lib/stack/config';

const PAGE = readFileSync(resolve(import.meta.dirname, '../../docs/deploy.md'), 'utf8');

/** The keys named in the first cell of the configuration table's rows. */
function documentedKeys(): string[] {
  const lines = PAGE.slice(PAGE.indexOf('## Configuration')).split('\n');
  const first = lines.findIndex((line) => line.startsWith('| key |'));
  const keys: string[] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    keys.push(...[...line.slice(1).split('|')[0]!.matchAll(/`([A-Za-z]+)`/g)].map((match) => match[1]!));
  }
  return keys;
}

// A new user configures Firebreak from this table: dnsAllowlist, read by the stack and described
// only on the DNS responder's page, was missing from it.
describe('docs/deploy.md', () => {
  it('documents every CDK context key the stack reads in its configuration table, and no other', () => {
    const documented = documentedKeys();
    expect(CONTEXT_KEYS.filter((key) => !documented.includes(key))).toEqual([]);
    expect(documented.filter((key) => !(CONTEXT_KEYS as readonly string[]).includes(key))).toEqual([]);
  });
});
