/**
 * Statements narrowed to what Firebreak really does (review r16a, F1, F4, F5, F7), as both stacks
 * synthesize them, each tried both ways with the simulated account's policy evaluator
 * (lib/gameday/sim/iam-policy.ts): allowed for the call the responder makes, denied for the
 * attack the narrowing stops.
 *
 * - S3 object tags: quarantine-s3-object may only write a tag set that marks the object infected;
 *   release-s3-object may only rewrite the tags of an object still tagged infected.
 * - S3 quarantine copies: only a copy (never an upload), only where nothing is yet (If-None-Match:
 *   never over an earlier copy), and only with the tag set Firebreak writes on a copy.
 * - Network interfaces: quarantine-instance may only put Firebreak's own (tagged) groups on an
 *   ENI; release-instance still restores whatever groups it recorded.
 * - The containment guard reads the executions of this deployment's guarded playbooks only.
 * - Creation: a security group only with Firebreak's tag and tag keys, a snapshot only tagged as evidence.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import type { PolicyStatement } from '../../lib/gameday/sim/iam-policy';
import { evaluatePolicies } from '../../lib/gameday/sim/iam-policy';
import type { Playbook } from '../../lib/playbooks/model';
import { quarantineCopyDestinations } from '../../lib/stack/iam-scopes';
import { MemberRoleStack, memberAccountActionsByResponder } from '../../lib/stack/member-role-stack';
import { resolveIntrinsics, SAMPLE } from './iam-catalog';
import type { Statement } from './support';
import { acknowledgments, action, COMPROMISED, DEFAULT_ALERT, logicalIdOf, playbook, resourcesOf, synthesize } from './support';

const A = SAMPLE.account;

const S3_TAG = playbook('s3-object-with-threats', [action('tag', 'quarantine-s3-object'), action('alert', 'notify')], {
  findingTypes: ['MalwareScan:S3/ThreatsFound'],
  resourceKinds: ['other'],
});
const manual = (name: string, steps: ReturnType<typeof action>[]) => ({
  ...playbook(name, steps, { resourceKinds: ['other'] }, 0),
  trigger: 'manual' as const,
  approval: { required: true, timeoutSeconds: 3600, onTimeout: 'evidence-only' as const },
});
const S3_RELEASE = manual('release-s3-object', [action('release', 'release-s3-object'), action('alert', 'notify')]);
const QUARANTINE_BUCKET_OWNER = '999988887777';
const copyingTo = (name: string, quarantineCopy: Record<string, string>) =>
  playbook(name, [action('tag', 'quarantine-s3-object', { quarantineCopy }), action('alert', 'notify')], { findingTypes: ['MalwareScan:S3/ThreatsFound'], resourceKinds: ['other'] });
const S3_COPY_IN_PLACE = copyingTo('copy-in-place', {});
const S3_COPY_TO_QUARANTINE_BUCKET = copyingTo('copy-to-quarantine-bucket', { bucket: 'acme-quarantine', bucketOwner: QUARANTINE_BUCKET_OWNER });
const RELEASE = manual('release', [action('release', 'release-instance'), action('alert', 'notify')]);

/** A role's statements in the security account (its AWS::IAM::Policy and any overflow managed policy), intrinsics resolved. */
function securityRole(playbooks: Playbook[], responder: string, props: Parameters<typeof synthesize>[0] = {}): { statements: PolicyStatement[]; role: IConstruct } {
  const { stack, template } = synthesize({ playbooks: [...playbooks, DEFAULT_ALERT], ...props });
  const roleId = logicalIdOf(template, 'AWS::IAM::Role', `Responder${responder}Role`);
  const attached = [...Object.values(resourcesOf(template, 'AWS::IAM::Policy')), ...Object.values(resourcesOf(template, 'AWS::IAM::ManagedPolicy'))]
    .filter((policy) => ((policy.Properties.Roles ?? []) as unknown[]).some((role) => JSON.stringify(role) === JSON.stringify({ Ref: roleId })))
    .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
  const role = stack.node.findAll().find((construct) => construct.node.path.endsWith(`/Responder${responder}/Role`));
  expect(role).toBeDefined();
  return { statements: resolved(template, attached), role: role! };
}

/** A member role's statements (`FirebreakResponder-<responder>`), intrinsics resolved. */
function memberRole(playbooks: Playbook[], responder: string): { statements: PolicyStatement[]; role: IConstruct } {
  const stack = new MemberRoleStack(new App(), 'FirebreakMemberRole', {
    responderActions: memberAccountActionsByResponder(playbooks),
    quarantineCopies: quarantineCopyDestinations(playbooks),
  });
  const template = Template.fromStack(stack);
  const role = stack.roles.get(responder);
  expect(role).toBeDefined();
  const resource = resourcesOf(template, 'AWS::IAM::Role')[stack.getLogicalId(role!.node.defaultChild as never)]!;
  const statements = (resource.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((policy) => policy.PolicyDocument.Statement);
  return { statements: resolved(template, statements), role: role! };
}

function resolved(template: Template, statements: Statement[]): PolicyStatement[] {
  return resolveIntrinsics(statements, template.toJSON().Resources as Parameters<typeof resolveIntrinsics>[1]) as PolicyStatement[];
}

const ask = (statements: PolicyStatement[], actionName: string, resource: string, keys: Record<string, string[]> = {}) =>
  evaluatePolicies([{ Statement: statements }], { action: actionName, resource, keys }).decision;

/** The request keys of quarantine-s3-object's CopyObject (lib/responders/quarantine-s3-object.ts), into a bucket of `owner`. */
const copying = (owner: string, tags: Record<string, string> = { 'firebreak:malware-scan': 'threats-found', 'firebreak:incident': 's3scan-1' }) => ({
  's3:ResourceAccount': [owner],
  ...Object.fromEntries(Object.entries(tags).map(([key, value]) => [`s3:RequestObjectTag/${key}`, [value]])),
  's3:RequestObjectTagKeys': Object.keys(tags),
  's3:if-none-match': ['*'],
  's3:x-amz-copy-source': ['uploads/in/a.pdf?versionId=v1'],
});

describe('S3 quarantine copies: a new copy, tagged as Firebreak tags a copy, and nothing else', () => {
  const IN_PLACE = 'arn:aws:s3:::uploads/firebreak-quarantine/in/a.pdf';
  const ACROSS = `arn:aws:s3:::acme-quarantine/firebreak-quarantine/${A}/uploads/in/a.pdf`;
  const without = (keys: Record<string, string[]>, name: string) => Object.fromEntries(Object.entries(keys).filter(([key]) => key !== name));

  for (const [where, roleOf] of [
    ['security account', (playbooks: Playbook[]) => securityRole(playbooks, 'QuarantineS3Object')],
    ['member role', (playbooks: Playbook[]) => memberRole(playbooks, 'quarantine-s3-object')],
  ] as const) {
    for (const [destination, playbooks, resource, owner] of [
      ['its own bucket', [S3_COPY_IN_PLACE], IN_PLACE, A],
      ['a quarantine bucket of another account', [S3_COPY_TO_QUARANTINE_BUCKET], ACROSS, QUARANTINE_BUCKET_OWNER],
    ] as const) {
      it(`quarantine-s3-object (${where}) writes into ${destination} only a new copy tagged as Firebreak tags a copy`, () => {
        const { statements } = roleOf([...playbooks]);
        const copy = copying(owner);
        // The copy as the responder makes it: CopyObject is s3:PutObject, its Tagging header s3:PutObjectTagging.
        expect(ask(statements, 's3:PutObject', resource, copy)).toBe('allow');
        expect(ask(statements, 's3:PutObjectTagging', resource, without(without(copy, 's3:if-none-match'), 's3:x-amz-copy-source'))).toBe('allow');
        // Over whatever is at the key (an earlier incident's copy: evidence): no If-None-Match, no write.
        expect(ask(statements, 's3:PutObject', resource, without(copy, 's3:if-none-match'))).toBe('implicit-deny');
        // An upload of any content under firebreak-quarantine/ (PutObject, not a copy).
        expect(ask(statements, 's3:PutObject', resource, without(copy, 's3:x-amz-copy-source'))).toBe('implicit-deny');
        // Any other tag set on the copy: without the infected tag (readable through the bucket policy), or with a key Firebreak never writes.
        const uninfected: Record<string, string>[] = [{ 'firebreak:incident': 's3scan-1' }, { 'firebreak:malware-scan': 'clean', 'firebreak:incident': 's3scan-1' }, {}];
        const extraKey = { 'firebreak:malware-scan': 'threats-found', 'firebreak:incident': 's3scan-1', 'access-tier': 'public' };
        for (const tags of [...uninfected, extraKey]) expect(ask(statements, 's3:PutObject', resource, copying(owner, tags)), JSON.stringify(tags)).toBe('implicit-deny');
        for (const tags of uninfected) expect(ask(statements, 's3:PutObjectTagging', resource, copying(owner, tags)), JSON.stringify(tags)).toBe('implicit-deny');
        // Tagging an object that is already there: in a quarantine bucket only Firebreak's two keys. In the
        // object's own bucket, as any object of the account (TagObjectsInfected): an uploader's own object
        // under firebreak-quarantine/, with a tag of theirs, must still be taggable infected when it is scanned.
        expect(ask(statements, 's3:PutObjectTagging', resource, copying(owner, extraKey))).toBe(owner === A ? 'allow' : 'implicit-deny');
        // Another account's bucket than the one configured.
        expect(ask(statements, 's3:PutObject', resource, copying('555566667777'))).toBe('implicit-deny');
      });
    }
  }
});

describe('ATTACK (review-s3): a quarantine bucket holds every account’s copies; a role writes only under its own account', () => {
  // The central quarantine bucket admits the quarantine role of every served account. Its copies of account
  // A's objects go under firebreak-quarantine/A/ (planQuarantineCopy): a role of another account (a bug, a
  // compromised responder, the member role in an account an attacker administers) must not write there,
  // where it would take the keys of A's next copies (If-None-Match then refuses A's evidence copy) or plant
  // "evidence" under A's name; nor anywhere under the prefix outside an account's own directory.
  const OTHER = '555566667777';
  const copy = copying(QUARANTINE_BUCKET_OWNER);
  for (const [where, roleOf] of [
    ['security account', (playbooks: Playbook[]) => securityRole(playbooks, 'QuarantineS3Object')],
    ['member role', (playbooks: Playbook[]) => memberRole(playbooks, 'quarantine-s3-object')],
  ] as const) {
    it(`quarantine-s3-object (${where}) copies into a quarantine bucket only under firebreak-quarantine/<its own account>/`, () => {
      const { statements } = roleOf([S3_COPY_TO_QUARANTINE_BUCKET]);
      const own = `arn:aws:s3:::acme-quarantine/firebreak-quarantine/${A}/uploads/in/a.pdf`;
      expect(ask(statements, 's3:PutObject', own, copy)).toBe('allow');
      expect(ask(statements, 's3:PutObjectTagging', own, copy)).toBe('allow');
      for (const elsewhere of [
        `arn:aws:s3:::acme-quarantine/firebreak-quarantine/${OTHER}/uploads/in/a.pdf`,
        `arn:aws:s3:::acme-quarantine/firebreak-quarantine/${A}0/uploads/in/a.pdf`,
        'arn:aws:s3:::acme-quarantine/firebreak-quarantine/uploads/in/a.pdf',
      ]) {
        expect(ask(statements, 's3:PutObject', elsewhere, copy), elsewhere).toBe('implicit-deny');
        expect(ask(statements, 's3:PutObjectTagging', elsewhere, copy), elsewhere).toBe('implicit-deny');
      }
    });
  }
});

describe('ATTACK (quarantine-bucket): the account that owns the quarantine bucket writes there only under its own directory', () => {
  // Row 16l. The quarantine bucket's owner is a served account too: when its playbooks also copy into
  // the scanned object's own bucket, WriteQuarantineCopies (*/firebreak-quarantine/*, any bucket of the
  // role's own account) covered the quarantine bucket as well, so that account's role could write under
  // another account's directory there (16g's attack, from the one account 16g's statements did not
  // narrow). IAM has no condition key on the object key, and an Allow-only bucket policy does not bind a
  // principal of the bucket's own account.
  const OTHER = '555566667777';
  const OWN_QUARANTINE_BUCKET = copyingTo('copy-to-own-quarantine-bucket', { bucket: 'acme-quarantine', bucketOwner: A });
  const copy = copying(A);
  for (const [where, roleOf] of [
    ['security account', (playbooks: Playbook[]) => securityRole(playbooks, 'QuarantineS3Object')],
    ['member role', (playbooks: Playbook[]) => memberRole(playbooks, 'quarantine-s3-object')],
  ] as const) {
    it(`quarantine-s3-object (${where}) of the bucket's owner, copying in place too, writes into the quarantine bucket only under its own account`, () => {
      const { statements } = roleOf([S3_COPY_IN_PLACE, OWN_QUARANTINE_BUCKET]);
      // Its own copies, both ways, still go through.
      expect(ask(statements, 's3:PutObject', `arn:aws:s3:::acme-quarantine/firebreak-quarantine/${A}/uploads/in/a.pdf`, copy)).toBe('allow');
      expect(ask(statements, 's3:PutObject', 'arn:aws:s3:::uploads/firebreak-quarantine/in/a.pdf', copy)).toBe('allow');
      for (const elsewhere of [
        `arn:aws:s3:::acme-quarantine/firebreak-quarantine/${OTHER}/uploads/in/a.pdf`,
        `arn:aws:s3:::acme-quarantine/firebreak-quarantine/${A}0/uploads/in/a.pdf`,
        'arn:aws:s3:::acme-quarantine/firebreak-quarantine/uploads/in/a.pdf',
      ]) {
        // The statements that, alone, let the write through: none.
        const allowing = statements.filter((statement) => statement.Effect === 'Allow' && ask([statement], 's3:PutObject', elsewhere, copy) === 'allow').map((statement) => statement.Sid);
        expect(allowing, elsewhere).toEqual([]);
        expect(ask(statements, 's3:PutObject', elsewhere, copy), elsewhere).not.toBe('allow');
      }
      // Nor outside firebreak-quarantine/, in any bucket of the account.
      expect(ask(statements, 's3:PutObject', 'arn:aws:s3:::uploads/in/a.pdf', copy)).not.toBe('allow');
    });
  }
});

describe('ATTACK (quarantine-tags): the account that owns the quarantine bucket tags there no other account’s copy', () => {
  // Row 16m. Left open by 16l: the owner's tag statements (TagObjectsInfected; release's
  // RetagInfectedObjects and UntagInfectedObjects) named any object of the role's own account, so in the
  // account that owns the quarantine bucket they reached every other account's copies there: its
  // quarantine role could rewrite their incident tag, its release role rewrite or delete their tags (an
  // untagged copy of another account reads as released). IAM has no condition key on the object key.
  const OTHER = '555566667777';
  const OWN_QUARANTINE_BUCKET = copyingTo('copy-to-own-quarantine-bucket', { bucket: 'acme-quarantine', bucketOwner: A });
  const TAG_APIS = ['s3:PutObjectTagging', 's3:PutObjectVersionTagging', 's3:DeleteObjectTagging', 's3:DeleteObjectVersionTagging'];
  // The request most statements admit: a copy tagged infected (as every copy is), its tags written as Firebreak writes them.
  const tagging = {
    's3:ResourceAccount': [A],
    's3:ExistingObjectTag/firebreak:malware-scan': ['threats-found'],
    's3:ExistingObjectTag/firebreak:incident': ['s3scan-9'],
    's3:RequestObjectTag/firebreak:malware-scan': ['threats-found'],
    's3:RequestObjectTag/firebreak:incident': ['s3scan-1'],
    's3:RequestObjectTagKeys': ['firebreak:malware-scan', 'firebreak:incident'],
  };
  const ELSEWHERE = [
    `arn:aws:s3:::acme-quarantine/firebreak-quarantine/${OTHER}/uploads/in/a.pdf`,
    `arn:aws:s3:::acme-quarantine/firebreak-quarantine/${A}0/uploads/in/a.pdf`,
    'arn:aws:s3:::acme-quarantine/firebreak-quarantine/uploads/in/a.pdf',
  ];
  for (const [where, roleOf] of [
    ['security account', (playbooks: Playbook[], responder: string) => securityRole(playbooks, responder === 'quarantine-s3-object' ? 'QuarantineS3Object' : 'ReleaseS3Object')],
    ['member role', memberRole],
  ] as const) {
    for (const responder of ['quarantine-s3-object', 'release-s3-object']) {
      it(`${responder} (${where}) of the bucket's owner changes the tags of no other account's copy there`, () => {
        const { statements } = roleOf([S3_COPY_IN_PLACE, OWN_QUARANTINE_BUCKET, S3_RELEASE], responder);
        for (const elsewhere of ELSEWHERE) {
          for (const api of TAG_APIS) {
            // The Allow statements that, alone, let the tag write through: none.
            const allowing = statements.filter((statement) => statement.Effect === 'Allow' && ask([statement], api, elsewhere, tagging) === 'allow').map((statement) => statement.Sid);
            expect(allowing, `${api} ${elsewhere}`).toEqual([]);
            expect(ask(statements, api, elsewhere, tagging), `${api} ${elsewhere}`).not.toBe('allow');
          }
        }
        // Its own objects elsewhere in its account are tagged (and released) as before.
        for (const api of ['s3:PutObjectTagging', 's3:PutObjectVersionTagging']) {
          expect(ask(statements, api, 'arn:aws:s3:::uploads/in/a.pdf', tagging), api).toBe('allow');
        }
        if (responder === 'release-s3-object') expect(ask(statements, 's3:DeleteObjectVersionTagging', 'arn:aws:s3:::uploads/in/a.pdf', tagging)).toBe('allow');
      });
    }
  }

  it('quarantine-s3-object of the bucket’s owner still tags its own copies there as CopyObject writes them', () => {
    const { statements } = securityRole([OWN_QUARANTINE_BUCKET], 'QuarantineS3Object');
    const own = `arn:aws:s3:::acme-quarantine/firebreak-quarantine/${A}/uploads/in/a.pdf`;
    const { 's3:ExistingObjectTag/firebreak:malware-scan': _scan, 's3:ExistingObjectTag/firebreak:incident': _incident, ...copy } = tagging;
    expect(ask(statements, 's3:PutObjectTagging', own, copy)).toBe('allow');
  });
});

describe('S3 object tags (F1): quarantine marks infected, release rewrites only what is marked infected', () => {
  const OBJECT = 'arn:aws:s3:::payroll/reports/q3.csv';
  const own = { 's3:ResourceAccount': [A] };
  const infected = { ...own, 's3:ExistingObjectTag/firebreak:malware-scan': ['threats-found'], 's3:ExistingObjectTag/firebreak:incident': ['gd-1'] };
  /** The request keys of a PutObjectTagging writing `tags`. */
  const writing = (tags: Record<string, string>) => ({
    ...Object.fromEntries(Object.entries(tags).map(([key, value]) => [`s3:RequestObjectTag/${key}`, [value]])),
    's3:RequestObjectTagKeys': Object.keys(tags),
  });
  const MARK = { 'uploaded-by': 'portal', 'firebreak:malware-scan': 'threats-found', 'firebreak:incident': 'gd-1' };

  for (const [where, roleOf] of [
    ['security account', (playbooks: Playbook[], responder: string) => securityRole(playbooks, responder === 'quarantine-s3-object' ? 'QuarantineS3Object' : 'ReleaseS3Object')],
    ['member role', memberRole],
  ] as const) {
    it(`quarantine-s3-object (${where}) tags any object of its account infected, and writes no other tag set`, () => {
      const { statements } = roleOf([S3_TAG], 'quarantine-s3-object');
      for (const api of ['s3:PutObjectTagging', 's3:PutObjectVersionTagging']) {
        expect(ask(statements, api, OBJECT, { ...own, ...writing(MARK) })).toBe('allow');
        // Any other tag set: a grant-access tag an ABAC bucket policy reads, a lifecycle-expiry tag.
        expect(ask(statements, api, OBJECT, { ...own, ...writing({ 'uploaded-by': 'portal', 'access-tier': 'public' }) })).toBe('implicit-deny');
        expect(ask(statements, api, OBJECT, { ...own, ...writing({ 'firebreak:malware-scan': 'clean' }) })).toBe('implicit-deny');
        // Not even on an object it tagged infected: taking the tag off is release's.
        expect(ask(statements, api, OBJECT, { ...infected, ...writing({ 'uploaded-by': 'portal' }) })).toBe('implicit-deny');
        expect(ask(statements, api, OBJECT, { 's3:ResourceAccount': ['555566667777'], ...writing(MARK) })).toBe('implicit-deny');
      }
      // Its reads are unchanged: any object of its account.
      expect(ask(statements, 's3:GetObjectTagging', OBJECT, own)).toBe('allow');
      expect(ask(statements, 's3:GetObjectVersion', OBJECT, own)).toBe('allow');
    });

    it(`release-s3-object (${where}) rewrites the tags of an object still tagged infected only, and on any other puts the infected tags back only`, () => {
      const { statements } = roleOf([COMPROMISED, S3_RELEASE], 'release-s3-object');
      for (const api of ['s3:PutObjectTagging', 's3:PutObjectVersionTagging']) {
        expect(ask(statements, api, OBJECT, { ...infected, ...writing({ 'uploaded-by': 'portal' }) })).toBe('allow');
        // A clean object: no tag set of it can be written but one that marks it infected (the infected tags put back when a
        // quarantine claimed the version while the release's write took them off: release-s3-object.ts).
        expect(ask(statements, api, OBJECT, { ...own, ...writing({ 'uploaded-by': 'portal', 'access-tier': 'public' }) })).toBe('implicit-deny');
        expect(ask(statements, api, OBJECT, { ...own, ...writing({ 'firebreak:malware-scan': 'clean', 'firebreak:incident': 'gd-1' }) })).toBe('implicit-deny');
        expect(ask(statements, api, OBJECT, { ...own, ...writing(MARK) })).toBe('allow');
        expect(ask(statements, api, OBJECT, { 's3:ResourceAccount': ['555566667777'], ...writing(MARK) })).toBe('implicit-deny');
        // The incident marker alone (someone took the infected tag off): not Firebreak's to rewrite.
        expect(ask(statements, api, OBJECT, { ...own, 's3:ExistingObjectTag/firebreak:incident': ['gd-1'], ...writing({ 'uploaded-by': 'portal' }) })).toBe('implicit-deny');
      }
      // The delete path, as before: infected objects only.
      expect(ask(statements, 's3:DeleteObjectTagging', OBJECT, infected)).toBe('allow');
      expect(ask(statements, 's3:DeleteObjectTagging', OBJECT, own)).toBe('implicit-deny');
      expect(ask(statements, 's3:GetObjectTagging', OBJECT, own)).toBe('allow');
    });
  }
});

describe('network interfaces (F4): quarantine moves ENIs into Firebreak’s groups only', () => {
  const ENI = `arn:aws:ec2:eu-west-1:${A}:network-interface/eni-0abc`;
  const GROUP = `arn:aws:ec2:eu-west-1:${A}:security-group/sg-0wideopen`;
  const FIREBREAK_GROUP = `arn:aws:ec2:eu-west-1:${A}:security-group/sg-0iso`;
  const managed = { 'aws:ResourceTag/firebreak:managed': ['true'] };

  for (const [where, quarantine, release] of [
    ['security account', () => securityRole([COMPROMISED], 'QuarantineInstance').statements, () => securityRole([COMPROMISED, RELEASE], 'ReleaseInstance').statements],
    ['member role', () => memberRole([COMPROMISED], 'quarantine-instance').statements, () => memberRole([COMPROMISED, RELEASE], 'release-instance').statements],
  ] as const) {
    it(`quarantine-instance (${where}) may put a firebreak:managed group on any ENI, and no other group`, () => {
      const statements = quarantine();
      expect(ask(statements, 'ec2:ModifyNetworkInterfaceAttribute', ENI)).toBe('allow');
      expect(ask(statements, 'ec2:ModifyNetworkInterfaceAttribute', FIREBREAK_GROUP, managed)).toBe('allow');
      expect(ask(statements, 'ec2:ModifyNetworkInterfaceAttribute', GROUP)).toBe('implicit-deny');
      expect(ask(statements, 'ec2:ModifyNetworkInterfaceAttribute', GROUP, { 'aws:ResourceTag/firebreak:managed': ['false'] })).toBe('implicit-deny');
    });

    it(`release-instance (${where}) still restores the recorded groups, whatever their tags`, () => {
      const statements = release();
      expect(ask(statements, 'ec2:ModifyNetworkInterfaceAttribute', ENI)).toBe('allow');
      expect(ask(statements, 'ec2:ModifyNetworkInterfaceAttribute', GROUP)).toBe('allow');
    });
  }
});

describe('the guard’s DescribeExecution (F5): one ARN pattern per guarded playbook', () => {
  const execution = (machine: string) => `arn:aws:states:eu-west-1:${A}:execution:${machine}:gd-1`;

  it('reads executions of this deployment’s guarded playbooks only, not the dispatcher, an unguarded playbook or another stack', () => {
    const { statements, role } = securityRole([COMPROMISED, RELEASE], 'ContainmentGuard');
    expect(ask(statements, 'states:DescribeExecution', execution('Firebreak-compromised-ec2'))).toBe('allow');
    expect(ask(statements, 'states:DescribeExecution', execution('Firebreak-release'))).toBe('allow');
    for (const machine of ['Firebreak-dispatcher', 'Firebreak-default-alert', 'Firebreak-staging-compromised-ec2', 'Firebreak-compromised-ec2-copy']) {
      expect(ask(statements, 'states:DescribeExecution', execution(machine))).toBe('implicit-deny');
    }
    const reasons = Object.entries(acknowledgments(role)).filter(([id]) => id.includes(':execution:'));
    expect(reasons.map(([id]) => id).sort()).toEqual([
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:Firebreak-compromised-ec2:*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:Firebreak-release:*]',
    ]);
    for (const [, reason] of reasons) {
      expect(reason).toContain('each guarded playbook');
      expect(reason).not.toContain("this stack's playbook state machines");
    }
  });
});

describe('creation (F7): Firebreak’s tags or nothing', () => {
  const SG = `arn:aws:ec2:eu-west-1:${A}:security-group/*`;
  const VPC = `arn:aws:ec2:eu-west-1:${A}:vpc/vpc-0abc`;
  const SNAPSHOT = 'arn:aws:ec2:eu-west-1::snapshot/*';
  const FIREBREAK_GROUP_TAGS = { Name: 'firebreak-isolation', 'firebreak:managed': 'true', 'firebreak:purpose': 'isolation' };
  const requesting = (tags: Record<string, string>) => ({
    ...Object.fromEntries(Object.entries(tags).map(([key, value]) => [`aws:RequestTag/${key}`, [value]])),
    'aws:TagKeys': Object.keys(tags),
  });

  for (const [where, quarantine, snapshot] of [
    ['security account', () => securityRole([COMPROMISED], 'QuarantineInstance').statements, () => securityRole([COMPROMISED], 'SnapshotVolumes').statements],
    ['member role', () => memberRole([COMPROMISED], 'quarantine-instance').statements, () => memberRole([COMPROMISED], 'snapshot-volumes').statements],
  ] as const) {
    it(`quarantine-instance (${where}) creates a security group only tagged firebreak:managed, with Firebreak’s tag keys only`, () => {
      const statements = quarantine();
      expect(ask(statements, 'ec2:CreateSecurityGroup', SG, requesting(FIREBREAK_GROUP_TAGS))).toBe('allow');
      expect(ask(statements, 'ec2:CreateSecurityGroup', VPC)).toBe('allow');
      expect(ask(statements, 'ec2:CreateSecurityGroup', SG, requesting({ Name: 'web-open' }))).toBe('implicit-deny');
      expect(ask(statements, 'ec2:CreateSecurityGroup', SG)).toBe('implicit-deny');
      const tagging = (tags: Record<string, string>) => ask(statements, 'ec2:CreateTags', SG, { 'ec2:CreateAction': ['CreateSecurityGroup'], ...requesting(tags) });
      expect(tagging(FIREBREAK_GROUP_TAGS)).toBe('allow');
      // An extra key at creation (a tag another policy grants access by) is refused.
      expect(tagging({ ...FIREBREAK_GROUP_TAGS, 'access-team': 'payments' })).toBe('implicit-deny');
    });

    it(`snapshot-volumes (${where}) creates snapshots only tagged firebreak:evidence=true`, () => {
      const statements = snapshot();
      const evidence = requesting({ 'firebreak:incident': 'gd-1', 'firebreak:evidence': 'true' });
      expect(ask(statements, 'ec2:CreateSnapshots', SNAPSHOT, evidence)).toBe('allow');
      expect(ask(statements, 'ec2:CreateSnapshots', `arn:aws:ec2:eu-west-1:${A}:instance/i-0abc`)).toBe('allow');
      expect(ask(statements, 'ec2:CreateSnapshots', `arn:aws:ec2:eu-west-1:${A}:volume/vol-0abc`)).toBe('allow');
      expect(ask(statements, 'ec2:CreateSnapshots', SNAPSHOT, requesting({ 'firebreak:incident': 'gd-1' }))).toBe('implicit-deny');
      expect(ask(statements, 'ec2:CreateSnapshots', SNAPSHOT, requesting({ 'firebreak:evidence': 'false' }))).toBe('implicit-deny');
      // The volume's own tags are copied too (CopyTagsFromSource): their keys cannot be known, so not limited.
      expect(ask(statements, 'ec2:CreateTags', SNAPSHOT, { 'ec2:CreateAction': ['CreateSnapshots'], ...requesting({ 'firebreak:evidence': 'true', 'cost-centre': 'x' }) })).toBe('allow');
    });
  }
});
