/** The shipped scenario JSON Schema is exactly what the loader's zod schema generates. */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scenarioJsonSchema, scenarioJsonSchemaText } from '../../lib/gameday/scenario-json-schema';

const ROOT = resolve(import.meta.dirname, '../..');

describe('scenarioJsonSchema', () => {
  it('is the shipped playbooks/scenarios/scenario.schema.json (regenerate with `firebreak gameday schema --write`)', async () => {
    expect(await readFile(resolve(ROOT, 'playbooks/scenarios/scenario.schema.json'), 'utf8')).toBe(scenarioJsonSchemaText());
  });

  it('requires what the loader requires and describes the keys editors complete', () => {
    const schema = scenarioJsonSchema() as { required: string[]; properties: Record<string, { description?: string }> };
    expect(schema.required).toEqual(['name', 'description', 'playbook', 'inject', 'expect']);
    expect(schema.properties.delivery?.description).toContain('one-by-one');
  });
});
