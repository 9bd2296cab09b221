import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { ACTIONS, ACTION_NAMES, iamActionsForStep } from '../../lib/playbooks/actions';
import type { Playbook, Step } from '../../lib/playbooks/model';
import { CONTAINMENT_GUARD_IAM_ACTIONS } from '../../lib/responders/containment-guard';
import { DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS, INSTANCE_ATTRIBUTES_NEVER_SET, planStatements, privilegedRoleArns } from '../../lib/stack/iam-scopes';
import {
  grantAssumeMemberRole,
  guardTargetAccountActions,
  MemberRoleStack,
  type MemberRoleStackProps,
  memberAccountActionsByResponder,
  memberRoleIamActions,
  memberRoleResponders,
  responderRoleName,
} from '../../lib/stack/member-role-stack';
import { resolveIntrinsics } from './iam-catalog';
import type { LocatedStatement } from './iam-catalog';
import { evaluate } from './policy-evaluation';
import { action, playbook as playbookOf } from './support';
import { pascal } from '../../lib/stack/defaults';

const SECURITY = '999988887777';
const FORENSIC_ACCOUNT = '444455556666';

const partition = { Ref: 'AWS::Partition' };
const memberAccount = { Ref: 'AWS::AccountId' };

/** `arn:<partition>:ec2:*:<this account>:<type>/*` as the template spells it. */
function ec2Arn(resourceType: string) {
  return { 'Fn::Join': ['', ['arn:', partition, ':ec2:*:', memberAccount, `:${resourceType}/*`]] };
}
const snapshotArn = { 'Fn::Join': ['', ['arn:', partition, ':ec2:*::snapshot/*']] };
/** TagContainedInstances' condition: Firebreak's own instance tag keys, and at least one (test/stack/iam-conditions.test.ts). */
const FIREBREAK_TAG_KEYS_ONLY = {
  'ForAllValues:StringEquals': { 'aws:TagKeys': ['firebreak:incident', 'firebreak:status', 'firebreak:quarantined-at', 'firebreak:released-at'] },
  Null: { 'aws:TagKeys': 'false' },
};
/** Every instance attribute but the three quarantine and release set (iam-scopes.ts). */
const DENY_ATTRIBUTES_NEVER_SET = {
  Sid: 'DenyInstanceAttributesFirebreakNeverSets',
  Effect: 'Deny',
  Action: 'ec2:ModifyInstanceAttribute',
  Resource: ec2Arn('instance'),
  Condition: { StringEqualsIgnoreCase: { 'ec2:Attribute': [...INSTANCE_ATTRIBUTES_NEVER_SET] } },
};

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

/** The responders of the shipped shape that act in member accounts. */
const RESPONDERS = ['containment-guard', 'quarantine-instance', 'snapshot-volumes'];

/** `iamActions`: one responder's actions, as quarantine-instance's (the scoping rules' tests); default: the shipped shape's responders. */
function synthesize({ iamActions, ...props }: Partial<MemberRoleStackProps> & { readonly iamActions?: readonly string[] } = {}) {
  const app = new App();
  const stack = new MemberRoleStack(app, 'FirebreakMemberRole', {
    responderActions: iamActions !== undefined ? { 'quarantine-instance': iamActions } : memberAccountActionsByResponder([CONTAIN_AND_PRESERVE]),
    // The share of copy-evidence (in every registered action) is granted only towards a forensic account.
    forensicAccountId: FORENSIC_ACCOUNT,
    ...props,
  });
  return { app, stack, template: Template.fromStack(stack) };
}

/** The actions a responder's role allows, as listed in the template. */
function grantedIn(id: 'MemberRole' | 'SessionRevokerRole', responder: string, template: Template): string[] {
  return (permissionStatements(template, id, responder) as { Effect: string; Action: string | string[] }[]).filter((s) => s.Effect === 'Allow').flatMap((s) => [s.Action].flat());
}

/** The properties of a responder's member role (`MemberRole`) or session-revoker role (`SessionRevokerRole`). */
function roleProperties(template: Template, id: 'MemberRole' | 'SessionRevokerRole' = 'MemberRole', responder = 'quarantine-instance'): Record<string, unknown> {
  const roles = Object.entries(template.findResources('AWS::IAM::Role')).filter(([logicalId]) => new RegExp(`^${id}${pascal(responder)}[0-9A-F]{8}$`).test(logicalId));
  expect(roles).toHaveLength(1);
  return roles[0]![1].Properties as Record<string, unknown>;
}

function permissionStatements(template: Template, id: 'MemberRole' | 'SessionRevokerRole' = 'MemberRole', responder = 'quarantine-instance'): unknown[] {
  const policies = roleProperties(template, id, responder).Policies as Array<{ PolicyDocument: { Statement: unknown[] } }>;
  expect(policies).toHaveLength(1);
  return policies[0]!.PolicyDocument.Statement;
}

/** A role's trust or permission statements, resolved with sample values (member account 123456789012). */
function resolvedStatements(template: Template, id: 'MemberRole' | 'SessionRevokerRole', which: 'trust' | 'permissions', responder = 'quarantine-instance'): LocatedStatement[] {
  const properties = roleProperties(template, id, responder);
  const document = which === 'trust' ? properties.AssumeRolePolicyDocument : (properties.Policies as [{ PolicyDocument: unknown }])[0].PolicyDocument;
  const resources = template.toJSON().Resources as Parameters<typeof resolveIntrinsics>[1];
  return (resolveIntrinsics(document, resources) as { Statement: Record<string, unknown>[] }).Statement.map((statement) => ({
    where: id,
    statement,
    ...(which === 'trust' ? { self: 'arn:aws:iam::123456789012:role/member' } : {}),
  }));
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
    expect(CONTAINMENT_GUARD_IAM_ACTIONS.heldTargetAccount).toEqual(['ec2:DescribeSecurityGroups']);
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
    // GetRole: the role's current tags (protected, game-day opt-in) before its sessions are revoked.
    expect(memberRoleIamActions([REVOKING])).toEqual(
      expect.arrayContaining(['iam:GetInstanceProfile', 'iam:GetRole', 'iam:PutRolePolicy']),
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
  it("trusts each responder's own role ARN alone, by aws:PrincipalArn, with the account and region from StackSet parameters", () => {
    const { template } = synthesize();

    for (const responder of RESPONDERS) {
      expect(roleProperties(template, 'MemberRole', responder).AssumeRolePolicyDocument, responder).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'sts:AssumeRole',
            Principal: { AWS: { 'Fn::Join': ['', ['arn:', partition, ':iam::', { Ref: 'SecurityAccountId' }, ':root']] } },
            Condition: {
              StringEquals: {
                'aws:PrincipalArn': {
                  'Fn::Join': ['', ['arn:', partition, ':iam::', { Ref: 'SecurityAccountId' }, ':role/firebreak-responder-', { Ref: 'SecurityRegion' }, `-${responder}`]],
                },
              },
            },
          },
        ],
      });
    }
    template.hasParameter('SecurityAccountId', { Type: 'String', AllowedPattern: '^\\d{12}$' });
    template.hasParameter('SecurityRegion', { Type: 'String' });
  });

  it("admits the responder's own role and refuses every other principal of the security account, other responders and name look-alikes included", () => {
    const { template } = synthesize({ securityAccountId: SECURITY, securityRegions: ['eu-west-1'] });
    const trust = resolvedStatements(template, 'MemberRole', 'trust', 'quarantine-instance');
    const assume = (principalArn: string) => evaluate(trust, { action: 'sts:AssumeRole', resource: 'arn:aws:iam::123456789012:role/member', principalArn });

    expect(assume(`arn:aws:iam::${SECURITY}:role/firebreak-responder-eu-west-1-quarantine-instance`)).toBe('allow');
    // The finding: every responder could assume the one shared role, with the union of all grants.
    expect(assume(`arn:aws:iam::${SECURITY}:role/firebreak-responder-eu-west-1-snapshot-volumes`)).toBe('no-allow');
    expect(assume(`arn:aws:iam::${SECURITY}:role/firebreak-responder-eu-west-1-containment-guard`)).toBe('no-allow');
    // Issue 8: a prefix trusted anyone able to create a role named firebreak-responder-…
    expect(assume(`arn:aws:iam::${SECURITY}:role/firebreak-responder-eu-west-1-anything`)).toBe('no-allow');
    expect(assume(`arn:aws:iam::${SECURITY}:role/firebreak-responder-eu-west-1-quarantine-instance-2`)).toBe('no-allow');
    expect(assume(`arn:aws:iam::${SECURITY}:role/firebreak-responder-us-east-1-quarantine-instance`)).toBe('no-allow');
    expect(assume(`arn:aws:iam::${SECURITY}:role/Admin`)).toBe('no-allow');
    expect(assume(`arn:aws:iam::210987654321:role/firebreak-responder-eu-west-1-quarantine-instance`)).toBe('no-allow');
  });

  it('requires sts:ExternalId when one is configured, and takes the account and regions from props without parameters', () => {
    const { template } = synthesize({ securityAccountId: SECURITY, securityRegions: ['eu-west-1', 'us-east-1'], externalId: 'firebreak-org-7f3a' });

    for (const responder of RESPONDERS) {
      const trust = roleProperties(template, 'MemberRole', responder).AssumeRolePolicyDocument as { Statement: Array<{ Condition: unknown; Principal: unknown }> };
      expect(trust.Statement[0]!.Condition, responder).toEqual({
        StringEquals: {
          'aws:PrincipalArn': ['eu-west-1', 'us-east-1'].map((region) => ({
            'Fn::Join': ['', ['arn:', partition, `:iam::${SECURITY}:role/firebreak-responder-${region}-${responder}`]],
          })),
          'sts:ExternalId': 'firebreak-org-7f3a',
        },
      });
    }
    expect(template.findParameters('*')).toEqual({});
  });

  it('refuses a wildcard prefix, empty regions or responders, and a region that is no region', () => {
    expect(() => synthesize({ responderRoleNamePrefix: 'fb-*' })).toThrow(/no wildcard/);
    expect(() => synthesize({ securityRegions: [] })).toThrow(/securityRegions is empty/);
    expect(() => synthesize({ securityRegions: ['europe'] })).toThrow(/region names such as eu-west-1/);
    expect(() => synthesize({ responderActions: {} })).toThrow(/memberAccountActionsByResponder/);
  });

  it('names each role after the configured name and its responder, caps sessions at one hour, and refuses a name over 64 characters', () => {
    const { template } = synthesize({ roleName: 'OrgFirebreak' });

    for (const responder of RESPONDERS) {
      expect(roleProperties(template, 'MemberRole', responder)).toMatchObject({ RoleName: `OrgFirebreak-${responder}`, MaxSessionDuration: 3600 });
    }
    // containment-guard (17 characters) leaves 46 for the configured name.
    expect(() => synthesize({ roleName: 'R'.repeat(47) })).toThrow(/over IAM's 64: shorten the configured role name/);
  });
});

describe('memberRoleResponders', () => {
  it('lists the responders that act in member accounts, the guard of guarded playbooks included, never publish-alert', () => {
    expect(memberRoleResponders([CONTAIN_AND_PRESERVE])).toEqual(RESPONDERS);
    expect(memberRoleResponders([REVOKING])).toEqual(['containment-guard', 'quarantine-instance']);
  });
});

describe("MemberRoleStack: each responder's own grants, never another's", () => {
  const credentials = playbook('credentials', [
    { kind: 'action', id: 'disable', action: 'disable-access-key', with: { denyAll: true } },
    { kind: 'action', id: 'revoke', action: 'revoke-role-sessions', with: {} },
    { kind: 'action', id: 'release', action: 'release-credentials', with: {} },
  ]);
  const dns = playbook('dns', [{ kind: 'action', id: 'block', action: 'block-dns-domain', with: {} }]);
  const playbooks = [CONTAIN_AND_PRESERVE, REVOKING, credentials, dns];
  const byResponder = memberAccountActionsByResponder(playbooks);
  const { template } = synthesize({ responderActions: byResponder, securityAccountId: SECURITY, securityRegions: ['eu-west-1'] });
  const grantedIn = (id: 'MemberRole' | 'SessionRevokerRole', responder: string) =>
    (permissionStatements(template, id, responder) as { Effect: string; Action: string | string[] }[]).filter((s) => s.Effect === 'Allow').flatMap((s) => [s.Action].flat());

  it("grants each responder's roles together exactly that responder's member-account actions", () => {
    const exists = (id: 'MemberRole' | 'SessionRevokerRole', responder: string) => Object.keys(template.findResources('AWS::IAM::Role')).some((logicalId) => new RegExp(`^${id}${pascal(responder)}[0-9A-F]{8}$`).test(logicalId));
    for (const [responder, actions] of Object.entries(byResponder)) {
      // revoke-role-sessions reads (GetRole, ListInstanceProfilesForRole) and writes roles through its revoker, EC2 (DescribeInstances) through its member role.
      const granted = new Set([...(exists('MemberRole', responder) ? grantedIn('MemberRole', responder) : []), ...(exists('SessionRevokerRole', responder) ? grantedIn('SessionRevokerRole', responder) : [])]);
      // Associating an instance profile brings the iam:PassRole it needs (planStatements).
      const expected = new Set([...actions, ...(actions.includes('ec2:AssociateIamInstanceProfile') ? ['iam:PassRole'] : [])]);
      expect([...granted].sort(), responder).toEqual([...expected].sort());
    }
  });

  it("refuses one responder's role another's action: block-dns-domain cannot move ENIs, release-credentials cannot write a role policy", () => {
    const blockDns = resolvedStatements(template, 'MemberRole', 'permissions', 'block-dns-domain');
    expect(evaluate(blockDns, { action: 'ec2:ModifyNetworkInterfaceAttribute', resource: 'arn:aws:ec2:eu-west-1:123456789012:network-interface/eni-0abc' })).toBe('no-allow');
    expect(evaluate(blockDns, { action: 'ec2:ModifyInstanceAttribute', resource: 'arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc' })).toBe('no-allow');
    expect(evaluate(blockDns, { action: 'iam:UpdateAccessKey', resource: 'arn:aws:iam::123456789012:user/ci-deployer' })).toBe('no-allow');
    const releaser = resolvedStatements(template, 'SessionRevokerRole', 'permissions', 'release-credentials');
    expect(evaluate(releaser, { action: 'iam:DeleteRolePolicy', resource: 'arn:aws:iam::123456789012:role/ci-deploy-role' })).toBe('allow');
    expect(evaluate(releaser, { action: 'iam:PutRolePolicy', resource: 'arn:aws:iam::123456789012:role/ci-deploy-role' })).toBe('no-allow');
    const revoker = resolvedStatements(template, 'SessionRevokerRole', 'permissions', 'revoke-role-sessions');
    expect(evaluate(revoker, { action: 'iam:DeleteRolePolicy', resource: 'arn:aws:iam::123456789012:role/ci-deploy-role' })).toBe('no-allow');
  });

  it("ATTACK (review-1z): release-credentials' member role reads no role (iam:GetRole), which its release reads through its session revoker only (rows 1z, 1zd)", () => {
    // release-credentials reads a drill's role opt-in with GetRole through revokerClients, beside the
    // deny it deletes; its member role (users' keys and tags) never calls GetRole.
    const role = 'arn:aws:iam::123456789012:role/ci-deploy-role';
    const member = resolvedStatements(template, 'MemberRole', 'permissions', 'release-credentials');
    expect(evaluate(member, { action: 'iam:GetRole', resource: role })).toBe('no-allow');
    expect(grantedIn('MemberRole', 'release-credentials')).not.toContain('iam:GetRole');
    expect(evaluate(member, { action: 'iam:ListUserTags', resource: 'arn:aws:iam::123456789012:user/ci-deployer' })).toBe('allow');
    const revoker = resolvedStatements(template, 'SessionRevokerRole', 'permissions', 'release-credentials');
    expect(evaluate(revoker, { action: 'iam:GetRole', resource: role })).toBe('allow');
    expect(evaluate(revoker, { action: 'iam:ListUserTags', resource: 'arn:aws:iam::123456789012:user/ci-deployer' })).toBe('no-allow');
  });

  it("is trusted by its own responder alone, the session revokers included", () => {
    for (const [id, responder] of [['MemberRole', 'block-dns-domain'], ['SessionRevokerRole', 'release-credentials'], ['SessionRevokerRole', 'quarantine-instance']] as const) {
      const trust = resolvedStatements(template, id, 'trust', responder);
      for (const caller of Object.keys(byResponder)) {
        const decision = evaluate(trust, { action: 'sts:AssumeRole', resource: 'arn:aws:iam::123456789012:role/member', principalArn: `arn:aws:iam::${SECURITY}:role/firebreak-responder-eu-west-1-${caller}` });
        expect(decision, `${id} of ${responder} assumed by ${caller}`).toBe(caller === responder ? 'allow' : 'no-allow');
      }
    }
  });
});

describe('MemberRoleStack session revocation: a role of its own', () => {
  const { template } = synthesize({ responderActions: memberAccountActionsByResponder([REVOKING, CONTAIN_AND_PRESERVE]), securityAccountId: SECURITY, securityRegions: ['eu-west-1'] });
  const member = resolvedStatements(template, 'MemberRole', 'permissions');
  const revoker = resolvedStatements(template, 'SessionRevokerRole', 'permissions');
  const put = (statements: LocatedStatement[], roleName: string) =>
    evaluate(statements, { action: 'iam:PutRolePolicy', resource: `arn:aws:iam::123456789012:role/${roleName}` });

  it('never lets a member role write a role policy', () => {
    expect(put(member, 'web-app-instance-role')).toBe('no-allow');
    for (const responder of RESPONDERS) expect(JSON.stringify(permissionStatements(template, 'MemberRole', responder))).not.toContain('PutRolePolicy');
  });

  it('lets the session-revoker role write a role policy to an instance role, and never to Firebreak’s own, administrator or break-glass roles', () => {
    expect(put(revoker, 'web-app-instance-role')).toBe('allow');
    for (const name of [
      'FirebreakResponder-quarantine-instance',
      'FirebreakResponder-snapshot-volumes',
      'FirebreakSessionRevoker-quarantine-instance',
      'OrgAdmin',
      'sysadmin',
      'BreakGlass',
      'break-glass-2',
      'OrganizationAccountAccessRole',
      'AWSControlTowerExecution',
      // The roles that deploy stacks with administrator access: StackSet execution and CDK bootstrap.
      'AWSCloudFormationStackSetExecutionRole',
      'stacksets-exec-0123456789abcdef0123456789abcdef',
      'cdk-hnb659fds-cfn-exec-role-123456789012-eu-west-1',
      'cdk-hnb659fds-deploy-role-123456789012-eu-west-1',
      'aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_0123',
      'aws-reserved/sso.amazonaws.com/AWSReservedSSO_Developer_0123',
    ]) {
      expect(put(revoker, name), name).toBe('explicit-deny');
    }
    expect(evaluate(revoker, { action: 'iam:GetInstanceProfile', resource: 'arn:aws:iam::123456789012:instance-profile/web' })).toBe('allow');
    // quarantine-instance reads the profile's role's tags through the same session before it writes.
    expect(evaluate(revoker, { action: 'iam:GetRole', resource: 'arn:aws:iam::123456789012:role/web-app-instance-role' })).toBe('allow');
    // And, on an instance already quarantined, the role's deny: whether a new revision must move its cut-off (row 11i).
    expect(evaluate(revoker, { action: 'iam:GetRolePolicy', resource: 'arn:aws:iam::123456789012:role/web-app-instance-role' })).toBe('allow');
    // And the instance profiles holding the role, whose instances may be protected (rows 2v, 2y); its member role lists none.
    expect(evaluate(revoker, { action: 'iam:ListInstanceProfilesForRole', resource: 'arn:aws:iam::123456789012:role/web-app-instance-role' })).toBe('allow');
    expect(evaluate(revoker, { action: 'iam:ListInstanceProfilesForRole', resource: 'arn:aws:iam::123456789012:instance-profile/web' })).toBe('no-allow');
    expect(evaluate(member, { action: 'iam:ListInstanceProfilesForRole', resource: 'arn:aws:iam::123456789012:role/web-app-instance-role' })).toBe('no-allow');
    expect(evaluate(revoker, { action: 'ec2:ModifyInstanceAttribute', resource: 'arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc' })).toBe('no-allow');
  });

  it('is trusted by quarantine-instance alone', () => {
    const trust = resolvedStatements(template, 'SessionRevokerRole', 'trust');
    const assume = (responder: string) =>
      evaluate(trust, {
        action: 'sts:AssumeRole',
        resource: 'arn:aws:iam::123456789012:role/member',
        principalArn: `arn:aws:iam::${SECURITY}:role/firebreak-responder-eu-west-1-${responder}`,
      });
    expect(assume('quarantine-instance')).toBe('allow');
    expect(assume('snapshot-volumes')).toBe('no-allow');
    expect(assume('containment-guard')).toBe('no-allow');
    expect(roleProperties(template, 'SessionRevokerRole')).toMatchObject({ RoleName: 'FirebreakSessionRevoker-quarantine-instance', MaxSessionDuration: 3600 });
  });

  it('exists only when a playbook revokes sessions, under the configured name', () => {
    expect(Object.keys(synthesize().template.findResources('AWS::IAM::Role')).filter((id) => id.startsWith('SessionRevokerRole'))).toEqual([]);
    const named = synthesize({ responderActions: memberAccountActionsByResponder([REVOKING]), sessionRevokerRoleName: 'OrgRevoker' }).template;
    expect(roleProperties(named, 'SessionRevokerRole')).toMatchObject({ RoleName: 'OrgRevoker-quarantine-instance' });
    expect(() => synthesize({ responderActions: memberAccountActionsByResponder([REVOKING]), sessionRevokerRoleName: 'FirebreakResponder' })).toThrow(
      /roleName and sessionRevokerRoleName must differ/,
    );
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
        Resource: ec2Arn('network-interface'),
      },
      // The role that creates the isolation groups (quarantine's) puts only those on an ENI.
      {
        Sid: 'IntoFirebreakGroupsOnly',
        Effect: 'Allow',
        Action: 'ec2:ModifyNetworkInterfaceAttribute',
        Resource: ec2Arn('security-group'),
        Condition: { StringEquals: { 'aws:ResourceTag/firebreak:managed': 'true' } },
      },
      {
        Sid: 'ContainInstances',
        Effect: 'Allow',
        Action: ['ec2:ModifyInstanceAttribute', 'ec2:DisassociateIamInstanceProfile'],
        Resource: ec2Arn('instance'),
      },
      DENY_ATTRIBUTES_NEVER_SET,
      {
        Sid: 'CreateIsolationGroups',
        Effect: 'Allow',
        Action: 'ec2:CreateSecurityGroup',
        Resource: ec2Arn('security-group'),
        Condition: { StringEquals: { 'aws:RequestTag/firebreak:managed': 'true' } },
      },
      { Sid: 'CreateIsolationGroupsInAnyVpc', Effect: 'Allow', Action: 'ec2:CreateSecurityGroup', Resource: ec2Arn('vpc') },
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
        Resource: [ec2Arn('instance'), ec2Arn('volume')],
      },
      {
        Sid: 'CreateEvidenceSnapshotsOnly',
        Effect: 'Allow',
        Action: 'ec2:CreateSnapshots',
        Resource: snapshotArn,
        Condition: { StringEquals: { 'aws:RequestTag/firebreak:evidence': 'true' } },
      },
      {
        Sid: 'TagContainedInstances',
        Effect: 'Allow',
        Action: 'ec2:CreateTags',
        Resource: ec2Arn('instance'),
        Condition: FIREBREAK_TAG_KEYS_ONLY,
      },
      {
        Sid: 'TagIsolationGroupsAtCreation',
        Effect: 'Allow',
        Action: 'ec2:CreateTags',
        Resource: ec2Arn('security-group'),
        Condition: {
          StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup' },
          'ForAllValues:StringEquals': { 'aws:TagKeys': ['Name', 'firebreak:managed', 'firebreak:purpose'] },
        },
      },
      {
        Sid: 'TagResourcesAtCreation',
        Effect: 'Allow',
        Action: 'ec2:CreateTags',
        Resource: snapshotArn,
        Condition: { StringEquals: { 'ec2:CreateAction': 'CreateSnapshots' } },
      },
    ]);
  });

  it('adds iam:PassRole pinned to EC2 when release re-associates instance profiles, never for Firebreak’s own or privileged roles', () => {
    const { template } = synthesize({ iamActions: ['ec2:AssociateIamInstanceProfile'] });

    const statements = resolvedStatements(template, 'MemberRole', 'permissions');
    const pass = (name: string, service = 'ec2.amazonaws.com') =>
      evaluate(statements, { action: 'iam:PassRole', resource: `arn:aws:iam::123456789012:role/${name}`, context: { 'iam:PassedToService': service } });
    expect(pass('web-app-instance-role')).toBe('allow');
    expect(pass('web-app-instance-role', 'lambda.amazonaws.com')).toBe('no-allow');
    for (const name of [
      'FirebreakResponder-quarantine-instance',
      'OrgAdmin',
      'BreakGlass',
      'OrganizationAccountAccessRole',
      'aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_1',
      'AWSCloudFormationStackSetExecutionRole',
      'stacksets-exec-0123456789abcdef0123456789abcdef',
      'cdk-hnb659fds-cfn-exec-role-123456789012-eu-west-1',
    ]) {
      expect(pass(name), name).toBe('explicit-deny');
    }
    const deny = (permissionStatements(template) as { Sid?: string; Resource?: unknown }[]).find((statement) => statement.Sid === 'DenyProtectedRoles');
    expect(deny).toMatchObject({ Effect: 'Deny', Action: 'iam:PassRole' });
    for (const pattern of ['*Admin*', '*admin*', '*BreakGlass*', '*breakglass*', '*break-glass*', 'OrganizationAccountAccessRole', 'aws-reserved/*', 'AWSCloudFormationStackSetExecutionRole', 'stacksets-exec-*', 'cdk-hnb659fds-*']) {
      expect(JSON.stringify(deny?.Resource)).toContain(`:role/${pattern}`);
    }
    expect(permissionStatements(template).slice(0, 2)).toEqual([
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

  it('grants session revocation on instance roles, in the session-revoker role only, never on Firebreak’s own roles', () => {
    const { template } = synthesize({ iamActions: memberRoleIamActions([REVOKING]) });

    const statements = permissionStatements(template, 'SessionRevokerRole');
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
    expect(statements.at(-1)).toMatchObject({ Sid: 'DenyProtectedRoles', Effect: 'Deny', Action: 'iam:PutRolePolicy' });
    const denied = (statements.at(-1) as { Resource: unknown[] }).Resource;
    expect(denied.slice(0, 2)).toEqual([iamArn('role/FirebreakResponder-quarantine-instance'), iamArn('role/FirebreakSessionRevoker-quarantine-instance')]);
    expect(denied).toContainEqual(iamArn('role/*Admin*'));
    expect(denied).toContainEqual(iamArn('role/*/OrganizationAccountAccessRole'));
  });

  it('tags only instances, never groups or snapshots after creation, when nothing is created', () => {
    const { template } = synthesize({ iamActions: ['ec2:CreateTags', 'ec2:ModifyInstanceAttribute'] });

    expect(permissionStatements(template)).toEqual([
      { Sid: 'ContainInstances', Effect: 'Allow', Action: 'ec2:ModifyInstanceAttribute', Resource: ec2Arn('instance') },
      DENY_ATTRIBUTES_NEVER_SET,
      { Sid: 'TagContainedInstances', Effect: 'Allow', Action: 'ec2:CreateTags', Resource: ec2Arn('instance'), Condition: FIREBREAK_TAG_KEYS_ONLY },
    ]);
  });

  it('refuses ec2:CreateTags that neither tags a contained instance nor a resource being created', () => {
    expect(() => synthesize({ iamActions: ['ec2:CreateTags'] })).toThrow(/no scoping rule for ec2:CreateTags/);
  });

  it('scopes its actions by the same rules as the security account responder roles (one source: iam-scopes.ts)', () => {
    const actions = everyRegisteredMemberAction();
    const { template } = synthesize({ iamActions: actions });
    const stack = new Stack(new App(), 'Same');
    const arns = {
      ec2: (type: string) => `arn:${stack.partition}:ec2:*:${stack.account}:${type}/*`,
      route53resolver: (type: string) => `arn:${stack.partition}:route53resolver:*:${stack.account}:${type}/*`,
      snapshots: `arn:${stack.partition}:ec2:*::snapshot/*`,
      iam: (type: string) => `arn:${stack.partition}:iam::${stack.account}:${type}/*`,
      ownRoles: ['FirebreakResponder-quarantine-instance', 'FirebreakSessionRevoker-quarantine-instance'].map((name) => `arn:${stack.partition}:iam::${stack.account}:role/${name}`),
      privilegedRoles: privilegedRoleArns(`arn:${stack.partition}:iam::${stack.account}:role/`, DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS),
      privilegedUsers: privilegedRoleArns(`arn:${stack.partition}:iam::${stack.account}:user/`, DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS),
    };
    const resolvedPlan = (planned: ReturnType<typeof planStatements>) => planned.map(({ statement }) => stack.resolve(statement.toStatementJson()));
    // The member role: everything but the role-policy writes; the session revoker: those and the profile read.
    // release-credentials' DeleteRolePolicy is a role-policy write too, and its GetRolePolicy goes with it;
    // a responder with a revoker reads roles (GetRole) through it alone (row 1z).
    const revokerOnly = ['iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:GetRolePolicy', 'iam:GetRole', 'iam:ListInstanceProfilesForRole'];
    expect(permissionStatements(template)).toEqual(resolvedPlan(planStatements(actions.filter((a) => !revokerOnly.includes(a)), arns, { forensicAccountId: FORENSIC_ACCOUNT })));
    expect(permissionStatements(template, 'SessionRevokerRole')).toEqual(
      // revoke-role-sessions' GetRole (the named role's tags) goes with the writes it precedes.
      resolvedPlan(planStatements(['iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:GetInstanceProfile', 'iam:GetRole', 'iam:GetRolePolicy', 'iam:ListInstanceProfilesForRole'], arns)),
    );
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
    expect(() => synthesize({ iamActions: [] })).toThrow(/responderActions\['quarantine-instance'\] is empty/);
  });
});

describe('MemberRoleStack for StackSets', () => {
  it('needs no bootstrap: no BootstrapVersion parameter, no rules, no assets beyond the template', () => {
    const { app, template } = synthesize();

    const json = template.toJSON() as Record<string, Record<string, unknown> | undefined>;
    expect(Object.keys(json.Parameters ?? {})).toEqual(['SecurityAccountId', 'SecurityRegion']);
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
      responderActions: { 'quarantine-instance': [...everyRegisteredMemberAction(), 'ec2:AssociateIamInstanceProfile', 'ec2:DeleteSecurityGroup'] },
      forensicAccountId: FORENSIC_ACCOUNT,
      externalId: 'firebreak-org-7f3a',
    });

    expect(nagReport(app)).toEqual([]);
  });

  it('fails the synth on a wildcard nobody acknowledged, so the check above can fail', () => {
    const app = new App();
    const stack = new MemberRoleStack(app, 'FirebreakMemberRole', { responderActions: { 'quarantine-instance': ['ec2:DescribeInstances'] } });
    stack.roles.get('quarantine-instance')!.addToPrincipalPolicy(
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

  // Before: with organizationId, the grant allowed the member role in every account of the
  // organization, servedAccountIds narrowing it in the code alone (session 38), and in the forensic
  // account too, where a StackSet over the organization may deploy the member role (the code refuses
  // it). A caller past the code (a bug, a forged client input) had IAM's leave to act there.
  it('ATTACK (assume-scope): the grant allows the served accounts only, when listed, and never the forensic account', () => {
    const statementOf = (options: Parameters<typeof grantAssumeMemberRole>[1]) => {
      const { stack, role } = securityStack();
      grantAssumeMemberRole(role, { memberRoleName: 'OrgFirebreak', organizationId: 'o-a1b2c3d4e5', ...options });
      const policy = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))[0]!;
      const statements = (policy.Properties as { PolicyDocument: { Statement: Record<string, unknown>[] } }).PolicyDocument.Statement;
      return statements.map((statement): Record<string, unknown> => ({ ...statement, Resource: 'arn:aws:iam::*:role/OrgFirebreak' }));
    };
    const assume = (statements: ReturnType<typeof statementOf>, account: string) =>
      evaluate(statements.map((statement) => ({ where: 'responder role', statement })) as never, { action: 'sts:AssumeRole', resource: `arn:aws:iam::${account}:role/OrgFirebreak`, context: { 'aws:ResourceOrgID': 'o-a1b2c3d4e5', 'aws:ResourceAccount': account } });

    const narrowed = statementOf({ servedAccountIds: ['444455556666', '777788889999'], forensicAccountId: '999900001111' });
    expect(narrowed[0]!.Condition).toEqual({ StringEquals: { 'aws:ResourceOrgID': 'o-a1b2c3d4e5', 'aws:ResourceAccount': ['444455556666', '777788889999'] } });
    expect(assume(narrowed, '444455556666')).toBe('allow');
    expect(assume(narrowed, '777788889999')).toBe('allow');
    // Another account of the organization, and the forensic account, are out of reach.
    expect(assume(narrowed, '123412341234')).toBe('no-allow');
    expect(assume(narrowed, '999900001111')).toBe('no-allow');

    const organization = statementOf({ forensicAccountId: '999900001111' });
    expect(organization[0]!.Condition).toEqual({ StringEquals: { 'aws:ResourceOrgID': 'o-a1b2c3d4e5' }, StringNotEquals: { 'aws:ResourceAccount': '999900001111' } });
    expect(assume(organization, '123412341234')).toBe('allow');
    expect(assume(organization, '999900001111')).toBe('no-allow');

    expect(() => statementOf({ servedAccountIds: ['4444'] })).toThrow(/account ids have 12 digits, got '4444'/);
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

describe('MemberRoleStack: the edges of containment (issue 11)', () => {
  const resolverArn = (resourceType: string) => ({ 'Fn::Join': ['', ['arn:', partition, ':route53resolver:*:', memberAccount, `:${resourceType}/*`]] });

  it('moves Elastic IPs on the address and the ENI only, and changes metadata settings on instances only', () => {
    const { template } = synthesize({ iamActions: ['ec2:DescribeAddresses', 'ec2:DisassociateAddress', 'ec2:AssociateAddress', 'ec2:ModifyInstanceMetadataOptions', 'ec2:CreateTags'] });
    const statements = permissionStatements(template) as { Sid: string }[];
    expect(statements.find((s) => s.Sid === 'MoveElasticIpsOfContainedInstances')).toEqual({
      Sid: 'MoveElasticIpsOfContainedInstances',
      Effect: 'Allow',
      Action: ['ec2:DisassociateAddress', 'ec2:AssociateAddress'],
      Resource: [ec2Arn('elastic-ip'), ec2Arn('network-interface')],
    });
    expect(statements.find((s) => s.Sid === 'ContainInstances')).toEqual({ Sid: 'ContainInstances', Effect: 'Allow', Action: 'ec2:ModifyInstanceMetadataOptions', Resource: ec2Arn('instance') });
    expect(statements.find((s) => s.Sid === 'DescribeForContainmentAndEvidence')).toMatchObject({ Action: 'ec2:DescribeAddresses', Resource: '*' });
  });

  it('creates DNS Firewall resources only tagged as Firebreak’s, lists on "*" only where the API has no resource type', () => {
    const blockActions = [...ACTIONS['block-dns-domain'].iamActions].filter((a) => a.startsWith('route53resolver:'));
    const { template } = synthesize({ iamActions: ['ec2:DescribeInstances', ...blockActions] });
    const statements = permissionStatements(template) as { Sid: string }[];
    expect(statements.find((s) => s.Sid === 'ListDnsFirewall')).toEqual({
      Sid: 'ListDnsFirewall',
      Effect: 'Allow',
      Action: ['route53resolver:ListFirewallDomainLists', 'route53resolver:ListFirewallRuleGroups', 'route53resolver:ListFirewallRuleGroupAssociations'],
      Resource: '*',
    });
    expect(statements.find((s) => s.Sid === 'CreateFirebreakDnsFirewall')).toEqual({
      Sid: 'CreateFirebreakDnsFirewall',
      Effect: 'Allow',
      Action: ['route53resolver:CreateFirewallDomainList', 'route53resolver:CreateFirewallRuleGroup', 'route53resolver:AssociateFirewallRuleGroup'],
      Resource: [resolverArn('firewall-domain-list'), resolverArn('firewall-rule-group'), resolverArn('firewall-rule-group-association')],
      Condition: { StringEquals: { 'aws:RequestTag/firebreak:managed': 'true' }, 'ForAllValues:StringEquals': { 'aws:TagKeys': ['firebreak:managed'] } },
    });
    expect(statements.find((s) => s.Sid === 'BlockDomainsInFirebreakDnsFirewall')).toEqual({
      Sid: 'BlockDomainsInFirebreakDnsFirewall',
      Effect: 'Allow',
      Action: ['route53resolver:ListFirewallDomains', 'route53resolver:UpdateFirewallDomains', 'route53resolver:ListFirewallRules', 'route53resolver:CreateFirewallRule'],
      Resource: [resolverArn('firewall-domain-list'), resolverArn('firewall-rule-group')],
      Condition: { StringEquals: { 'aws:ResourceTag/firebreak:managed': 'true' } },
    });
  });

  it('gives the release side only what it needs: no create, no association', () => {
    const { template } = synthesize({ iamActions: [...ACTIONS['unblock-dns-domains'].iamActions] });
    const granted = (permissionStatements(template) as { Effect: string; Action: string | string[] }[]).filter((s) => s.Effect === 'Allow').flatMap((s) => [s.Action].flat());
    expect(granted.filter((a) => a.startsWith('route53resolver:')).sort()).toEqual([
      'route53resolver:ListFirewallDomainLists',
      'route53resolver:ListFirewallDomains',
      'route53resolver:ListFirewallRuleGroups',
      'route53resolver:UpdateFirewallDomains',
    ]);
  });

  it('puts the DNS Firewall actions of the shipped playbooks into the member role', () => {
    const actions = memberRoleIamActions([
      playbookOf('dns', [action('block', 'block-dns-domain'), action('alert', 'notify')]),
    ]);
    expect(actions).toEqual(expect.arrayContaining(['route53resolver:UpdateFirewallDomains', 'route53resolver:AssociateFirewallRuleGroup', 'ec2:DescribeInstances']));
  });
});

describe('MemberRoleStack: credentials (issue 12)', () => {
  const userArn = (name: string) => `arn:aws:iam::123456789012:user/${name}`;
  const keyActions = [...iamActionsForStep('disable-access-key', { denyAll: true })];
  const revokeActions = [...iamActionsForStep('revoke-role-sessions', {})];

  it('disables keys of named users only, attaches AWSDenyAll and no other policy, and never touches administrator or break-glass users', () => {
    const { template } = synthesize({ iamActions: keyActions });
    const statements = resolvedStatements(template, 'MemberRole', 'permissions');
    const decide = (action: string, user: string, context: Record<string, string> = {}) => evaluate(statements, { action, resource: userArn(user), context });
    expect(decide('iam:UpdateAccessKey', 'ci-deployer')).toBe('allow');
    expect(decide('iam:ListAccessKeys', 'ci-deployer')).toBe('allow');
    // The user's path and tags in one read (GetUser, row 11ae); no second way to read the tags.
    expect(decide('iam:GetUser', 'ci-deployer')).toBe('allow');
    expect(decide('iam:ListUserTags', 'ci-deployer')).toBe('no-allow');
    // A user renamed since the finding is followed by its key (authorized on the key's owner, user/*).
    expect(decide('iam:GetAccessKeyLastUsed', 'svc-metrics')).toBe('allow');
    expect(decide('iam:AttachUserPolicy', 'ci-deployer', { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AWSDenyAll' })).toBe('allow');
    // The attach cannot grant anything: any other policy is refused.
    expect(decide('iam:AttachUserPolicy', 'ci-deployer', { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' })).toBe('no-allow');
    expect(decide('iam:AttachUserPolicy', 'ci-deployer', { 'iam:PolicyARN': 'arn:aws:iam::123456789012:policy/AWSDenyAll' })).toBe('no-allow');
    for (const user of ['breakglass-admin', 'ops-Admin', 'BreakGlass1']) {
      expect(decide('iam:UpdateAccessKey', user)).toBe('explicit-deny');
      expect(decide('iam:AttachUserPolicy', user, { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AWSDenyAll' })).toBe('explicit-deny');
    }
    // Nothing that deletes or creates credentials, nor writes a policy.
    const granted = (permissionStatements(template) as { Effect: string; Action: string | string[] }[]).filter((s) => s.Effect === 'Allow').flatMap((s) => [s.Action].flat());
    expect(granted.filter((a) => /^iam:(Delete|Create|Put)/.test(a))).toEqual([]);
    expect(Object.keys(template.findResources('AWS::IAM::Role')).filter((id) => id.startsWith('SessionRevokerRole'))).toEqual([]);
  });

  it("lets the containment guard's member role list a named user's keys and read its path and tags, and change nothing", () => {
    const { template } = synthesize({
      responderActions: { 'containment-guard': guardTargetAccountActions([playbookOf('key', [action('disable', 'disable-access-key')])]), 'disable-access-key': keyActions },
      securityAccountId: SECURITY,
      securityRegions: ['eu-west-1'],
    });
    const guard = resolvedStatements(template, 'MemberRole', 'permissions', 'containment-guard');
    // Before a slot: whether the finding's key is the named user's (ListAccessKeys), the user's tags, a role's id.
    expect(evaluate(guard, { action: 'iam:ListAccessKeys', resource: userArn('ci-deployer') })).toBe('allow');
    expect(evaluate(guard, { action: 'iam:GetUser', resource: userArn('ci-deployer') })).toBe('allow');
    expect(evaluate(guard, { action: 'iam:GetUser', resource: 'arn:aws:iam::444455556666:user/ci-deployer' })).toBe('no-allow');
    expect(evaluate(guard, { action: 'iam:GetRole', resource: 'arn:aws:iam::123456789012:role/ci-deploy-role' })).toBe('allow');
    expect(evaluate(guard, { action: 'iam:ListAccessKeys', resource: 'arn:aws:iam::444455556666:user/ci-deployer' })).toBe('no-allow');
    // A user renamed since the finding: the key's owner now, users of this account only.
    expect(evaluate(guard, { action: 'iam:GetAccessKeyLastUsed', resource: userArn('svc-metrics') })).toBe('allow');
    expect(evaluate(guard, { action: 'iam:GetAccessKeyLastUsed', resource: 'arn:aws:iam::444455556666:user/svc-metrics' })).toBe('no-allow');
    for (const change of ['iam:UpdateAccessKey', 'iam:AttachUserPolicy', 'iam:DeleteAccessKey']) {
      expect(evaluate(guard, { action: change, resource: userArn('ci-deployer') }), change).toBe('no-allow');
    }
  });

  it("puts the role-session revocation in revoke-role-sessions' own session revoker, trusted by that responder alone", () => {
    const { template } = synthesize({
      responderActions: { 'disable-access-key': keyActions, 'revoke-role-sessions': revokeActions },
      securityAccountId: SECURITY,
      securityRegions: ['eu-west-1'],
    });
    const revoker = resolvedStatements(template, 'SessionRevokerRole', 'permissions', 'revoke-role-sessions');
    expect(evaluate(revoker, { action: 'iam:PutRolePolicy', resource: 'arn:aws:iam::123456789012:role/ci-deploy-role' })).toBe('allow');
    expect(evaluate(revoker, { action: 'iam:GetRole', resource: 'arn:aws:iam::123456789012:role/ci-deploy-role' })).toBe('allow');
    expect(evaluate(revoker, { action: 'iam:PutRolePolicy', resource: 'arn:aws:iam::123456789012:role/OrganizationAccountAccessRole' })).toBe('explicit-deny');
    expect(evaluate(revoker, { action: 'iam:UpdateAccessKey', resource: userArn('ci-deployer') })).toBe('no-allow');
    const member = resolvedStatements(template, 'MemberRole', 'permissions', 'disable-access-key');
    expect(evaluate(member, { action: 'iam:PutRolePolicy', resource: 'arn:aws:iam::123456789012:role/ci-deploy-role' })).toBe('no-allow');
    // revoke-role-sessions reads the role (GetRole) and the instance profiles holding it (ListInstanceProfilesForRole, row 2x) through its revoker too.
    expect(evaluate(revoker, { action: 'iam:ListInstanceProfilesForRole', resource: 'arn:aws:iam::123456789012:role/ci-deploy-role' })).toBe('allow');
    expect(evaluate(revoker, { action: 'ec2:DescribeInstances', resource: '*' })).toBe('no-allow');
    // Its member role (row 2x) reads which instances hold those profiles, in every region enabled for
    // the account (DescribeRegions, row 2z), and nothing else: no write, no IAM.
    const reader = resolvedStatements(template, 'MemberRole', 'permissions', 'revoke-role-sessions');
    expect(evaluate(reader, { action: 'ec2:DescribeInstances', resource: '*' })).toBe('allow');
    expect(evaluate(reader, { action: 'ec2:DescribeRegions', resource: '*' })).toBe('allow');
    expect(grantedIn('MemberRole', 'revoke-role-sessions', template)).toEqual(['ec2:DescribeInstances', 'ec2:DescribeRegions']);
    expect(evaluate(reader, { action: 'iam:PutRolePolicy', resource: 'arn:aws:iam::123456789012:role/ci-deploy-role' })).toBe('no-allow');
    const trust = resolvedStatements(template, 'SessionRevokerRole', 'trust', 'revoke-role-sessions');
    const assume = (responder: string) => evaluate(trust, { action: 'sts:AssumeRole', resource: 'arn:aws:iam::123456789012:role/member', principalArn: `arn:aws:iam::${SECURITY}:role/firebreak-responder-eu-west-1-${responder}` });
    expect(assume('revoke-role-sessions')).toBe('allow');
    expect(assume('quarantine-instance')).toBe('no-allow');
    expect(assume('disable-access-key')).toBe('no-allow');
  });

  it('computes each responder\'s member-account actions from the playbooks, the writes only where a step writes', () => {
    const credentials = playbook('credentials', [
      { kind: 'action', id: 'disable', action: 'disable-access-key', with: { denyAll: false } },
      { kind: 'action', id: 'revoke', action: 'revoke-role-sessions', with: {} },
    ]);
    const byResponder = memberAccountActionsByResponder([credentials, REVOKING]);
    expect(Object.keys(byResponder)).toEqual(['containment-guard', 'disable-access-key', 'quarantine-instance', 'revoke-role-sessions']);
    expect(byResponder['disable-access-key']).not.toContain('iam:PutRolePolicy');
    expect(byResponder['revoke-role-sessions']).toContain('iam:PutRolePolicy');
    expect(memberRoleResponders([credentials])).toEqual(['containment-guard', 'disable-access-key', 'revoke-role-sessions']);
  });
});

describe('MemberRoleStack: the instance profile read that keeps release from passing a swapped role (review-release, row 3f)', () => {
  const RELEASING = playbook('release', [{ kind: 'action', id: 'release', action: 'release-instance', with: {} }]);

  it('lets release-instance’s and quarantine-instance’s member roles read instance profiles (iam:GetInstanceProfile on instance-profile/* only), and nothing more of IAM to read them', () => {
    const { template } = synthesize({ responderActions: memberAccountActionsByResponder([CONTAIN_AND_PRESERVE, RELEASING]) });
    for (const responder of ['release-instance', 'quarantine-instance']) {
      expect(permissionStatements(template, 'MemberRole', responder), responder).toContainEqual({ Sid: 'ReadInstanceProfiles', Effect: 'Allow', Action: 'iam:GetInstanceProfile', Resource: iamArn('instance-profile/*') });
      const statements = resolvedStatements(template, 'MemberRole', 'permissions', responder);
      expect(evaluate(statements, { action: 'iam:GetInstanceProfile', resource: 'arn:aws:iam::123456789012:instance-profile/web/web-server' }), responder).toBe('allow');
      expect(evaluate(statements, { action: 'iam:GetRole', resource: 'arn:aws:iam::123456789012:role/web-server-role' }), responder).toBe('no-allow');
      expect(evaluate(statements, { action: 'iam:PutRolePolicy', resource: 'arn:aws:iam::123456789012:role/web-server-role' }), responder).toBe('no-allow');
    }
  });

  it('gives neither the read when their steps take and restore no profile', () => {
    const keeping = playbook('contain-keep-profile', [{ kind: 'action', id: 'contain', action: 'quarantine-instance', with: { detachInstanceProfile: false } }]);
    const networkOnly = playbook('release-network', [{ kind: 'action', id: 'release', action: 'release-instance', with: { restoreInstanceProfile: false } }]);
    const byResponder = memberAccountActionsByResponder([keeping, networkOnly]);
    expect(byResponder['quarantine-instance']).not.toContain('iam:GetInstanceProfile');
    expect(byResponder['release-instance']).not.toContain('iam:GetInstanceProfile');
  });
});
