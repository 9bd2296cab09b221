/**
 * The conditions that narrow the statements whose resources are known only at run time, as both
 * stacks synthesize them: DNS Firewall reads and writes on Firebreak's tagged list and rule group
 * only, quarantine copies into the configured buckets and owners only, instance tags of Firebreak's
 * own keys only, the dispatcher's events role for this account's rules only, acknowledgment
 * reasons that say what the responders really do, and every role's policies within IAM's size
 * limit once these conditions are in. The conditions are tried both ways with the simulated
 * account's policy evaluator (lib/gameday/sim/iam-policy.ts), which reads ForAllValues and Null.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import type { PolicyStatement } from '../../lib/gameday/sim/iam-policy';
import { evaluatePolicies } from '../../lib/gameday/sim/iam-policy';
import { loadPlaybookDirectorySync, validatePlaybookPathsSync } from '../../lib/playbooks/loader';
import type { Playbook } from '../../lib/playbooks/model';
import { buildFirebreakApp, SKIP_BUNDLING_CONTEXT } from '../../lib/stack/app';
import { quarantineCopyDestinations } from '../../lib/stack/iam-scopes';
import { MemberRoleStack, memberAccountActionsByResponder } from '../../lib/stack/member-role-stack';
import { resolveIntrinsics } from './iam-catalog';
import type { Statement } from './support';
import { acknowledgments, action, COMPROMISED, DEFAULT_ALERT, logicalIdOf, playbook, resourcesOf, statementsOfRole, synthesize } from './support';

const partition = { Ref: 'AWS::Partition' };
const account = { Ref: 'AWS::AccountId' };
const region = { Ref: 'AWS::Region' };
const ec2Arn = (type: string) => ({ 'Fn::Join': ['', ['arn:', partition, ':ec2:*:', account, `:${type}/*`]] });
const resolverArn = (type: string) => ({ 'Fn::Join': ['', ['arn:', partition, ':route53resolver:*:', account, `:${type}/*`]] });
const s3Arn = (path: string) => ({ 'Fn::Join': ['', ['arn:', partition, `:s3:::${path}`]] });
/** A quarantine bucket's keys of the role's own account's copies (`firebreak-quarantine/<own account>/*`). */
const ownCopiesIn = (bucket: string) => ({ 'Fn::Join': ['', ['arn:', partition, `:s3:::${bucket}/firebreak-quarantine/`, account, '/*']] });

const QUARANTINE_BUCKET_OWNER = '999988887777';

const BLOCK_DNS = playbook('block-dns', [action('block', 'block-dns-domain'), action('alert', 'notify')], { findingTypes: ['Trojan:EC2/DNSDataExfiltration'], resourceKinds: ['ec2-instance'] });
const RELEASE = {
  ...playbook('release', [action('release', 'release-instance'), action('unblock', 'unblock-dns-domains'), action('alert', 'notify')], { resourceKinds: ['ec2-instance'] }, 0),
  trigger: 'manual' as const,
  approval: { required: true, timeoutSeconds: 3600, onTimeout: 'evidence-only' as const },
};
const REVOKE_NAMED_ROLE = playbook('revoke-named-role', [action('revoke', 'revoke-role-sessions'), action('alert', 'notify')], { findingTypes: ['UnauthorizedAccess:IAMUser/*'] });
const copyingTo = (name: string, quarantineCopy: Record<string, string>) =>
  playbook(name, [action('tag', 'quarantine-s3-object', { quarantineCopy }), action('alert', 'notify')], { findingTypes: ['MalwareScan:S3/ThreatsFound'], resourceKinds: ['other'] });
const COPY_IN_PLACE = copyingTo('copy-in-place', {});
const COPY_TO_QUARANTINE_BUCKET = copyingTo('copy-to-quarantine-bucket', { bucket: 'acme-quarantine', bucketOwner: QUARANTINE_BUCKET_OWNER });

function responderStatements(playbooks: Playbook[], responder: string): Statement[] {
  const { template } = synthesize({ playbooks: [...playbooks, DEFAULT_ALERT] });
  return statementsOfRole(template, logicalIdOf(template, 'AWS::IAM::Role', `Responder${responder}Role`));
}

function memberRole(playbooks: Playbook[]) {
  const stack = new MemberRoleStack(new App(), 'FirebreakMemberRole', {
    responderActions: memberAccountActionsByResponder(playbooks),
    quarantineCopies: quarantineCopyDestinations(playbooks),
  });
  return { stack, template: Template.fromStack(stack) };
}

/** The statements of the member-role stack's roles of one kind (each responder's `MemberRole…` or `SessionRevokerRole…`), together. */
function memberStatements(template: Template, role: 'MemberRole' | 'SessionRevokerRole' = 'MemberRole'): Statement[] {
  const found = Object.entries(template.findResources('AWS::IAM::Role')).filter(([id]) => id.startsWith(role));
  expect(found.length).toBeGreaterThan(0);
  return found.flatMap(([, resource]) => (resource.Properties as { Policies: [{ PolicyDocument: { Statement: Statement[] } }] }).Policies[0].PolicyDocument.Statement);
}

const bySid = (statements: Statement[], sid: string) => statements.find((statement) => statement.Sid === sid);

/** What the statements decide for one request, with sample values for the template's intrinsics (account 123456789012). */
function decide(template: Template, statements: Statement[], request: { action: string; resource: string; keys?: Record<string, string[]> }) {
  const resolved = resolveIntrinsics(statements, template.toJSON().Resources as Parameters<typeof resolveIntrinsics>[1]) as PolicyStatement[];
  return evaluatePolicies([{ Statement: resolved }], { action: request.action, resource: request.resource, keys: request.keys ?? {} }).decision;
}

describe('DNS Firewall: Firebreak’s tagged list and rule group only', () => {
  const TAGGED = { StringEquals: { 'aws:ResourceTag/firebreak:managed': 'true' } };

  it('conditions every read and write of block-dns-domain on the firebreak:managed tag, in its role and the member role', () => {
    const expected = {
      Sid: 'BlockDomainsInFirebreakDnsFirewall',
      Effect: 'Allow',
      Action: ['route53resolver:ListFirewallDomains', 'route53resolver:UpdateFirewallDomains', 'route53resolver:ListFirewallRules', 'route53resolver:CreateFirewallRule'],
      Resource: [resolverArn('firewall-domain-list'), resolverArn('firewall-rule-group')],
      Condition: TAGGED,
    };
    expect(bySid(responderStatements([BLOCK_DNS], 'BlockDnsDomain'), 'BlockDomainsInFirebreakDnsFirewall')).toEqual(expected);
    const { template } = memberRole([BLOCK_DNS]);
    const statements = memberStatements(template);
    expect(bySid(statements, 'BlockDomainsInFirebreakDnsFirewall')).toEqual(expected);

    const list = (tags: Record<string, string[]>) =>
      decide(template, statements, { action: 'route53resolver:UpdateFirewallDomains', resource: 'arn:aws:route53resolver:eu-west-1:123456789012:firewall-domain-list/rslvr-fdl-1', keys: tags });
    expect(list({ 'aws:ResourceTag/firebreak:managed': ['true'] })).toBe('allow');
    expect(list({})).toBe('implicit-deny');
    expect(list({ 'aws:ResourceTag/firebreak:managed': ['false'] })).toBe('implicit-deny');
  });

  it('conditions unblock-dns-domains the same way, on the domain list alone', () => {
    expect(bySid(responderStatements([COMPROMISED, RELEASE], 'UnblockDnsDomains'), 'BlockDomainsInFirebreakDnsFirewall')).toEqual({
      Sid: 'BlockDomainsInFirebreakDnsFirewall',
      Effect: 'Allow',
      Action: ['route53resolver:ListFirewallDomains', 'route53resolver:UpdateFirewallDomains'],
      Resource: resolverArn('firewall-domain-list'),
      Condition: TAGGED,
    });
  });

  it('creates the list, the rule group and each association with Firebreak’s tag and no other key (dns-review: no tag another policy grants access by)', () => {
    const expected = {
      Sid: 'CreateFirebreakDnsFirewall',
      Effect: 'Allow',
      Action: ['route53resolver:CreateFirewallDomainList', 'route53resolver:CreateFirewallRuleGroup', 'route53resolver:AssociateFirewallRuleGroup'],
      Resource: [resolverArn('firewall-domain-list'), resolverArn('firewall-rule-group'), resolverArn('firewall-rule-group-association')],
      Condition: { StringEquals: { 'aws:RequestTag/firebreak:managed': 'true' }, 'ForAllValues:StringEquals': { 'aws:TagKeys': ['firebreak:managed'] } },
    };
    expect(bySid(responderStatements([BLOCK_DNS], 'BlockDnsDomain'), 'CreateFirebreakDnsFirewall')).toEqual(expected);
    const { template } = memberRole([BLOCK_DNS]);
    const statements = memberStatements(template);
    expect(bySid(statements, 'CreateFirebreakDnsFirewall')).toEqual(expected);

    const create = (tags: Record<string, string>) =>
      decide(template, statements, {
        action: 'route53resolver:CreateFirewallRuleGroup',
        resource: 'arn:aws:route53resolver:eu-west-1:123456789012:firewall-rule-group/*',
        keys: { ...Object.fromEntries(Object.entries(tags).map(([key, value]) => [`aws:RequestTag/${key}`, [value]])), 'aws:TagKeys': Object.keys(tags) },
      });
    expect(create({ 'firebreak:managed': 'true' })).toBe('allow');
    // What the code never sends: a second tag (an ABAC key such as a team's), or no Firebreak tag.
    expect(create({ 'firebreak:managed': 'true', team: 'payments' })).toBe('implicit-deny');
    expect(create({ team: 'payments' })).toBe('implicit-deny');
  });

  it('acknowledges the wildcard with the tag condition, no longer claiming the reference has no key', () => {
    const { stack } = memberRole([BLOCK_DNS]);
    const reasons = acknowledgments(stack.roles.get('block-dns-domain')!);
    const reason = reasons['AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:route53resolver:*:<AWS::AccountId>:firewall-domain-list/*]'];
    expect(reason).toContain('aws:ResourceTag/firebreak:managed');
    expect(reason).not.toContain('no condition key');
  });
});

describe('quarantine copies: the configured buckets and owners only', () => {
  /** What each quarantine copy statement asks of the write, besides where it goes (test/stack/iam-narrowing.test.ts tries them both ways). */
  const AS_FIREBREAK_COPIES = {
    'ForAllValues:StringEquals': { 's3:RequestObjectTagKeys': ['firebreak:malware-scan', 'firebreak:incident'] },
    Null: { 's3:if-none-match': 'false', 's3:x-amz-copy-source': 'false' },
  };

  it('writes copies in the scanned object’s own bucket only in the role’s own account, as new copies tagged infected', () => {
    const statements = responderStatements([COPY_IN_PLACE], 'QuarantineS3Object');
    expect(bySid(statements, 'WriteQuarantineCopies')).toEqual({
      Sid: 'WriteQuarantineCopies',
      Effect: 'Allow',
      Action: 's3:PutObject',
      Resource: s3Arn('*/firebreak-quarantine/*'),
      Condition: { StringEquals: { 's3:ResourceAccount': account, 's3:RequestObjectTag/firebreak:malware-scan': 'threats-found' }, ...AS_FIREBREAK_COPIES },
    });
    // Their tags are written as any object's of the account: TagObjectsInfected.
    expect(bySid(statements, 'TagObjectsInfected')).toMatchObject({ Resource: s3Arn('*/*') });
    expect(bySid(statements, 'TagQuarantineCopiesInQuarantineBuckets')).toBeUndefined();
    expect(bySid(statements, 'WriteQuarantineCopiesToQuarantineBuckets')).toBeUndefined();
    expect(bySid(statements, 'DenyWritesOutsideTheQuarantinePrefix')).toBeUndefined();
  });

  it('writes copies to a quarantine bucket by its exact name, only while its configured owner owns it, and nowhere else', () => {
    const statements = responderStatements([COPY_TO_QUARANTINE_BUCKET], 'QuarantineS3Object');
    expect(bySid(statements, 'WriteQuarantineCopiesToQuarantineBuckets')).toEqual({
      Sid: 'WriteQuarantineCopiesToQuarantineBuckets',
      Effect: 'Allow',
      Action: 's3:PutObject',
      Resource: ownCopiesIn('acme-quarantine'),
      Condition: { StringEquals: { 's3:ResourceAccount': QUARANTINE_BUCKET_OWNER, 's3:RequestObjectTag/firebreak:malware-scan': 'threats-found' }, ...AS_FIREBREAK_COPIES },
    });
    expect(bySid(statements, 'TagQuarantineCopiesInQuarantineBuckets')).toEqual({
      Sid: 'TagQuarantineCopiesInQuarantineBuckets',
      Effect: 'Allow',
      Action: 's3:PutObjectTagging',
      Resource: ownCopiesIn('acme-quarantine'),
      Condition: {
        StringEquals: { 's3:ResourceAccount': QUARANTINE_BUCKET_OWNER, 's3:RequestObjectTag/firebreak:malware-scan': 'threats-found' },
        'ForAllValues:StringEquals': AS_FIREBREAK_COPIES['ForAllValues:StringEquals'],
      },
    });
    expect(bySid(statements, 'WriteQuarantineCopies')).toBeUndefined();
    // Row 16m: tagging any object of the account, but none in a quarantine bucket (the owner's holds every account's copies).
    expect(bySid(statements, 'TagObjectsInfected')).toMatchObject({ Effect: 'Allow', NotResource: s3Arn('acme-quarantine/*'), Condition: { StringEquals: { 's3:ResourceAccount': account } } });
    expect(bySid(statements, 'TagObjectsInfected')).not.toHaveProperty('Resource');
  });

  it('gives the member role both statements when playbooks copy both ways, and refuses s3:PutObject without destinations', () => {
    const { template } = memberRole([COPY_IN_PLACE, COPY_TO_QUARANTINE_BUCKET]);
    const statements = memberStatements(template);
    // Any bucket of the account but the quarantine buckets (row 16l: the owner's is one of its own), and
    // under firebreak-quarantine/ only through the Deny.
    expect(bySid(statements, 'WriteQuarantineCopies')).toMatchObject({ Effect: 'Allow', NotResource: s3Arn('acme-quarantine/*'), Condition: { StringEquals: { 's3:ResourceAccount': account } } });
    expect(bySid(statements, 'WriteQuarantineCopies')).not.toHaveProperty('Resource');
    expect(bySid(statements, 'DenyWritesOutsideTheQuarantinePrefix')).toEqual({
      Sid: 'DenyWritesOutsideTheQuarantinePrefix',
      Effect: 'Deny',
      Action: 's3:PutObject',
      NotResource: s3Arn('*/firebreak-quarantine/*'),
    });
    expect(bySid(statements, 'WriteQuarantineCopiesToQuarantineBuckets')).toMatchObject({
      Resource: ownCopiesIn('acme-quarantine'),
      Condition: { StringEquals: { 's3:ResourceAccount': QUARANTINE_BUCKET_OWNER } },
    });
    const copy = { 's3:RequestObjectTag/firebreak:malware-scan': ['threats-found'], 's3:RequestObjectTagKeys': ['firebreak:malware-scan', 'firebreak:incident'], 's3:if-none-match': ['*'], 's3:x-amz-copy-source': ['uploads/invoice.pdf'] };
    const put = (resource: string, owner: string) => decide(template, statements, { action: 's3:PutObject', resource, keys: { 's3:ResourceAccount': [owner], ...copy } });
    expect(put('arn:aws:s3:::uploads/firebreak-quarantine/invoice.pdf', '123456789012')).toBe('allow');
    expect(put('arn:aws:s3:::someone-elses/firebreak-quarantine/invoice.pdf', '555566667777')).toBe('implicit-deny');
    expect(put('arn:aws:s3:::acme-quarantine/firebreak-quarantine/123456789012/uploads/invoice.pdf', QUARANTINE_BUCKET_OWNER)).toBe('allow');
    expect(put('arn:aws:s3:::acme-quarantine/firebreak-quarantine/123456789012/uploads/invoice.pdf', '555566667777')).toBe('implicit-deny');
    expect(put('arn:aws:s3:::uploads/invoice.pdf', '123456789012')).toBe('explicit-deny');

    expect(
      () => new MemberRoleStack(new App(), 'FirebreakMemberRole', { responderActions: memberAccountActionsByResponder([COPY_IN_PLACE]) }),
    ).toThrow(/quarantineCopies/);
  });

  it('wires the playbooks’ destinations into the member role the app builds', async () => {
    const { app, memberRole: stack } = await buildFirebreakApp({
      playbooks: [COPY_TO_QUARANTINE_BUCKET, DEFAULT_ALERT],
      context: { ...SKIP_BUNDLING_CONTEXT, memberRoleName: 'FirebreakResponder', organizationId: 'o-a1b2c3d4e5' },
      nag: false,
      cfnValidation: false,
    });
    app.synth();
    expect(bySid(memberStatements(Template.fromStack(stack!)), 'WriteQuarantineCopiesToQuarantineBuckets')).toMatchObject({
      Resource: ownCopiesIn('acme-quarantine'),
      Condition: { StringEquals: { 's3:ResourceAccount': QUARANTINE_BUCKET_OWNER } },
    });
  });
});

describe('instance tags: Firebreak’s own keys only', () => {
  const OWN_KEYS = {
    'ForAllValues:StringEquals': { 'aws:TagKeys': ['firebreak:incident', 'firebreak:status', 'firebreak:quarantined-at', 'firebreak:released-at'] },
    Null: { 'aws:TagKeys': 'false' },
  };

  it('tags a contained instance with Firebreak’s keys only, in quarantine’s and release’s roles and the member role', () => {
    expect(bySid(responderStatements([COMPROMISED], 'QuarantineInstance'), 'TagContainedInstances')).toEqual({
      Sid: 'TagContainedInstances',
      Effect: 'Allow',
      Action: 'ec2:CreateTags',
      Resource: ec2Arn('instance'),
      Condition: OWN_KEYS,
    });
    const release = {
      Sid: 'TagContainedInstances',
      Effect: 'Allow',
      Action: ['ec2:CreateTags', 'ec2:DeleteTags'],
      Resource: ec2Arn('instance'),
      Condition: OWN_KEYS,
    };
    expect(bySid(responderStatements([COMPROMISED, RELEASE], 'ReleaseInstance'), 'TagContainedInstances')).toEqual(release);
    // release-instance's member role (quarantine-instance's has CreateTags alone).
    expect(memberStatements(memberRole([COMPROMISED, RELEASE]).template).filter((statement) => statement.Sid === 'TagContainedInstances')).toContainEqual(release);
  });

  it('never takes the protected tag off, never opts an instance in to game days, never deletes every tag at once', () => {
    const { template } = memberRole([COMPROMISED, RELEASE]);
    const statements = memberStatements(template);
    const tags = (api: 'ec2:CreateTags' | 'ec2:DeleteTags', keys: string[]) =>
      decide(template, statements, { action: api, resource: 'arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc', keys: keys.length > 0 ? { 'aws:TagKeys': keys } : {} });
    expect(tags('ec2:CreateTags', ['firebreak:incident', 'firebreak:status', 'firebreak:quarantined-at'])).toBe('allow');
    expect(tags('ec2:DeleteTags', ['firebreak:incident', 'firebreak:quarantined-at'])).toBe('allow');
    expect(tags('ec2:CreateTags', ['firebreak:status', 'firebreak:gameday-target'])).toBe('implicit-deny');
    expect(tags('ec2:DeleteTags', ['firebreak:protected'])).toBe('implicit-deny');
    // DeleteTags without Tags deletes every user tag and carries no aws:TagKeys.
    expect(tags('ec2:DeleteTags', [])).toBe('implicit-deny');
  });
});

describe('the dispatcher’s events role', () => {
  it('is assumable by EventBridge for this account’s rules in this region only, keeping its deployed logical id', () => {
    const { template } = synthesize({ gameDayPrincipals: ['arn:aws:iam::123456789012:role/GameDay'] });
    const roleId = logicalIdOf(template, 'AWS::IAM::Role', 'DispatcherStateMachineEventsRole');
    expect(roleId).toBe('DispatcherStateMachineEventsRole68AF9AF9');
    expect((resourcesOf(template, 'AWS::IAM::Role')[roleId]!.Properties.AssumeRolePolicyDocument as { Statement: unknown[] }).Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Condition: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', partition, ':events:', region, ':', account, ':rule/*']] } },
        },
      },
    ]);
    // Every rule, the game-day bus's included, delivers with it.
    for (const rule of Object.values(resourcesOf(template, 'AWS::Events::Rule'))) {
      expect((rule.Properties.Targets as { RoleArn: unknown }[])[0]!.RoleArn).toEqual({ 'Fn::GetAtt': [roleId, 'Arn'] });
    }
  });
});

describe('role-policy writes: a truthful acknowledgment', () => {
  it('says the role written to may be the one a finding names, guarded by the rails, GetRole and DenyProtectedRoles', () => {
    const { stack } = memberRole([REVOKE_NAMED_ROLE]);
    const reason = acknowledgments(stack.sessionRevokerRoles.get('revoke-role-sessions')!)['AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/*]'];
    expect(reason).toContain('the role a finding names (revoke-role-sessions');
    expect(reason).toContain('DenyProtectedRoles');
    expect(reason).not.toContain('writes only to the role it resolved from the quarantined instance');
  });
});

/** IAM's limit on the inline policies of one role, whitespace not counted (IAM and AWS STS quotas). */
const ROLE_INLINE_POLICY_LIMIT = 10_240;

/** The characters of each role's inline policies (its own and the AWS::IAM::Policy resources attached to it), with sample values for the intrinsics. */
function inlinePolicySizes(template: Template): Record<string, number> {
  const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
  const size = (document: unknown) => JSON.stringify(resolveIntrinsics(document, resources as Parameters<typeof resolveIntrinsics>[1])).length;
  const sizes: Record<string, number> = {};
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type === 'AWS::IAM::Role') {
      for (const policy of (resource.Properties.Policies ?? []) as { PolicyDocument: unknown }[]) sizes[id] = (sizes[id] ?? 0) + size(policy.PolicyDocument);
    }
    if (resource.Type === 'AWS::IAM::Policy') {
      for (const role of resource.Properties.Roles as { Ref?: string }[]) if (role.Ref !== undefined) sizes[role.Ref] = (sizes[role.Ref] ?? 0) + size(resource.Properties.PolicyDocument);
    }
  }
  return sizes;
}

describe('the inline policy budget', () => {
  it(`keeps every role of both stacks within IAM's ${ROLE_INLINE_POLICY_LIMIT} characters with every playbook and setting on`, async () => {
    // The shipped playbooks, with the game-day variants that also copy evidence and write back to Security Hub.
    const variants = validatePlaybookPathsSync(['playbooks/scenarios/forensic/compromised-ec2-instance.yaml', 'playbooks/scenarios/security-hub/release-instance.yaml']).playbooks;
    const playbooks = [...loadPlaybookDirectorySync('playbooks').filter((shipped) => !variants.some((variant) => variant.name === shipped.name)), ...variants];
    const { app, stack, memberRole: member } = await buildFirebreakApp({
      playbooks,
      context: {
        ...SKIP_BUNDLING_CONTEXT,
        memberRoleName: 'FirebreakResponder',
        organizationId: 'o-a1b2c3d4e5',
        memberRoleExternalId: 'firebreak-org-7f3a',
        securityAccountId: '999988887777',
        securityRegions: ['eu-west-1', 'us-east-1'],
        servedAccountIds: ['222233334444'],
        gameDayPrincipals: ['arn:aws:iam::123456789012:role/GameDay'],
        forensicAccountId: '444455556666',
        forensicKmsKeyArn: 'arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        mode: 'enforce',
      },
      nag: false,
      cfnValidation: false,
    });
    app.synth();
    const sizes = { ...inlinePolicySizes(Template.fromStack(stack)), ...inlinePolicySizes(Template.fromStack(member!)) };
    expect(Object.keys(sizes).some((id) => id.startsWith('MemberRole'))).toBe(true);
    expect(Object.entries(sizes).filter(([, characters]) => characters > ROLE_INLINE_POLICY_LIMIT)).toEqual([]);
  });
});
