/**
 * Sharing and copying evidence snapshots across accounts in the simulated account: the member
 * role's share (ModifySnapshotAttribute, evidence-tagged, the forensic account only) and the copy
 * in the forensic account through the forensic role, whose policy is the synthesized
 * ForensicRoleStack's, re-encrypted with the forensic key; and every refusal EC2, KMS or IAM gives.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { CopySnapshotCommand, CreateSnapshotsCommand, CreateTagsCommand, DescribeInstancesCommand, DescribeSnapshotAttributeCommand, DescribeSnapshotsCommand, ModifySnapshotAttributeCommand } from '@aws-sdk/client-ec2';
import { resolveIntrinsics } from '../../../lib/gameday/deployment';
import { loadIamCatalog } from '../../../lib/gameday/sim/iam-catalog';
import type { IamCatalog } from '../../../lib/gameday/sim/iam-catalog';
import type { PolicyDocument } from '../../../lib/gameday/sim/iam-policy';
import { ForensicRoleStack } from '../../../lib/stack/forensic-role-stack';
import { SeededSimulatedAws } from '../../support/sim-builder';
import { rejectionOf } from './fixtures';

const MEMBER = '111122223333';
const FORENSIC = '999988887777';
const REGION = 'eu-west-1';
const COPIER = `arn:aws:iam::${MEMBER}:role/firebreak-responder-${REGION}-copy-evidence`;
const FORENSIC_ROLE = 'FirebreakForensicCopier';
const EVIDENCE_TAGS = [{ ResourceType: 'snapshot' as const, Tags: [{ Key: 'firebreak:evidence', Value: 'true' }] }];
/** The member role's share statement, as the synthesized template has it (test/stack/snapshot-copy-iam.test.ts pins that). */
const SHARE: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: 'ec2:ModifySnapshotAttribute',
      Resource: 'arn:aws:ec2:*::snapshot/*',
      Condition: {
        StringEquals: { 'aws:ResourceTag/firebreak:evidence': 'true', 'ec2:Attribute': 'createVolumePermission' },
        'ForAllValues:StringEquals': { 'ec2:Add/userId': FORENSIC },
        Null: { 'ec2:Add/group': 'true', 'ec2:Add/userId': 'false' },
      },
    },
    { Effect: 'Allow', Action: ['ec2:DescribeSnapshots', 'ec2:DescribeSnapshotAttribute'], Resource: '*' },
    { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: `arn:aws:iam::${FORENSIC}:role/${FORENSIC_ROLE}` },
  ],
};

const synthesized = new Map<string, PolicyDocument[]>();

/** The forensic role's policy exactly as the ForensicRoleStack synthesizes it (AWS::Partition resolved). */
function forensicRolePolicy(keyArn: string, sourceAccountIds?: readonly string[]): PolicyDocument[] {
  const cacheKey = JSON.stringify([keyArn, sourceAccountIds]);
  const known = synthesized.get(cacheKey);
  if (known) return known;
  const app = new App();
  const stack = new ForensicRoleStack(app, 'Forensic', { forensicKmsKeyArn: keyArn, securityAccountId: MEMBER, securityRegions: [REGION], ...(sourceAccountIds ? { sourceAccountIds } : {}) });
  const template = Template.fromStack(stack).toJSON() as { Resources: Record<string, { Type: string; Properties: { Policies?: { PolicyDocument: unknown }[] } }> };
  const role = Object.values(template.Resources).find((resource) => resource.Type === 'AWS::IAM::Role');
  const documents = (role?.Properties.Policies ?? []).map((policy) => resolveIntrinsics(policy.PolicyDocument, (id) => (id === 'AWS::Partition' ? 'aws' : `unresolved:${id}`)) as PolicyDocument);
  synthesized.set(cacheKey, documents);
  return documents;
}

interface Accounts {
  readonly sim: SeededSimulatedAws;
  readonly member: EC2Client;
  readonly forensic: EC2Client;
  readonly forensicKey: string;
  readonly instanceId: string;
}

async function accounts(catalog: IamCatalog, options: { volumes?: { device: string; boot?: boolean; encrypted?: boolean; kmsKeyId?: string }[]; sourceAccountIds?: readonly string[]; sourceKey?: { usableByForensic: boolean } } = {}): Promise<Accounts & { sourceKey?: string }> {
  const sim = new SeededSimulatedAws({ seed: 'snapshot-sharing', defaultAccount: MEMBER, defaultRegion: REGION, snapshotCompletionMs: 60_000 });
  const forensicKey = sim.addSymmetricKey({ account: FORENSIC, region: REGION });
  const sourceKey = options.sourceKey ? sim.addSymmetricKey({ account: MEMBER, region: REGION, ...(options.sourceKey.usableByForensic ? { usableByAccounts: [FORENSIC] } : {}) }) : undefined;
  const volumes = options.volumes ?? [{ device: '/dev/xvda', boot: true }, { device: '/dev/sdf', ...(sourceKey ? { encrypted: true, kmsKeyId: sourceKey } : {}) }];
  const box = sim.addInstance({ volumes });
  sim.addRole({ account: FORENSIC, name: FORENSIC_ROLE, trustedPrincipals: [COPIER] });
  sim.enforceIdentityPolicies(COPIER, [SHARE], catalog);
  sim.enforceIdentityPolicies(`arn:aws:iam::${FORENSIC}:role/${FORENSIC_ROLE}`, forensicRolePolicy(forensicKey, options.sourceAccountIds), catalog);
  const clients = sim.clientFactory({ principal: COPIER, memberRoleName: FORENSIC_ROLE, roleSessionName: 'copy-evidence' });
  return {
    sim,
    member: await clients.ec2({ account: MEMBER, region: REGION }),
    forensic: await clients.ec2({ account: FORENSIC, region: REGION }),
    forensicKey,
    instanceId: box.instanceId,
    ...(sourceKey ? { sourceKey } : {}),
  };
}

async function evidenceSnapshots(sim: SeededSimulatedAws, instanceId: string, tagged = true): Promise<string[]> {
  const admin = await sim.clientFactory().ec2({ account: MEMBER, region: REGION });
  const { Snapshots } = await admin.send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: instanceId }, ...(tagged ? { TagSpecifications: EVIDENCE_TAGS } : {}) }));
  return Snapshots!.map((s) => s.SnapshotId!);
}

const share = (snapshotId: string, extra: Record<string, unknown> = { UserIds: [FORENSIC] }) =>
  new ModifySnapshotAttributeCommand({ SnapshotId: snapshotId, Attribute: 'createVolumePermission', OperationType: 'add', ...extra });
const copy = (snapshotId: string, keyArn: string) =>
  new CopySnapshotCommand({
    SourceSnapshotId: snapshotId,
    SourceRegion: REGION,
    Encrypted: true,
    KmsKeyId: keyArn,
    TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'firebreak:source-snapshot', Value: snapshotId }] }],
  });

describe('sharing and copying evidence snapshots across accounts (simulated)', () => {
  let catalog: IamCatalog;
  beforeAll(async () => {
    catalog = await loadIamCatalog();
  });

  it('shares with the forensic account only, then copies there through the forensic role: a new snapshot owned by it, encrypted with its key, pending then completed; the source untouched', async () => {
    const { sim, member, forensic, forensicKey, instanceId } = await accounts(catalog);
    const [source] = await evidenceSnapshots(sim, instanceId);
    sim.advance(60_000);
    await member.send(share(source!));
    const attribute = await member.send(new DescribeSnapshotAttributeCommand({ SnapshotId: source!, Attribute: 'createVolumePermission' }));
    expect(attribute.CreateVolumePermissions).toEqual([{ UserId: FORENSIC }]);

    const copied = await forensic.send(copy(source!, forensicKey));
    const { Snapshots: [made] = [] } = await forensic.send(new DescribeSnapshotsCommand({ SnapshotIds: [copied.SnapshotId!] }));
    expect(made).toMatchObject({ OwnerId: FORENSIC, Encrypted: true, KmsKeyId: forensicKey, State: 'pending', VolumeId: 'vol-ffffffff' });
    expect(made?.Tags).toEqual([{ Key: 'firebreak:source-snapshot', Value: source }]);
    sim.advance(60_000);
    const { Snapshots: [done] = [] } = await forensic.send(new DescribeSnapshotsCommand({ SnapshotIds: [copied.SnapshotId!] }));
    expect(done?.State).toBe('completed');
    // The copy is the forensic account's: the member account does not see it; the source is still there.
    expect((await rejectionOf(member.send(new DescribeSnapshotsCommand({ SnapshotIds: [copied.SnapshotId!] })))).name).toBe('InvalidSnapshot.NotFound');
    expect(sim.snapshots().map((s) => s.snapshotId)).toContain(source);
    expect(sim.calls({ api: 'sts:AssumeRole', outcome: 'ok' })).toHaveLength(1);
    // Every condition of both policies was evaluated (the share's ec2:Add/*, the key's kms:ViaService and grant).
    expect(sim.authorizationFindings()).toEqual([]);
  });

  it('refuses the copy of a snapshot not shared with the forensic account, and of one still pending', async () => {
    const { sim, member, forensic, forensicKey, instanceId } = await accounts(catalog);
    const [source] = await evidenceSnapshots(sim, instanceId);
    expect((await rejectionOf(forensic.send(copy(source!, forensicKey)))).name).toBe('InvalidSnapshot.NotFound');
    await member.send(share(source!));
    expect((await rejectionOf(forensic.send(copy(source!, forensicKey)))).name).toBe('IncorrectState');
    sim.advance(60_000);
    await forensic.send(copy(source!, forensicKey));
  });

  it('IAM (the member role policy): no sharing with everyone, with another account, or of a snapshot that is not evidence', async () => {
    const { sim, member, instanceId } = await accounts(catalog);
    const [source] = await evidenceSnapshots(sim, instanceId);
    const [other] = await evidenceSnapshots(sim, instanceId, false);
    expect((await rejectionOf(member.send(share(source!, { GroupNames: ['all'] })))).name).toBe('UnauthorizedOperation');
    expect((await rejectionOf(member.send(share(source!, { UserIds: [FORENSIC], GroupNames: ['all'] })))).name).toBe('UnauthorizedOperation');
    expect((await rejectionOf(member.send(share(source!, { UserIds: ['444455556666'] })))).name).toBe('UnauthorizedOperation');
    expect((await rejectionOf(member.send(share(other!)))).name).toBe('UnauthorizedOperation');
    const { CreateVolumePermissions } = await member.send(new DescribeSnapshotAttributeCommand({ SnapshotId: source!, Attribute: 'createVolumePermission' }));
    expect(CreateVolumePermissions).toEqual([]);
  });

  it('EC2: a snapshot under the AWS-managed key (aws/ebs) is never shared, an encrypted one never made public; DryRun shares nothing; remove takes the permission back', async () => {
    const sim = new SeededSimulatedAws({ seed: 'snapshot-sharing-ec2', defaultAccount: MEMBER, defaultRegion: REGION });
    const box = sim.addInstance({ volumes: [{ device: '/dev/xvda', boot: true, encrypted: true }, { device: '/dev/sdf' }] });
    const ec2 = await sim.clientFactory().ec2({ account: MEMBER, region: REGION });
    const [encrypted, plain] = await evidenceSnapshots(sim, box.instanceId);
    const refused = await rejectionOf(ec2.send(share(encrypted!)));
    expect(refused.name).toBe('InvalidParameter');
    expect(refused.message).toContain('aws/ebs');
    expect((await rejectionOf(ec2.send(share(encrypted!, { GroupNames: ['all'] })))).name).toBe('InvalidParameter');
    expect((await rejectionOf(ec2.send(share(plain!, { GroupNames: ['everyone'] })))).name).toBe('InvalidParameterValue');
    expect((await rejectionOf(ec2.send(share(plain!, { UserIds: [FORENSIC], DryRun: true })))).name).toBe('DryRunOperation');
    const describe = async (id: string) => (await ec2.send(new DescribeSnapshotAttributeCommand({ SnapshotId: id, Attribute: 'createVolumePermission' }))).CreateVolumePermissions;
    expect(await describe(plain!)).toEqual([]);
    await ec2.send(share(plain!));
    expect(await describe(plain!)).toEqual([{ UserId: FORENSIC }]);
    await ec2.send(share(plain!, { OperationType: 'remove', UserIds: [FORENSIC] }));
    expect(await describe(plain!)).toEqual([]);
    const { Snapshots } = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [encrypted!] }));
    expect(Snapshots?.[0]?.KmsKeyId).toMatch(new RegExp(`^arn:aws:kms:${REGION}:${MEMBER}:key/`));
  });

  it('KMS: a source under a customer key the forensic account may not use is refused; allowed by the key policy and the role (sourceAccountIds), it is copied', async () => {
    const denied = await accounts(catalog, { sourceKey: { usableByForensic: false }, sourceAccountIds: [MEMBER] });
    const [, deniedSource] = await evidenceSnapshots(denied.sim, denied.instanceId);
    denied.sim.advance(60_000);
    await denied.member.send(share(deniedSource!));
    const refused = await rejectionOf(denied.forensic.send(copy(deniedSource!, denied.forensicKey)));
    expect(refused.name).toBe('UnauthorizedOperation');
    expect(refused.message).toContain(denied.sourceKey);

    // The key policy lets the forensic account, but the role has no statement for member keys (no sourceAccountIds).
    const noGrant = await accounts(catalog, { sourceKey: { usableByForensic: true } });
    const [, noGrantSource] = await evidenceSnapshots(noGrant.sim, noGrant.instanceId);
    noGrant.sim.advance(60_000);
    await noGrant.member.send(share(noGrantSource!));
    const denial = await rejectionOf(noGrant.forensic.send(copy(noGrantSource!, noGrant.forensicKey)));
    expect(denial.name).toBe('UnauthorizedOperation');
    expect(denial.message).toContain('kms:');

    const allowed = await accounts(catalog, { sourceKey: { usableByForensic: true }, sourceAccountIds: [MEMBER] });
    const [, source] = await evidenceSnapshots(allowed.sim, allowed.instanceId);
    allowed.sim.advance(60_000);
    await allowed.member.send(share(source!));
    const copied = await allowed.forensic.send(copy(source!, allowed.forensicKey));
    const { Snapshots } = await allowed.forensic.send(new DescribeSnapshotsCommand({ SnapshotIds: [copied.SnapshotId!] }));
    expect(Snapshots?.[0]).toMatchObject({ Encrypted: true, KmsKeyId: allowed.forensicKey, OwnerId: FORENSIC });
  });

  it('the forensic role may use its own key only: a copy to another key of the forensic account is denied', async () => {
    const { sim, member, forensic, instanceId } = await accounts(catalog);
    const otherKey = sim.addSymmetricKey({ account: FORENSIC, region: REGION });
    const [source] = await evidenceSnapshots(sim, instanceId);
    sim.advance(60_000);
    await member.send(share(source!));
    const denied = await rejectionOf(forensic.send(copy(source!, otherKey)));
    expect(denied.name).toBe('UnauthorizedOperation');
    expect(denied.message).toContain(otherKey);
  });

  describe('untagAfterShare (a drill opted out mid-copy)', () => {
    const OPT_IN = 'firebreak:gameday-target';
    async function optedIn(sim: SeededSimulatedAws, instanceId: string): Promise<() => Promise<boolean>> {
      const admin = await sim.clientFactory().ec2({ account: MEMBER, region: REGION });
      await admin.send(new CreateTagsCommand({ Resources: [instanceId], Tags: [{ Key: OPT_IN, Value: 'true' }] }));
      return async () => {
        const { Reservations = [] } = await admin.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
        return (Reservations[0]?.Instances?.[0]?.Tags ?? []).some((tag) => tag.Key === OPT_IN);
      };
    }

    it('takes the tag off right after a share of one of the instance\'s snapshots, once', async () => {
      const { sim, member, instanceId } = await accounts(catalog);
      const [root, data] = await evidenceSnapshots(sim, instanceId);
      const tagged = await optedIn(sim, instanceId);
      sim.untagAfterShare(instanceId, OPT_IN);
      await member.send(share(root!));
      expect(await tagged()).toBe(false);
      // Armed once: put back, it stays through the next share.
      const admin = await sim.clientFactory().ec2({ account: MEMBER, region: REGION });
      await admin.send(new CreateTagsCommand({ Resources: [instanceId], Tags: [{ Key: OPT_IN, Value: 'true' }] }));
      await member.send(share(data!));
      expect(await tagged()).toBe(true);
    });

    it('leaves the tag through a dry-run share, a removal, and a share of another instance\'s snapshot', async () => {
      const { sim, member, instanceId } = await accounts(catalog);
      const [root] = await evidenceSnapshots(sim, instanceId);
      const other = sim.addInstance({ volumes: [{ device: '/dev/xvda', boot: true }] });
      const [elsewhere] = await evidenceSnapshots(sim, other.instanceId);
      const tagged = await optedIn(sim, instanceId);
      sim.untagAfterShare(instanceId, OPT_IN);
      await rejectionOf(member.send(share(root!, { UserIds: [FORENSIC], DryRun: true })));
      const admin = await sim.clientFactory().ec2({ account: MEMBER, region: REGION });
      await admin.send(new ModifySnapshotAttributeCommand({ SnapshotId: root!, Attribute: 'createVolumePermission', OperationType: 'remove', UserIds: [FORENSIC] }));
      await member.send(share(elsewhere!));
      expect(await tagged()).toBe(true);
    });

    it('untagAfterCopy takes the tag off right after a copy of one of the instance\'s snapshots, not at its share, once', async () => {
      const { sim, member, forensic, forensicKey, instanceId } = await accounts(catalog);
      const [root, data] = await evidenceSnapshots(sim, instanceId);
      sim.advance(60_000);
      const tagged = await optedIn(sim, instanceId);
      sim.untagAfterCopy(instanceId, OPT_IN);
      await member.send(share(root!));
      expect(await tagged()).toBe(true);
      await forensic.send(copy(root!, forensicKey));
      expect(await tagged()).toBe(false);
      const admin = await sim.clientFactory().ec2({ account: MEMBER, region: REGION });
      await admin.send(new CreateTagsCommand({ Resources: [instanceId], Tags: [{ Key: OPT_IN, Value: 'true' }] }));
      await member.send(share(data!));
      await forensic.send(copy(data!, forensicKey));
      expect(await tagged()).toBe(true);
    });
  });
});
