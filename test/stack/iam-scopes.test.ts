import { Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { ACTIONS, iamActionsForStep } from '../../lib/playbooks/actions';
import type { ResponderArns } from '../../lib/stack/iam-scopes';
import { nagResourceName, planResponderStatements, privilegedRoleArns } from '../../lib/stack/iam-scopes';

const arns: ResponderArns = {
  ec2: (type) => `arn:aws:ec2:eu-west-1:999988887777:${type}/*`,
  route53resolver: (type) => `arn:aws:route53resolver:eu-west-1:999988887777:${type}/*`,
  snapshots: 'arn:aws:ec2:eu-west-1::snapshot/*',
  iam: (type) => `arn:aws:iam::999988887777:${type}/*`,
  s3: { arn: (path) => `arn:aws:s3:::${path}`, account: '999988887777' },
  regional: (service, resource) => `arn:aws:${service}:*:999988887777:${resource}`,
  ownRoles: ['arn:aws:iam::999988887777:role/firebreak-responder-*'],
  alertTopic: 'arn:aws:sns:eu-west-1:999988887777:alerts',
  alertKey: 'arn:aws:kms:eu-west-1:999988887777:key/1',
  stateTable: 'arn:aws:dynamodb:eu-west-1:999988887777:table/state',
};

// copy-evidence's share is granted only towards a configured forensic account, and the Security Hub
// write-back only for the workflow statuses the deployed steps set.
function plan(actions: string[], overrides: Partial<ResponderArns> = {}) {
  return planResponderStatements(actions, { ...arns, ...overrides }, { forensicAccountId: '444455556666', securityHubWorkflowStatuses: ['NOTIFIED', 'RESOLVED'] }).map(({ statement, wildcards }) => ({
    json: statement.toStatementJson() as { Sid: string; Effect: string; Action: string | string[]; Resource: string | string[] },
    wildcards,
  }));
}

describe('planResponderStatements', () => {
  it('grants every action of every registered action on a scoped statement (none left to "*" by default)', () => {
    for (const name of Object.keys(ACTIONS) as (keyof typeof ACTIONS)[]) {
      const actions = iamActionsForStep(name, { revokeRoleSessions: true });
      const granted = plan(actions)
        .filter(({ json }) => json.Effect === 'Allow')
        .flatMap(({ json }) => (Array.isArray(json.Action) ? json.Action : [json.Action]));
      // Publishing to the encrypted topic also needs its key: the one addition the plan makes.
      const implied = actions.includes('sns:Publish') ? ['kms:Decrypt', 'kms:GenerateDataKey'] : [];
      expect(new Set(granted)).toEqual(new Set([...actions, ...implied]));
    }
  });

  it('puts only Describe list actions on Resource "*", with the reason why', () => {
    const planned = plan(['ec2:DescribeInstances', 'ec2:DescribeSnapshots', 'ec2:CreateSnapshots', 'ec2:CreateTags']);
    const star = planned.filter(({ json }) => json.Resource === '*');
    expect(star.map(({ json }) => json.Action)).toEqual([['ec2:DescribeInstances', 'ec2:DescribeSnapshots']]);
    expect(star[0]!.wildcards[0]!.why).toMatch(/do not support resource-level permissions/);
  });

  it('tags snapshots only while creating them, and never an instance, for the evidence responder', () => {
    const planned = plan(['ec2:CreateSnapshots', 'ec2:CreateTags']);
    const tagging = planned.filter(({ json }) => json.Action === 'ec2:CreateTags');
    expect(tagging.map(({ json }) => json.Sid)).toEqual(['TagResourcesAtCreation']);
    expect(tagging[0]!.json).toMatchObject({
      Resource: 'arn:aws:ec2:eu-west-1::snapshot/*',
      Condition: { StringEquals: { 'ec2:CreateAction': 'CreateSnapshots' } },
    });
  });

  it('refuses a wildcard action', () => {
    expect(() => plan(['ec2:Describe*'])).toThrow(/wildcard action/);
  });

  it('refuses an action it has no scoping rule for rather than granting it on "*"', () => {
    expect(() => plan(['ec2:TerminateInstances'])).toThrow(/no scoping rule for ec2:TerminateInstances/);
  });

  it('leaves sts:AssumeRole to grantAssumeMemberRole (lib/stack/member-role-stack.ts)', () => {
    expect(() => plan(['sts:AssumeRole'])).toThrow(/no scoping rule for sts:AssumeRole/);
  });
});

describe('nagResourceName', () => {
  it('prints a resolved ARN as cdk-nag does in its finding ids', () => {
    const stack = new Stack();
    expect(nagResourceName(stack.resolve(`arn:${stack.partition}:ec2:${stack.region}:${stack.account}:instance/*`))).toBe(
      'arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:instance/*',
    );
    expect(nagResourceName({ 'Fn::GetAtt': ['Table', 'Arn'] })).toBe('<Table.Arn>');
  });
});

describe('privilegedRoleArns', () => {
  it('covers each name under the root path and under any path, a leading * covering every path already', () => {
    expect(privilegedRoleArns('arn:aws:iam::111122223333:role/', ['*Admin*', 'OrganizationAccountAccessRole', 'AWSReservedSSO_*'])).toEqual([
      'arn:aws:iam::111122223333:role/*Admin*',
      'arn:aws:iam::111122223333:role/OrganizationAccountAccessRole',
      'arn:aws:iam::111122223333:role/*/OrganizationAccountAccessRole',
      'arn:aws:iam::111122223333:role/AWSReservedSSO_*',
      'arn:aws:iam::111122223333:role/*/AWSReservedSSO_*',
    ]);
  });

  it('keeps a pattern with a path where it says, and refuses one that is not a role name with * wildcards', () => {
    expect(privilegedRoleArns('arn:aws:iam::111122223333:role/', ['aws-reserved/*'])).toEqual(['arn:aws:iam::111122223333:role/aws-reserved/*']);
    expect(() => privilegedRoleArns('arn:aws:iam::111122223333:role/', ['Admin role'])).toThrow(/not a role name/);
    expect(() => privilegedRoleArns('arn:aws:iam::111122223333:role/', ['arn:aws:iam::111122223333:role/Admin'])).toThrow(/not a role name/);
  });
});

describe('planResponderStatements and protected roles', () => {
  it('denies role-policy writes and PassRole on Firebreak’s own and the privileged roles, in one Deny after the grants', () => {
    const planned = plan(['iam:GetInstanceProfile', 'iam:PutRolePolicy', 'ec2:AssociateIamInstanceProfile'], {
      privilegedRoles: ['arn:aws:iam::999988887777:role/*Admin*'],
    });
    const deny = planned.at(-1)!.json;
    expect(deny).toEqual({
      Sid: 'DenyProtectedRoles',
      Effect: 'Deny',
      Action: ['iam:PassRole', 'iam:PutRolePolicy'],
      Resource: ['arn:aws:iam::999988887777:role/firebreak-responder-*', 'arn:aws:iam::999988887777:role/*Admin*'],
    });
    expect(planned.at(-1)!.wildcards).toEqual([]);
  });
});
