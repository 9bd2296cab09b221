/**
 * What the containing roles may not do, as both stacks synthesize them: no ingress revoke that no
 * code path makes. Each limit is tried both ways with the simulated account's policy evaluator
 * (lib/gameday/sim/iam-policy.ts).
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import type { PolicyStatement } from '../../lib/gameday/sim/iam-policy';
import { evaluatePolicies } from '../../lib/gameday/sim/iam-policy';
import type { Playbook } from '../../lib/playbooks/model';
import { quarantineCopyDestinations } from '../../lib/stack/iam-scopes';
import type { MemberRoleStackProps } from '../../lib/stack/member-role-stack';
import { MemberRoleStack, memberAccountActionsByResponder } from '../../lib/stack/member-role-stack';
import { resolveIntrinsics } from './iam-catalog';
import type { Statement } from './support';
import { actionsOf, COMPROMISED, DEFAULT_ALERT, logicalIdOf, statementsOfRole, synthesize } from './support';

const A = '123456789012';

function memberTemplate(playbooks: Playbook[], props: Partial<MemberRoleStackProps> = {}): Template {
  const stack = new MemberRoleStack(new App(), 'FirebreakMemberRole', {
    responderActions: memberAccountActionsByResponder(playbooks),
    quarantineCopies: quarantineCopyDestinations(playbooks),
    ...props,
  });
  return Template.fromStack(stack);
}

/** The statements of one member-account role, by its role name (`FirebreakResponder-quarantine-instance`). */
function memberRole(template: Template, roleName: string): Statement[] {
  const role = Object.values(template.findResources('AWS::IAM::Role')).find((resource) => resource.Properties.RoleName === roleName);
  expect(role, roleName).toBeDefined();
  return (role!.Properties as { Policies: { PolicyDocument: { Statement: Statement[] } }[] }).Policies.flatMap((policy) => policy.PolicyDocument.Statement);
}

/** The statements of a security-account responder role (`Responder<Name>Role…`). */
function responderRole(template: Template, responder: string): Statement[] {
  return statementsOfRole(template, logicalIdOf(template, 'AWS::IAM::Role', `Responder${responder}Role`));
}

/** What `statements` decide for one request, with sample values for the template's intrinsics (account 123456789012). */
function decide(template: Template, statements: Statement[], action: string, resource: string, keys: Record<string, string[]> = {}) {
  const resolved = resolveIntrinsics(statements, template.toJSON().Resources as Parameters<typeof resolveIntrinsics>[1]) as PolicyStatement[];
  return evaluatePolicies([{ Statement: resolved }], { action, resource, keys }).decision;
}

const granted = (statements: Statement[]) => statements.filter((statement) => statement.Effect === 'Allow').flatMap(actionsOf);

describe('ingress rules: quarantine never revokes one', () => {
  it('grants no ec2:RevokeSecurityGroupIngress to quarantine-instance, in the security account or a member account', () => {
    const { template } = synthesize({ playbooks: [COMPROMISED, DEFAULT_ALERT] });
    const own = responderRole(template, 'QuarantineInstance');
    expect(granted(own)).toContain('ec2:RevokeSecurityGroupEgress');
    expect(granted(own)).not.toContain('ec2:RevokeSecurityGroupIngress');
    const member = memberTemplate([COMPROMISED]);
    const role = memberRole(member, 'FirebreakResponder-quarantine-instance');
    expect(granted(role)).not.toContain('ec2:RevokeSecurityGroupIngress');
    const group = `arn:aws:ec2:eu-west-1:${A}:security-group/sg-0iso`;
    const managed = { 'aws:ResourceTag/firebreak:managed': ['true'] };
    expect(decide(member, role, 'ec2:RevokeSecurityGroupEgress', group, managed)).toBe('allow');
    expect(decide(member, role, 'ec2:RevokeSecurityGroupIngress', group, managed)).toBe('implicit-deny');
  });
});
