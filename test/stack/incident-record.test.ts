import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { DEPLOYMENT_ENV } from '../../lib/contracts/environment';
import { FirebreakConfigError, readFirebreakConfig } from '../../lib/stack/config';
import { Firebreak } from '../../lib/stack/firebreak';
import { actionsOf, COMPROMISED, DEFAULT_ALERT, resourcesOf, statementsOfRole, userStack } from './support';

function synth(props: { incidentRecordRetentionDays?: number } = {}) {
  const stack = userStack();
  const firebreak = new Firebreak(stack, 'Firebreak', { playbooks: [COMPROMISED, DEFAULT_ALERT], ...props });
  return { template: Template.fromStack(stack), firebreak, stack };
}

describe('the incident record in the stack', () => {
  it('lets every responder but triage append to incident# items only, with UpdateItem and nothing else', () => {
    const { template, firebreak, stack } = synth();
    expect([...firebreak.responders.keys()]).toContain('triage');
    for (const [name, fn] of firebreak.responders) {
      const roleId = stack.getLogicalId(fn.role.node.defaultChild as never);
      const appends = statementsOfRole(template, roleId).filter((statement) => statement.Sid === 'AppendIncidentRecord');
      if (name === 'triage') {
        expect(appends).toEqual([]);
        continue;
      }
      expect(appends).toHaveLength(1);
      expect(actionsOf(appends[0]!)).toEqual(['dynamodb:UpdateItem']);
      expect(appends[0]!.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': 'incident#*' } });
    }
  });

  it("lets the dispatcher append triage's entry: UpdateItem on the state table's incident# items, nothing else of DynamoDB, and the triage Lambda none", () => {
    const { template, firebreak, stack } = synth();
    const roleId = stack.getLogicalId(firebreak.dispatcher.role.node.defaultChild as never);
    const statements = statementsOfRole(template, roleId);
    const dynamo = statements.filter((statement) => JSON.stringify(statement.Action).includes('dynamodb:'));
    expect(dynamo.map((statement) => statement.Sid)).toEqual(['RecordTriage']);
    expect(actionsOf(dynamo[0]!)).toEqual(['dynamodb:UpdateItem']);
    expect(dynamo[0]!.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': 'incident#*' } });
    const tables = Object.keys(resourcesOf(template, 'AWS::DynamoDB::Table'));
    expect(tables).toHaveLength(1);
    expect(dynamo[0]!.Resource).toEqual({ 'Fn::GetAtt': [tables[0], 'Arn'] });
    const triageRole = stack.getLogicalId(firebreak.responders.get('triage')!.role.node.defaultChild as never);
    expect(JSON.stringify(statementsOfRole(template, triageRole))).not.toContain('dynamodb:');
  });

  it('gives every function the retention (default 400 days), which the state table\'s TTL enforces', () => {
    const retention = (template: Template) =>
      Object.values(resourcesOf(template, 'AWS::Lambda::Function'))
        .map((fn) => (fn.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables?.[DEPLOYMENT_ENV.incidentRecordRetentionDays])
        .filter((value) => value !== undefined);
    expect(new Set(retention(synth().template))).toEqual(new Set(['400']));
    expect(new Set(retention(synth({ incidentRecordRetentionDays: 90 }).template))).toEqual(new Set(['90']));
    const table = Object.values(resourcesOf(synth().template, 'AWS::DynamoDB::Table'))[0]!;
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'ttl', Enabled: true });
  });

  it('reads incidentRecordRetentionDays from the context: 1 to 3650 whole days', () => {
    expect(readFirebreakConfig((key) => (key === 'incidentRecordRetentionDays' ? '730' : undefined))).toEqual({ incidentRecordRetentionDays: 730 });
    for (const bad of ['0', '3651', '1.5']) {
      expect(() => readFirebreakConfig((key) => (key === 'incidentRecordRetentionDays' ? bad : undefined))).toThrow(FirebreakConfigError);
    }
  });
});
