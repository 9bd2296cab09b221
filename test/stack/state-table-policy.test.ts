/**
 * The state table's resource policy: only Firebreak's own roles write items. A MAC cannot tell a
 * record from an older sealed copy of itself, nor (for the marks it does not cover) a released
 * record from one marked unreleased again; only keeping every other principal from writing the
 * table stops both (docs/security.md, attack 3c). Tried both ways through the policy evaluator.
 */
import { describe, expect, it } from 'vitest';
import { ITEM_WRITE_IAM_ACTIONS } from '../../lib/contracts/iam-actions';
import { loadPlaybookDirectorySync } from '../../lib/playbooks/loader';
import { ONLY_FIREBREAK_WRITES_ITEMS_SID } from '../../lib/stack/state';
import type { LocatedStatement } from './iam-catalog';
import { resolveIntrinsics, SAMPLE } from './iam-catalog';
import type { PolicyRequest } from './policy-evaluation';
import { evaluate } from './policy-evaluation';
import type { Statement } from './support';
import { actionsOf, logicalIdOf, resourcesOf, synthesize, TRUST_CONTEXT } from './support';

const role = (name: string) => `arn:aws:iam::${SAMPLE.account}:role/${name}`;
const ADMIN = role('SecurityAdmin');
const CFN_EXEC_ROLE = role(`cdk-hnb659fds-cfn-exec-role-${SAMPLE.account}-${SAMPLE.region}`);

const { template } = synthesize({ ...TRUST_CONTEXT, playbooks: loadPlaybookDirectorySync('playbooks') });
type Resources = Parameters<typeof resolveIntrinsics>[1];
const resources = template.toJSON().Resources as Resources;
const tableId = logicalIdOf(template, 'AWS::DynamoDB::Table', 'StateTable');
const tableArn = resolveIntrinsics({ 'Fn::GetAtt': [tableId, 'Arn'] }, resources) as string;
const tablePolicy = resourcesOf(template, 'AWS::DynamoDB::Table')[tableId]!.Properties.ResourcePolicy as { PolicyDocument: { Statement: Statement[] } };
const located: LocatedStatement[] = (resolveIntrinsics(tablePolicy.PolicyDocument, resources) as { Statement: Record<string, unknown>[] }).Statement.map(
  (statement) => ({ where: tableId, statement, self: tableArn }),
);
const ask = (action: string, principalArn: string, request: Partial<PolicyRequest> = {}) => evaluate(located, { action, resource: tableArn, principalArn, ...request });

/** The roles whose identity policies (inline or managed) allow an item write on the state table, by logical id. */
function rolesThatWriteItems(): string[] {
  const policies = { ...resourcesOf(template, 'AWS::IAM::Policy'), ...resourcesOf(template, 'AWS::IAM::ManagedPolicy') };
  const writers = new Set<string>();
  for (const policy of Object.values(policies)) {
    const statements = (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    const writes = statements.some(
      (statement) =>
        statement.Effect === 'Allow' &&
        actionsOf(statement).some((action) => (ITEM_WRITE_IAM_ACTIONS as readonly string[]).includes(action)) &&
        JSON.stringify(statement.Resource).includes(`"${tableId}"`),
    );
    if (!writes) continue;
    for (const attached of (policy.Properties.Roles as { Ref: string }[] | undefined) ?? []) writers.add(attached.Ref);
  }
  return [...writers].sort();
}

describe('the state table: only Firebreak’s own roles write items', () => {
  it('has exactly one statement: Deny every item write to every principal but the roles that write', () => {
    const exempted = tablePolicy.PolicyDocument.Statement[0]!.Condition!.ArnNotEquals as { 'aws:PrincipalArn': { 'Fn::GetAtt': [string, string] }[] };
    expect(tablePolicy.PolicyDocument.Statement).toEqual([
      {
        Sid: ONLY_FIREBREAK_WRITES_ITEMS_SID,
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: [
          'dynamodb:BatchWriteItem',
          'dynamodb:DeleteItem',
          'dynamodb:PartiQLDelete',
          'dynamodb:PartiQLInsert',
          'dynamodb:PartiQLUpdate',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
        ],
        Resource: '*',
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': exempted['aws:PrincipalArn'] } },
      },
    ]);
    // The exact writers: every role whose own policy lets it write an item of the table, no other.
    const ids = exempted['aws:PrincipalArn'].map((arn) => arn['Fn::GetAtt'][0]).sort();
    expect(ids).toEqual(rolesThatWriteItems());
    expect(ids).toEqual(
      expect.arrayContaining([
        logicalIdOf(template, 'AWS::IAM::Role', 'ResponderReleaseCredentialsRole'),
        logicalIdOf(template, 'AWS::IAM::Role', 'ResponderReleaseInstanceRole'),
        logicalIdOf(template, 'AWS::IAM::Role', 'ResponderQuarantineInstanceRole'),
        logicalIdOf(template, 'AWS::IAM::Role', 'ResponderContainmentGuardRole'),
        logicalIdOf(template, 'AWS::IAM::Role', 'ApprovalsFunctionRole'),
        logicalIdOf(template, 'AWS::IAM::Role', 'DispatcherStateMachineRole'),
      ]),
    );
    // Triage reads nothing of the table and writes nothing: it is not let through.
    expect(ids).not.toContain(logicalIdOf(template, 'AWS::IAM::Role', 'ResponderTriageRole'));
  });

  it('denies an administrator of the account every way of writing an item: SET released = false, a saved record put back, a delete', () => {
    for (const action of ITEM_WRITE_IAM_ACTIONS) expect(ask(action, ADMIN), action).toBe('explicit-deny');
    // Firebreak's other roles too: triage, and the approvers' roles are no writers.
    expect(ask('dynamodb:PutItem', resolveIntrinsics({ 'Fn::GetAtt': [logicalIdOf(template, 'AWS::IAM::Role', 'ResponderTriageRole'), 'Arn'] }, resources) as string)).toBe(
      'explicit-deny',
    );
  });

  it('lets the roles that write through (their own policies say which items), and leaves reads to IAM', () => {
    const releaser = resolveIntrinsics({ 'Fn::GetAtt': [logicalIdOf(template, 'AWS::IAM::Role', 'ResponderReleaseCredentialsRole'), 'Arn'] }, resources) as string;
    expect(ask('dynamodb:UpdateItem', releaser)).toBe('no-allow');
    expect(ask('dynamodb:GetItem', ADMIN)).toBe('no-allow');
  });

  it('is lockout-safe: the deployment may still update the table and its policy (the break-glass path)', () => {
    for (const action of ['dynamodb:UpdateTable', 'dynamodb:PutResourcePolicy', 'dynamodb:DeleteResourcePolicy', 'dynamodb:UpdateTimeToLive']) {
      expect(ask(action, CFN_EXEC_ROLE), action).toBe('no-allow');
    }
    // …but not write an item itself.
    expect(ask('dynamodb:PutItem', CFN_EXEC_ROLE)).toBe('explicit-deny');
  });
});
