import { describe, expect, it } from 'vitest';
import { ec2InstanceOf, executionInputIncident } from '../../lib/responders/execution-input';
import { ec2Incident, INSTANCE_ID } from '../support/incidents';

describe('executionInputIncident', () => {
  it('reads the input and the incident it carries', () => {
    const incident = ec2Incident();
    const text = JSON.stringify({ incident, playbook: 'compromised-ec2-instance', mode: 'enforce' });
    const read = executionInputIncident(text);
    expect(read).toEqual({ input: JSON.parse(text), incident });
  });

  it.each([
    ['no input at all', undefined],
    ['text that is not JSON', '{"incident":'],
  ])('says not-json for %s', (_case, text) => {
    expect(executionInputIncident(text)).toEqual({ problem: 'not-json' });
  });

  it.each([
    ['JSON null', 'null'],
    ['a JSON string', '"incident"'],
    ['an object without an incident', '{"playbook":"x"}'],
    ['an incident without a key', JSON.stringify({ incident: { ...ec2Incident(), key: undefined } })],
    ['an incident whose resource is not a known kind', JSON.stringify({ incident: { ...ec2Incident(), resource: { kind: 'tank' } } })],
  ])('says no-incident for %s', (_case, text) => {
    expect(executionInputIncident(text)).toEqual({ problem: 'no-incident' });
  });
});

describe('ec2InstanceOf', () => {
  it('is the instance of an EC2 resource only', () => {
    expect(ec2InstanceOf(ec2Incident())).toBe(INSTANCE_ID);
    expect(ec2InstanceOf({ resource: { kind: 'unknown', type: 'Other' } } as never)).toBeUndefined();
  });
});
