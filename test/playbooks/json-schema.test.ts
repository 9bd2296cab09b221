import { readFile } from 'node:fs/promises';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ACTION_NAMES } from '../../lib/playbooks/actions';
import { playbookJsonSchema, playbookJsonSchemaText } from '../../lib/playbooks/json-schema';
import { validatePlaybookPaths } from '../../lib/playbooks/loader';

const SHIPPED_SCHEMA = 'playbooks/playbook.schema.json';

async function shippedPlaybookDocuments(): Promise<{ file: string; document: unknown }[]> {
  const { playbooks } = await validatePlaybookPaths(['playbooks']);
  return Promise.all(playbooks.map(async (playbook) => ({ file: playbook.file, document: parse(await readFile(playbook.file, 'utf8')) as unknown })));
}

// ajv (draft-07) stands in for the editors' YAML language server.
const validateWithSchema = new Ajv({ allErrors: true, strict: false }).compile(playbookJsonSchema());

describe('the playbook JSON Schema', () => {
  it('is shipped exactly as generated from the validator (regenerate with `npx firebreak schema --write`)', async () => {
    expect(await readFile(SHIPPED_SCHEMA, 'utf8')).toBe(playbookJsonSchemaText());
  });

  it('is referenced by every shipped playbook for editors', async () => {
    for (const { file } of await shippedPlaybookDocuments()) {
      expect((await readFile(file, 'utf8')).split('\n')[0], file).toBe('# yaml-language-server: $schema=./playbook.schema.json');
    }
  });

  it('accepts every shipped playbook', async () => {
    const documents = await shippedPlaybookDocuments();
    expect(documents.length).toBeGreaterThan(0);
    for (const { file, document } of documents) expect(validateWithSchema(document), `${file}: ${JSON.stringify(validateWithSchema.errors)}`).toBe(true);
  });

  it('offers every action, with its description, for completion', () => {
    const schema = playbookJsonSchema() as { definitions: { actionStep: { properties: { action: { enum: string[]; description: string } } } } };
    expect(schema.definitions.actionStep.properties.action.enum).toEqual(ACTION_NAMES);
    for (const action of ACTION_NAMES) expect(schema.definitions.actionStep.properties.action.description).toContain(`${action}: `);
  });

  const base = {
    name: 'contain',
    description: 'd',
    priority: 1,
    mode: 'enforce',
    match: { sources: ['guardduty'], resourceKinds: ['ec2-instance'] },
    steps: [{ action: 'quarantine-instance', with: { revokeRoleSessions: true } }],
  };

  it('accepts the base document the next cases break', () => {
    expect(validateWithSchema(base)).toBe(true);
  });

  it('flags a misspelt key, an unknown action and an unknown source as people type', () => {
    expect(validateWithSchema({ ...base, prority: 1 })).toBe(false);
    expect(validateWithSchema({ ...base, steps: [{ action: 'quarantine' }] })).toBe(false);
    expect(validateWithSchema({ ...base, match: { sources: ['guarduty'] } })).toBe(false);
  });

  it("checks `with:` against the chosen action's own options", () => {
    expect(validateWithSchema({ ...base, steps: [{ action: 'quarantine-instance', with: { revokeSessions: true } }] })).toBe(false);
    expect(validateWithSchema({ ...base, steps: [{ action: 'quarantine-instance', with: { revokeRoleSessions: 'yes' } }] })).toBe(false);
    expect(validateWithSchema({ ...base, steps: [{ action: 'notify', with: { revokeRoleSessions: true } }] })).toBe(false);
    expect(validateWithSchema({ ...base, steps: [{ action: 'notify', with: { advice: 'Call the owner.' } }] })).toBe(true);
  });

  it('describes parallel groups recursively, and refuses a step with neither action nor parallel', () => {
    const parallel = { parallel: [{ action: 'notify' }, { parallel: [{ action: 'notify' }, { action: 'notify' }] }] };
    expect(validateWithSchema({ ...base, steps: [parallel] })).toBe(true);
    expect(validateWithSchema({ ...base, steps: [{ id: 'nothing' }] })).toBe(false);
    expect(validateWithSchema({ ...base, steps: [{ parallel: [{ action: 'notify' }] }] })).toBe(false);
  });

  it('bounds severity to 0–10 and alarm states to ALARM', () => {
    expect(validateWithSchema({ ...base, match: { sources: ['guardduty'], severity: { min: 11 } } })).toBe(false);
    expect(validateWithSchema({ ...base, match: { sources: ['cloudwatch'], alarmStates: ['OK'] } })).toBe(false);
  });

  it('offers approval: (timeout bounded to a minute–a day, onTimeout listed) and trigger:', () => {
    expect(validateWithSchema({ ...base, trigger: 'manual' })).toBe(true);
    expect(validateWithSchema({ ...base, trigger: 'sometimes' })).toBe(false);
    expect(validateWithSchema({ ...base, approval: { required: true, timeoutSeconds: 900, onTimeout: 'contain' } })).toBe(true);
    expect(validateWithSchema({ ...base, approval: { timeoutSeconds: 59 } })).toBe(false);
    expect(validateWithSchema({ ...base, approval: { timeoutSeconds: 86_401 } })).toBe(false);
    expect(validateWithSchema({ ...base, approval: { onTimeout: 'page-someone' } })).toBe(false);
    expect(validateWithSchema({ ...base, approval: { requierd: true } })).toBe(false);
  });
});
