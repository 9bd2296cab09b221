/**
 * What the containing roles may not do, as both stacks synthesize them: no ingress revoke that no
 * code path makes, no instance attribute Firebreak never sets, and no containing call on a user,
 * role or instance carrying the deployment's protected tag key (release excepted). Each limit is tried both ways with the simulated account's policy evaluator
 * (lib/gameday/sim/iam-policy.ts).
 */
import { InstanceAttributeName } from '@aws-sdk/client-ec2';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import type { PolicyStatement } from '../../lib/gameday/sim/iam-policy';
import { evaluatePolicies } from '../../lib/gameday/sim/iam-policy';
import type { Playbook } from '../../lib/playbooks/model';
import { buildFirebreakApp, SKIP_BUNDLING_CONTEXT } from '../../lib/stack/app';
import { quarantineCopyDestinations } from '../../lib/stack/iam-scopes';
import type { MemberRoleStackProps } from '../../lib/stack/member-role-stack';
import { MemberRoleStack, memberAccountActionsByResponder } from '../../lib/stack/member-role-stack';
import { resolveIntrinsics } from './iam-catalog';
import type { Statement } from './support';
import { action, actionsOf, COMPROMISED, DEFAULT_ALERT, logicalIdOf, playbook, statementsOfRole, synthesize } from './support';

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

describe('instance attributes: never one Firebreak does not set', () => {
  // The three attributes quarantine sets (quarantine-evidence.ts) and release sets back (release-restore.ts).
  const USED = ['disableApiTermination', 'instanceInitiatedShutdownBehavior', 'blockDeviceMapping'];
  const RELEASE = {
    ...playbook('release', [action('release', 'release-instance'), action('alert', 'notify')], { resourceKinds: ['ec2-instance'] }, 0),
    trigger: 'manual' as const,
    approval: { required: true, timeoutSeconds: 3600, onTimeout: 'evidence-only' as const },
  };
  const instance = `arn:aws:ec2:eu-west-1:${A}:instance/i-0123456789abcdef0`;

  it('denies every other attribute of the API’s enum, and only those', () => {
    const { template } = synthesize({ playbooks: [COMPROMISED, RELEASE, DEFAULT_ALERT] });
    const deny = responderRole(template, 'QuarantineInstance').find((statement) => statement.Sid === 'DenyInstanceAttributesFirebreakNeverSets');
    expect(deny).toMatchObject({ Effect: 'Deny', Action: 'ec2:ModifyInstanceAttribute' });
    const denied = (deny!.Condition as { StringEqualsIgnoreCase: { 'ec2:Attribute': string[] } }).StringEqualsIgnoreCase['ec2:Attribute'];
    // Every attribute ModifyInstanceAttribute's Attribute enum names is either used or denied.
    expect(new Set([...denied, ...USED])).toEqual(new Set(Object.values(InstanceAttributeName)));
    expect(denied.filter((name) => USED.includes(name))).toEqual([]);
    expect(responderRole(template, 'ReleaseInstance')).toContainEqual(deny);
  });

  it('lets quarantine and release set the three attributes they use, in both stacks, and nothing else', () => {
    const { template } = synthesize({ playbooks: [COMPROMISED, RELEASE, DEFAULT_ALERT] });
    const member = memberTemplate([COMPROMISED, RELEASE]);
    const roles: [Template, Statement[]][] = [
      [template, responderRole(template, 'QuarantineInstance')],
      [template, responderRole(template, 'ReleaseInstance')],
      [member, memberRole(member, 'FirebreakResponder-quarantine-instance')],
      [member, memberRole(member, 'FirebreakResponder-release-instance')],
    ];
    for (const [owner, statements] of roles) {
      const modify = (attribute?: string) => decide(owner, statements, 'ec2:ModifyInstanceAttribute', instance, attribute === undefined ? {} : { 'ec2:Attribute': [attribute] });
      for (const used of USED) expect(modify(used)).toBe('allow');
      for (const other of ['userData', 'groupSet', 'instanceType', 'kernel', 'sourceDestCheck', 'disableApiStop']) expect(modify(other)).toBe('explicit-deny');
      // Whatever the case EC2 spells the value in.
      expect(modify('UserData')).toBe('explicit-deny');
      // A key EC2 does not send (or spells otherwise) narrows nothing: containment never breaks on it.
      expect(modify()).toBe('allow');
    }
  });
});

describe('the protected tag key, in IAM as well as in code', () => {
  const KEY = 'firebreak:protected';
  const CONTAIN: Playbook = playbook(
    'contain-everything',
    [
      { kind: 'parallel', id: 'respond', branches: [action('contain', 'quarantine-instance', { revokeRoleSessions: true, instanceMetadata: 'disable' }), action('evidence', 'snapshot-volumes')] },
      action('alert', 'notify'),
    ],
    { findingTypes: ['Backdoor:EC2/*'], severity: { min: 7, max: 10 }, resourceKinds: ['ec2-instance'] },
  );
  const CREDENTIALS: Playbook = playbook(
    'iam-credentials',
    [action('disable', 'disable-access-key', { denyAll: true }), action('revoke', 'revoke-role-sessions'), action('alert', 'notify')],
    { findingTypes: ['AttackSequence:IAM/*'], resourceKinds: ['access-key'] },
    250,
  );
  const manual = (name: string, step: Parameters<typeof action>[1], kind: 'ec2-instance' | 'access-key'): Playbook => ({
    ...playbook(name, [action('release', step), action('alert', 'notify')], { resourceKinds: [kind] }, 0),
    trigger: 'manual',
    approval: { required: true, timeoutSeconds: 3600, onTimeout: 'evidence-only' },
  });
  const PLAYBOOKS = [CONTAIN, CREDENTIALS, manual('release', 'release-instance', 'ec2-instance'), manual('release-credentials', 'release-credentials', 'access-key')];

  const instance = `arn:aws:ec2:eu-west-1:${A}:instance/i-0123456789abcdef0`;
  const role = `arn:aws:iam::${A}:role/payments-app`;
  const user = `arn:aws:iam::${A}:user/payments-batch`;
  const tagged = { [`aws:ResourceTag/${KEY}`]: ['true'] };
  const taggedAnyValue = { [`aws:ResourceTag/${KEY}`]: [''] };
  /** The containing calls, each on the resource it authorizes on, and the keys the call carries beside the tag. */
  const CONTAINING: ReadonlyArray<[string, string, Record<string, string[]>]> = [
    ['ec2:ModifyInstanceAttribute', instance, { 'ec2:Attribute': ['disableApiTermination'] }],
    ['ec2:DisassociateIamInstanceProfile', instance, {}],
    ['ec2:ModifyInstanceMetadataOptions', instance, {}],
    ['iam:PutRolePolicy', role, {}],
    ['iam:UpdateAccessKey', user, {}],
    ['iam:AttachUserPolicy', user, { 'iam:PolicyARN': ['arn:aws:iam::aws:policy/AWSDenyAll'] }],
  ];

  /** Every containing call the roles hold, tried on a resource carrying the key and on one without. */
  function tryBothWays(owner: Template, roles: Statement[][], expected: 'explicit-deny' | 'allow') {
    const tried = new Set<string>();
    for (const statements of roles) {
      for (const [api, resource, keys] of CONTAINING) {
        if (decide(owner, statements, api, resource, keys) !== 'allow') continue;
        tried.add(api);
        expect(decide(owner, statements, api, resource, { ...keys, ...tagged }), api).toBe(expected);
        expect(decide(owner, statements, api, resource, { ...keys, ...taggedAnyValue }), `${api}, any value`).toBe(expected);
      }
    }
    return [...tried].sort();
  }

  it('denies every containing call on a user, role or instance carrying the key, in the security-account roles', () => {
    const { template } = synthesize({ playbooks: [...PLAYBOOKS, DEFAULT_ALERT], protectedTagKey: KEY });
    const containing = ['QuarantineInstance', 'DisableAccessKey', 'RevokeRoleSessions'].map((responder) => responderRole(template, responder));
    expect(tryBothWays(template, containing, 'explicit-deny')).toEqual(CONTAINING.map(([api]) => api).sort());
    // Evidence is still taken from a protected instance.
    const snapshot = responderRole(template, 'SnapshotVolumes');
    expect(decide(template, snapshot, 'ec2:CreateSnapshots', instance, tagged)).toBe('allow');
  });

  it('denies them in the member roles and the session revokers too', () => {
    const member = memberTemplate(PLAYBOOKS, { protectedTagKey: KEY });
    const containing = [
      memberRole(member, 'FirebreakResponder-quarantine-instance'),
      memberRole(member, 'FirebreakResponder-disable-access-key'),
      memberRole(member, 'FirebreakSessionRevoker-quarantine-instance'),
      memberRole(member, 'FirebreakSessionRevoker-revoke-role-sessions'),
    ];
    expect(tryBothWays(member, containing, 'explicit-deny')).toEqual(CONTAINING.map(([api]) => api).sort());
    expect(decide(member, memberRole(member, 'FirebreakResponder-snapshot-volumes'), 'ec2:CreateSnapshots', instance, tagged)).toBe('allow');
  });

  it('lets a release undo a containment on a resource tagged protected since', () => {
    // iam:AttachUserPolicy (AWSDenyAll only): release-credentials puts back the deny it detached
    // when the key was claimed while it ran, on the user it had just released.
    const { template } = synthesize({ playbooks: [...PLAYBOOKS, DEFAULT_ALERT], protectedTagKey: KEY });
    expect(tryBothWays(template, [responderRole(template, 'ReleaseInstance'), responderRole(template, 'ReleaseCredentials')], 'allow')).toEqual([
      'ec2:ModifyInstanceAttribute',
      'ec2:ModifyInstanceMetadataOptions',
      'iam:AttachUserPolicy',
      'iam:UpdateAccessKey',
    ]);
    const member = memberTemplate(PLAYBOOKS, { protectedTagKey: KEY });
    expect(
      tryBothWays(member, [memberRole(member, 'FirebreakResponder-release-instance'), memberRole(member, 'FirebreakResponder-release-credentials')], 'allow'),
    ).toEqual(['ec2:ModifyInstanceAttribute', 'ec2:ModifyInstanceMetadataOptions', 'iam:AttachUserPolicy', 'iam:UpdateAccessKey']);
  });

  it('adds no statement without the key, and the app hands the key to the member roles', async () => {
    const { template } = synthesize({ playbooks: [...PLAYBOOKS, DEFAULT_ALERT] });
    expect(responderRole(template, 'QuarantineInstance').map((statement) => statement.Sid)).not.toContain('DenyProtectedTagKey');
    expect(decide(template, responderRole(template, 'QuarantineInstance'), 'ec2:DisassociateIamInstanceProfile', instance, tagged)).toBe('allow');

    const { app, memberRole: stack } = await buildFirebreakApp({
      playbooks: [...PLAYBOOKS, DEFAULT_ALERT],
      context: { ...SKIP_BUNDLING_CONTEXT, memberRoleName: 'FirebreakResponder', organizationId: 'o-a1b2c3d4e5', protectedTagKey: KEY },
      nag: false,
      cfnValidation: false,
    });
    app.synth();
    const member = Template.fromStack(stack!);
    // The key becomes part of a condition key name: a literal tag key only.
    expect(() => memberTemplate([COMPROMISED], { protectedTagKey: ' firebreak:protected' })).toThrow(/protectedTagKey must be a literal tag key/);
    expect(memberRole(member, 'FirebreakResponder-quarantine-instance').find((statement) => statement.Sid === 'DenyProtectedTagKey')).toMatchObject({
      Effect: 'Deny',
      Condition: { Null: { [`aws:ResourceTag/${KEY}`]: 'false' } },
    });
  });
});
