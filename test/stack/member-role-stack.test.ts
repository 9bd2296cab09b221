import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { ACTION_NAMES, iamActionsForStep } from '../../lib/playbooks/actions';
import type { Playbook, Step } from '../../lib/playbooks/model';
import { CONTAINMENT_GUARD_IAM_ACTIONS } from '../../lib/responders/containment-guard';
import { planStatements } from '../../lib/stack/iam-scopes';
import {
  grantAssumeMemberRole,
  MemberRoleStack,
  type MemberRoleStackProps,
  memberRoleIamActions,
  responderRoleName,
} from '../../lib/stack/member-role-stack';

const SECURITY = '999988887777';

const partition = { Ref: 'AWS::Partition' };
const memberAccount = { Ref: 'AWS::AccountId' };

/** `arn:<partition>:ec2:*:<this account>:<type>/*` as the template spells it. */
function ec2Arn(resourceType: string) {
  return { 'Fn::Join': ['', ['arn:', partition, ':ec2:*:', memberAccount, `:${resourceType}/*`]] };
}
const snapshotArn = { 'Fn::Join': ['', ['arn:', partition, ':ec2:*::snapshot/*']] };
function iamArn(resource: string) {
  return { 'Fn::Join': ['', ['arn:', partition, ':iam::', memberAccount, `:${resource}`]] };
}

function playbook(name: string, steps: Step[]): Playbook {
  return {
    name,
    description: name,
    match: { sources: ['guardduty'] },
    priority: 0,
    mode: 'enforce',
    steps,
    file: `playbooks/${name}.yaml`,
  };
}

/** The shipped shape: quarantine beside evidence, then an alert. */
const CONTAIN_AND_PRESERVE = playbook('contain-and-preserve', [
  {
    kind: 'parallel',
    id: 'respond',
    branches: [
      { kind: 'action', id: 'contain', action: 'quarantine-instance', with: { detachInstanceProfile: true } },
      { kind: 'action', id: 'evidence', action: 'snapshot-volumes', with: {} },
    ],
  },
  { kind: 'action', id: 'notify', action: 'notify', with: {} },
]);

const REVOKING = playbook('contain-and-revoke', [
  { kind: 'action', id: 'contain', action: 'quarantine-instance', with: { revokeRoleSessions: true } },
]);

function synthesize(props: Partial<MemberRoleStackProps> = {}) {
  const app = new App();
  const stack = new MemberRoleStack(app, 'FirebreakMemberRole', {
    iamActions: memberRoleIamActions([CONTAIN_AND_PRESERVE]),
    ...props,
  });
  return { app, stack, template: Template.fromStack(stack) };
}

function roleProperties(template: Template): Record<string, unknown> {
  const roles = Object.values(template.findResources('AWS::IAM::Role'));
  expect(roles).toHaveLength(1);
  return roles[0]!.Properties as Record<string, unknown>;
}

function permissionStatements(template: Template): unknown[] {
  const policies = roleProperties(template).Policies as Array<{ PolicyDocument: { Statement: unknown[] } }>;
  expect(policies).toHaveLength(1);
  return policies[0]!.PolicyDocument.Statement;
}

/** Every `Action` value anywhere in the template, trust policy included. */
function everyAction(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(everyAction);
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([key, value]) =>
    key === 'Action' || key === 'NotAction' ? [value].flat().map(String) : everyAction(value),
  );
}

describe('memberRoleIamActions', () => {
  it("includes what the containment guard does in member accounts (it reads the instance's tags) for guarded playbooks", () => {
    expect(CONTAINMENT_GUARD_IAM_ACTIONS.targetAccount).toEqual(['ec2:DescribeInstances']);
    expect(memberRoleIamActions([CONTAIN_AND_PRESERVE])).toEqual(expect.arrayContaining([...CONTAINMENT_GUARD_IAM_ACTIONS.targetAccount]));
  });

  it('collects the EC2 and IAM actions of every step, sorted and without repeats, leaving security-account actions out', () => {
    const actions = memberRoleIamActions([CONTAIN_AND_PRESERVE]);

    expect(actions).toEqual([...new Set(actions)].sort());
    expect(actions).toEqual(
      expect.arrayContaining(['ec2:DescribeInstances', 'ec2:ModifyNetworkInterfaceAttribute', 'ec2:CreateSnapshots']),
    );
    expect(actions.filter((action) => !/^(ec2|iam):/.test(action))).toEqual([]);
    expect(actions).not.toContain('sns:Publish');
  });

  it('adds the IAM actions of options that need them (session revocation) only when a playbook switches them on', () => {
    expect(memberRoleIamActions([CONTAIN_AND_PRESERVE])).not.toContain('iam:PutRolePolicy');
    expect(memberRoleIamActions([REVOKING])).toEqual(
      expect.arrayContaining(['iam:GetInstanceProfile', 'iam:PutRolePolicy']),
    );
  });
});

/** Every EC2/IAM action any registered playbook action can need, with every option switched on. */
function everyRegisteredMemberAction(): string[] {
  const everyOptionOn = { detachInstanceProfile: true, revokeRoleSessions: true, restoreInstanceProfile: true };
  const actions = ACTION_NAMES.flatMap((name) => iamActionsForStep(name, everyOptionOn));
  return [...new Set(actions.filter((action) => /^(ec2|iam):/.test(action)))].sort();
}

describe('MemberRoleStack scoping rules', () => {
  it('has a scoping rule for every EC2/IAM action the action registry declares', () => {
    expect(() => synthesize({ iamActions: everyRegisteredMemberAction() })).not.toThrow();
  });
});

describe('MemberRoleStack trust policy', () => {
  it('trusts only the security account responder roles, by aws:PrincipalArn, with the account from a StackSet parameter', () => {
    const { template } = synthesize();

    expect(roleProperties(template).AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Principal: { AWS: { 'Fn::Join': ['', ['arn:', partition, ':iam::', { Ref: 'SecurityAccountId' }, ':root']] } },
          Condition: {
            ArnLike: {
              'aws:PrincipalArn': {
                'Fn::Join': ['', ['arn:', partition, ':iam::', { Ref: 'SecurityAccountId' }, ':role/firebreak-responder-*']],
              },
            },
          },
        },
      ],
    });
    template.hasParameter('SecurityAccountId', { Type: 'String', AllowedPattern: '^\\d{12}$' });
  });

  it('requires sts:ExternalId when one is configured, and takes the security account from props without a parameter', () => {
    const { template } = synthesize({ securityAccountId: SECURITY, externalId: 'firebreak-org-7f3a' });

    expect(roleProperties(template).AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Principal: { AWS: { 'Fn::Join': ['', ['arn:', partition, `:iam::${SECURITY}:root`]] } },
          Condition: {
            ArnLike: {
              'aws:PrincipalArn': { 'Fn::Join': ['', ['arn:', partition, `:iam::${SECURITY}:role/firebreak-responder-*`]] },
            },
            StringEquals: { 'sts:ExternalId': 'firebreak-org-7f3a' },
          },
        },
      ],
    });
    expect(template.findParameters('SecurityAccountId')).toEqual({});
  });

  it('narrows the trust to exact responder role names when they are given', () => {
    const { template } = synthesize({
      securityAccountId: SECURITY,
      responderRoleNames: ['fb-quarantine', 'fb-snapshot'],
    });

    const trust = roleProperties(template).AssumeRolePolicyDocument as { Statement: Array<{ Condition: unknown }> };
    expect(trust.Statement[0]!.Condition).toEqual({
      ArnLike: {
        'aws:PrincipalArn': [
          { 'Fn::Join': ['', ['arn:', partition, `:iam::${SECURITY}:role/fb-quarantine`]] },
          { 'Fn::Join': ['', ['arn:', partition, `:iam::${SECURITY}:role/fb-snapshot`]] },
        ],
      },
    });
  });

  it('refuses a role name prefix and an exact list at the same time, naming both', () => {
    expect(() => synthesize({ responderRoleNamePrefix: 'fb-', responderRoleNames: ['fb-quarantine'] })).toThrow(
      /responderRoleNamePrefix and responderRoleNames/,
    );
  });

  it('names the role as configured and caps sessions at one hour', () => {
    const { template } = synthesize({ roleName: 'OrgFirebreak' });

    expect(roleProperties(template)).toMatchObject({ RoleName: 'OrgFirebreak', MaxSessionDuration: 3600 });
  });
});

describe('MemberRoleStack permissions', () => {
  it('grants exactly the containment and evidence actions, each on the narrowest resources its API allows', () => {
    const { template } = synthesize({
      iamActions: [
        'ec2:DescribeInstances',
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeIamInstanceProfileAssociations',
        'ec2:DescribeInstanceTypes',
        'ec2:DescribeSnapshots',
        'ec2:CreateSecurityGroup',
        'ec2:AuthorizeSecurityGroupIngress',
        'ec2:RevokeSecurityGroupEgress',
        'ec2:ModifyNetworkInterfaceAttribute',
        'ec2:ModifyInstanceAttribute',
        'ec2:DisassociateIamInstanceProfile',
        'ec2:CreateSnapshots',
        'ec2:CreateTags',
      ],
    });

    expect(permissionStatements(template)).toEqual([
      {
        Sid: 'DescribeForContainmentAndEvidence',
        Effect: 'Allow',
        Action: [
          'ec2:DescribeIamInstanceProfileAssociations',
          'ec2:DescribeInstanceTypes',
          'ec2:DescribeInstances',
          'ec2:DescribeSecurityGroups',
          'ec2:DescribeSnapshots',
        ],
        Resource: '*',
      },
      {
        Sid: 'MoveNetworkInterfacesBetweenGroups',
        Effect: 'Allow',
        Action: 'ec2:ModifyNetworkInterfaceAttribute',
        Resource: [ec2Arn('network-interface'), ec2Arn('security-group')],
      },
      {
        Sid: 'ContainInstances',
        Effect: 'Allow',
        Action: ['ec2:ModifyInstanceAttribute', 'ec2:DisassociateIamInstanceProfile'],
        Resource: ec2Arn('instance'),
      },
      {
        Sid: 'CreateIsolationGroups',
        Effect: 'Allow',
        Action: 'ec2:CreateSecurityGroup',
        Resource: [ec2Arn('security-group'), ec2Arn('vpc')],
      },
      {
        Sid: 'ChangeRulesOfFirebreakGroupsOnly',
        Effect: 'Allow',
        Action: ['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupEgress'],
        Resource: ec2Arn('security-group'),
        Condition: { StringEquals: { 'aws:ResourceTag/firebreak:managed': 'true' } },
      },
      {
        Sid: 'SnapshotVolumesForEvidence',
        Effect: 'Allow',
        Action: 'ec2:CreateSnapshots',
        Resource: [ec2Arn('instance'), ec2Arn('volume'), snapshotArn],
      },
      {
        Sid: 'TagContainedInstances',
        Effect: 'Allow',
        Action: 'ec2:CreateTags',
        Resource: ec2Arn('instance'),
      },
      {
        Sid: 'TagResourcesAtCreation',
        Effect: 'Allow',
        Action: 'ec2:CreateTags',
        Resource: [ec2Arn('security-group'), snapshotArn],
        Condition: { StringEquals: { 'ec2:CreateAction': ['CreateSecurityGroup', 'CreateSnapshots'] } },
      },
    ]);
  });

  it('adds iam:PassRole pinned to EC2 when release re-associates instance profiles, never for its own, administrator or break-glass roles', () => {
    const { template } = synthesize({ iamActions: ['ec2:AssociateIamInstanceProfile'] });

    const statements = permissionStatements(template) as { Sid?: string; Resource?: unknown }[];
    const deny = statements.find((statement) => statement.Sid === 'DenyPassingPrivilegedRoles');
    expect(deny).toMatchObject({ Effect: 'Deny', Action: 'iam:PassRole' });
    const denied = JSON.stringify(deny?.Resource);
    for (const pattern of ['*Admin*', '*admin*', '*BreakGlass*', '*breakglass*', '*break-glass*', 'OrganizationAccountAccessRole', 'aws-reserved/*']) {
      expect(denied).toContain(`:role/${pattern}`);
    }
    expect(statements.filter((statement) => statement.Sid !== 'DenyPassingPrivilegedRoles')).toEqual([
      {
        Sid: 'ContainInstances',
        Effect: 'Allow',
        Action: 'ec2:AssociateIamInstanceProfile',
        Resource: ec2Arn('instance'),
      },
      {
        Sid: 'PassInstanceRolesBackToEc2',
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: iamArn('role/*'),
        Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      },
    ]);
  });

  it('grants session revocation on instance roles but denies the member role any change to itself', () => {
    const { template } = synthesize({ iamActions: memberRoleIamActions([REVOKING]) });

    const statements = permissionStatements(template);
    expect(statements).toContainEqual({
      Sid: 'ReadInstanceProfiles',
      Effect: 'Allow',
      Action: 'iam:GetInstanceProfile',
      Resource: iamArn('instance-profile/*'),
    });
    expect(statements).toContainEqual({
      Sid: 'RevokeInstanceRoleSessions',
      Effect: 'Allow',
      Action: 'iam:PutRolePolicy',
      Resource: iamArn('role/*'),
    });
    expect(statements.at(-1)).toEqual({
      Sid: 'DenyChangesToFirebreakRoles',
      Effect: 'Deny',
      Action: 'iam:PutRolePolicy',
      Resource: iamArn('role/FirebreakResponder'),
    });
  });

  it('tags only instances, never groups or snapshots after creation, when nothing is created', () => {
    const { template } = synthesize({ iamActions: ['ec2:CreateTags', 'ec2:ModifyInstanceAttribute'] });

    expect(permissionStatements(template)).toEqual([
      { Sid: 'ContainInstances', Effect: 'Allow', Action: 'ec2:ModifyInstanceAttribute', Resource: ec2Arn('instance') },
      { Sid: 'TagContainedInstances', Effect: 'Allow', Action: 'ec2:CreateTags', Resource: ec2Arn('instance') },
    ]);
  });

  it('refuses ec2:CreateTags that neither tags a contained instance nor a resource being created', () => {
    expect(() => synthesize({ iamActions: ['ec2:CreateTags'] })).toThrow(/no scoping rule for ec2:CreateTags/);
  });

  it('scopes its actions by the same rules as the security account responder roles (one source: iam-scopes.ts)', () => {
    const actions = everyRegisteredMemberAction();
    const { template } = synthesize({ iamActions: actions });
    const stack = new Stack(new App(), 'Same');
    const planned = planStatements(actions, {
      ec2: (type) => `arn:${stack.partition}:ec2:*:${stack.account}:${type}/*`,
      snapshots: `arn:${stack.partition}:ec2:*::snapshot/*`,
      iam: (type) => `arn:${stack.partition}:iam::${stack.account}:${type}/*`,
      ownRoles: [`arn:${stack.partition}:iam::${stack.account}:role/FirebreakResponder`],
    });
    expect(permissionStatements(template)).toEqual(planned.map(({ statement }) => stack.resolve(statement.toStatementJson())));
  });

  it('has no wildcard action anywhere in the template, trust policy included', () => {
    const { template } = synthesize({
      iamActions: [...everyRegisteredMemberAction(), 'ec2:AssociateIamInstanceProfile'],
      externalId: 'x-123',
    });

    const actions = everyAction(template.toJSON());
    expect(actions.length).toBeGreaterThan(10);
    expect(actions.filter((action) => action.includes('*'))).toEqual([]);
  });

  it('refuses a wildcard action, an action outside EC2/IAM, and an action it has no scoping rule for', () => {
    expect(() => synthesize({ iamActions: ['ec2:*'] })).toThrow(/wildcard action/);
    expect(() => synthesize({ iamActions: ['sns:Publish'] })).toThrow(/security account/);
    expect(() => synthesize({ iamActions: ['ec2:TerminateInstances'] })).toThrow(
      /no scoping rule for ec2:TerminateInstances/,
    );
    expect(() => synthesize({ iamActions: [] })).toThrow(/memberRoleIamActions/);
  });
});

describe('MemberRoleStack for StackSets', () => {
  it('needs no bootstrap: no BootstrapVersion parameter, no rules, no assets beyond the template', () => {
    const { app, template } = synthesize();

    const json = template.toJSON() as Record<string, Record<string, unknown> | undefined>;
    expect(Object.keys(json.Parameters ?? {})).toEqual(['SecurityAccountId']);
    expect(json.Rules).toBeUndefined();
    const assembly = app.synth();
    const assets = JSON.parse(
      readFileSync(path.join(assembly.directory, 'FirebreakMemberRole.assets.json'), 'utf8'),
    ) as { files: Record<string, { source: { path: string } }>; dockerImages: Record<string, unknown> };
    expect(Object.values(assets.files).map((file) => file.source.path)).toEqual(['FirebreakMemberRole.template.json']);
    expect(assets.dockerImages).toEqual({});
  });
});

describe('MemberRoleStack under cdk-nag AwsSolutionsChecks', () => {
  function nagReport(app: App): unknown[] {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const assembly = app.synth();
    const report = JSON.parse(readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8')) as {
      pluginReports: Array<{ violations?: unknown[] }>;
    };
    return report.pluginReports.flatMap((plugin) => plugin.violations ?? []);
  }

  it('synthesizes with zero unacknowledged findings for every action Firebreak knows how to scope', () => {
    const app = new App();
    new MemberRoleStack(app, 'FirebreakMemberRole', {
      iamActions: [...everyRegisteredMemberAction(), 'ec2:AssociateIamInstanceProfile', 'ec2:DeleteSecurityGroup'],
      externalId: 'firebreak-org-7f3a',
    });

    expect(nagReport(app)).toEqual([]);
  });

  it('fails the synth on a wildcard nobody acknowledged, so the check above can fail', () => {
    const app = new App();
    const stack = new MemberRoleStack(app, 'FirebreakMemberRole', { iamActions: ['ec2:DescribeInstances'] });
    stack.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['ec2:TerminateInstances'], resources: ['arn:aws:ec2:*:*:instance/*'] }),
    );

    expect(() => nagReport(app)).toThrow(/AwsSolutions-IAM5/);
  });
});

describe('responderRoleName', () => {
  it('puts the region in the name (IAM role names are account-wide) under the trusted prefix', () => {
    expect(responderRoleName('quarantine-instance', 'ap-southeast-2')).toBe(
      'firebreak-responder-ap-southeast-2-quarantine-instance',
    );
  });

  it('refuses a name IAM would reject', () => {
    expect(() => responderRoleName('x'.repeat(60), 'eu-west-1')).toThrow(/not a valid IAM role name/);
  });
});

describe('grantAssumeMemberRole', () => {
  function securityStack() {
    const app = new App();
    const stack = new Stack(app, 'Firebreak');
    const role = new iam.Role(stack, 'QuarantineRole', {
      roleName: responderRoleName('quarantine-instance', 'eu-west-1'),
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    return { app, stack, role };
  }

  it('lets a responder role assume only the member role name, limited to the organization when given', () => {
    const { stack, role } = securityStack();
    grantAssumeMemberRole(role, { memberRoleName: 'OrgFirebreak', organizationId: 'o-a1b2c3d4e5' });

    const policies = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'));
    expect(policies.map((policy) => (policy.Properties as { PolicyDocument: unknown }).PolicyDocument)).toEqual([
      {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'AssumeFirebreakMemberRole',
            Effect: 'Allow',
            Action: 'sts:AssumeRole',
            Resource: { 'Fn::Join': ['', ['arn:', partition, ':iam::*:role/OrgFirebreak']] },
            Condition: { StringEquals: { 'aws:ResourceOrgID': 'o-a1b2c3d4e5' } },
          },
        ],
      },
    ]);
  });

  it('leaves no unacknowledged cdk-nag finding on the responder role', () => {
    const { app, role } = securityStack();
    grantAssumeMemberRole(role);

    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });

  it('refuses a malformed organization id', () => {
    const { role } = securityStack();
    expect(() => grantAssumeMemberRole(role, { organizationId: 'org-1' })).toThrow(/o-xxxxxxxxxx/);
  });
});
