/**
 * The IAM attack sequence playbooks as synthesized: the sequence's state machine may start only the
 * per-credential playbook (and follow only its executions), the dispatcher may not start the
 * per-credential playbook, and the guard learns from the deployment (never its input) that the
 * per-credential playbook's grants clear one credential, and which names are privileged.
 */
import { describe, expect, it } from 'vitest';
import { loadPlaybookDirectorySync } from '../../lib/playbooks/loader';
import { memberRoleIamActions } from '../../lib/stack/member-role-stack';
import { actionsOf, logicalIdOf, statementsOfRole, synthesize } from './support';

const shipped = loadPlaybookDirectorySync('playbooks');
const sequencePlaybooks = shipped.filter((playbook) => playbook.name.startsWith('iam-credentials-attack-sequence'));

describe('a playbook with a contain-each-credential step, as synthesized', () => {
  const { template } = synthesize({ playbooks: sequencePlaybooks, privilegedRoleNamePatterns: ['*BreakGlass*', 'payroll-*'] });
  const parentRole = logicalIdOf(template, 'AWS::IAM::Role', 'PlaybookIamCredentialsAttackSequenceStateMachineRole');
  const childMachine = logicalIdOf(template, 'AWS::StepFunctions::StateMachine', 'PlaybookIamCredentialsAttackSequenceCredentialStateMachine');
  const statements = statementsOfRole(template, parentRole);
  const sid = (name: string) => statements.find((statement) => statement.Sid === name);

  it('may start only the per-credential playbook, follow and stop only its executions, and invokes no responder that changes IAM', () => {
    expect(sid('StartPerInstancePlaybooks')).toMatchObject({ Action: 'states:StartExecution', Resource: { Ref: childMachine } });
    const follow = sid('FollowPerInstanceExecutions')!;
    expect(actionsOf(follow).sort()).toEqual(['states:DescribeExecution', 'states:StopExecution']);
    expect(JSON.stringify(follow.Resource)).toContain(':execution:');
    expect(JSON.stringify(follow.Resource)).not.toContain('"*"');
    expect(JSON.stringify(statements)).not.toMatch(/iam:(UpdateAccessKey|AttachUserPolicy|PutRolePolicy)/);
  });

  it('substitutes the per-credential machine ARN into the Map, and the dispatcher cannot start it', () => {
    const machines = template.findResources('AWS::StepFunctions::StateMachine');
    const parent = Object.entries(machines).find(([id]) => id.startsWith('PlaybookIamCredentialsAttackSequenceStateMachine'))![1] as { Properties: { DefinitionSubstitutions: Record<string, unknown> } };
    expect(parent.Properties.DefinitionSubstitutions.Sm_iam_credentials_attack_sequence_credential).toEqual({ Ref: childMachine });
    const dispatcherRole = logicalIdOf(template, 'AWS::IAM::Role', 'DispatcherStateMachineRole');
    const start = statementsOfRole(template, dispatcherRole).find((statement) => statement.Sid === 'StartPlaybooks');
    expect(JSON.stringify(start?.Resource)).not.toContain(childMachine);
  });

  it("gives the guard the per-credential playbook's one-credential rails and the deployment's privileged names", () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function')) as { Properties: { Environment?: { Variables?: Record<string, string> } } }[];
    const guard = functions.find((fn) => fn.Properties.Environment?.Variables?.FIREBREAK_PLAYBOOK_RAILS !== undefined)!;
    const variables = guard.Properties.Environment!.Variables!;
    expect(JSON.parse(variables.FIREBREAK_PLAYBOOK_RAILS!)).toEqual({
      'iam-credentials-attack-sequence-credential': { approvalRequired: false, onTimeout: 'evidence-only', timeoutSeconds: 3600, kind: 'contain', grantScope: 'one-credential' },
    });
    expect(variables.FIREBREAK_PRIVILEGED_NAME_PATTERNS).toBe('*BreakGlass*,payroll-*');
  });

  // Before it takes a blast-radius slot, the guard reads the credential's current tags where it
  // lives, and whether IAM lists the finding's key as the named user's.
  it("lets the guard read the tags of users and roles, a user's path, and the keys of users (and nothing else of IAM), where it acts itself and in the member role", () => {
    const guardRole = logicalIdOf(template, 'AWS::IAM::Role', 'ResponderContainmentGuardRole');
    const guard = statementsOfRole(template, guardRole);
    const iamActions = guard.flatMap(actionsOf).filter((action) => action.startsWith('iam:')).sort();
    expect(iamActions).toEqual(['iam:GetAccessKeyLastUsed', 'iam:GetRole', 'iam:GetUser', 'iam:ListAccessKeys']);
    expect(guard.find((statement) => statement.Sid === 'ReadNamedUsers')).toMatchObject({ Effect: 'Allow', Action: ['iam:GetUser', 'iam:ListAccessKeys', 'iam:GetAccessKeyLastUsed'] });
    expect(JSON.stringify(guard.find((statement) => statement.Sid === 'ReadNamedUsers')?.Resource)).toContain(':user/*');
    expect(guard.find((statement) => statement.Sid === 'ReadNamedRoles')).toMatchObject({ Effect: 'Allow', Action: 'iam:GetRole' });
    expect(memberRoleIamActions(sequencePlaybooks)).toEqual(expect.arrayContaining(['iam:GetAccessKeyLastUsed', 'iam:GetRole', 'iam:GetUser', 'iam:ListAccessKeys']));
  });

  it('gives the guard no IAM action when no deployed playbook cuts off credentials', () => {
    const ec2Only = shipped.filter((playbook) => playbook.name === 'compromised-ec2-instance');
    const { template: withoutCredentials } = synthesize({ playbooks: ec2Only });
    const guard = statementsOfRole(withoutCredentials, logicalIdOf(withoutCredentials, 'AWS::IAM::Role', 'ResponderContainmentGuardRole'));
    expect(guard.flatMap(actionsOf).filter((action) => action.startsWith('iam:'))).toEqual([]);
    // The member role's one IAM action is the instance quarantine's and release's read of the
    // instance profile (row 3f): no action on users, keys or roles' policies.
    expect(memberRoleIamActions(ec2Only).filter((action) => action.startsWith('iam:'))).toEqual(['iam:GetInstanceProfile']);
  });
});
