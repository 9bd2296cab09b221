// Issue 8, point 6: isolation groups an attacker cannot spoof. A group named like Firebreak's is
// Firebreak's only with its tag AND only the rules Firebreak sets; an impostor is never used or
// changed, reported by id, and Firebreak isolates with a group of its own under a fresh name.
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import type { SecurityGroup } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { MANAGED_SECURITY_GROUP_TAG } from '../../lib/contracts/security';
import { MANAGED_SECURITY_GROUP_TAG as MEMBER_ACCOUNTS_TAG } from '../../lib/contracts/security';
import { ensureVpcGroups, findVpcGroups, impostorReason, purposeOfGroupName } from '../../lib/responders/isolation-groups';
import { inputsOf, sdkError } from './quarantine-fixtures';

const ec2Mock = mockClient(EC2Client);
afterEach(() => ec2Mock.reset());
const ec2 = new EC2Client({ region: 'eu-west-1' });

const VPC = 'vpc-0123456789abcdef0';
const ACCOUNT = '111122223333';
const IMPOSTOR = 'sg-0bad0000000000bad';
const OURS_UNTRACK = 'sg-0a1a000000000000a';
const OURS_ISOLATION = 'sg-0b1b000000000000b';
const TAGS = [
  { Key: 'firebreak:managed', Value: 'true' },
  { Key: 'firebreak:purpose', Value: 'isolation' },
];
const ALL_IN = [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'Firebreak' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] }];
const DEFAULT_EGRESS = [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }];
const SSH_IN = [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '203.0.113.7/32' }] }];

function group(id: string, name: string, overrides: Partial<SecurityGroup> = {}): SecurityGroup {
  return { GroupId: id, GroupName: name, VpcId: VPC, OwnerId: ACCOUNT, Tags: TAGS, IpPermissions: [], IpPermissionsEgress: [], ...overrides };
}

/** The issue's attack: an untagged `firebreak-isolation` with one rule, created before Firebreak's. */
const ISSUE_IMPOSTOR = group(IMPOSTOR, 'firebreak-isolation', { Tags: [], IpPermissions: SSH_IN, IpPermissionsEgress: DEFAULT_EGRESS });

describe('the managed tag', () => {
  it('is one definition, in the contracts (the IAM scopes read it through member-accounts)', () => {
    expect(MANAGED_SECURITY_GROUP_TAG).toEqual({ key: 'firebreak:managed', value: 'true' });
    expect(MEMBER_ACCOUNTS_TAG).toBe(MANAGED_SECURITY_GROUP_TAG);
  });
});

describe('impostorReason', () => {
  it('recognises an isolation group that is tagged and holds no rule, or only the default egress Firebreak revokes', () => {
    expect(impostorReason({ Tags: TAGS }, 'isolation')).toBeUndefined();
    expect(impostorReason({ Tags: TAGS, IpPermissionsEgress: DEFAULT_EGRESS }, 'isolation')).toBeUndefined();
  });

  it('recognises an untrack group that is tagged and holds only the allow-all rules', () => {
    expect(impostorReason({ Tags: TAGS, IpPermissions: ALL_IN, IpPermissionsEgress: DEFAULT_EGRESS }, 'untrack')).toBeUndefined();
  });

  it('refuses an untagged group, whatever its rules', () => {
    expect(impostorReason({ Tags: [] }, 'isolation')).toBe('lacks the firebreak:managed=true tag Firebreak puts on its groups when it creates them');
    expect(impostorReason({ Tags: [{ Key: 'firebreak:managed', Value: 'false' }] }, 'isolation')).toContain('lacks the firebreak:managed=true tag');
  });

  it('refuses a tagged group with a rule Firebreak never sets, naming it', () => {
    expect(impostorReason({ Tags: TAGS, IpPermissions: SSH_IN }, 'isolation')).toBe(
      'carries the firebreak:managed tag but holds 1 rule(s) Firebreak never sets (inbound tcp 22-22 cidr 203.0.113.7/32)',
    );
    expect(impostorReason({ Tags: TAGS, IpPermissions: ALL_IN }, 'isolation')).toContain('holds 2 rule(s)');
    expect(impostorReason({ Tags: TAGS, IpPermissionsEgress: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '198.51.100.1/32' }] }] }, 'isolation')).toContain(
      'outbound tcp 443-443 cidr 198.51.100.1/32',
    );
    expect(impostorReason({ Tags: TAGS, IpPermissions: [...ALL_IN, ...SSH_IN] }, 'untrack')).toContain('holds 1 rule(s)');
  });

  it('reads only Firebreak\'s names: plain, or with an 8-hex suffix', () => {
    expect(purposeOfGroupName('firebreak-isolation')).toBe('isolation');
    expect(purposeOfGroupName('firebreak-untrack-0a1b2c3d')).toBe('untrack');
    expect(purposeOfGroupName('firebreak-isolation-x')).toBeUndefined();
    expect(purposeOfGroupName('web')).toBeUndefined();
  });
});

describe('findVpcGroups', () => {
  it('describes plain and suffixed names in one call, and sets an impostor apart instead of returning it', async () => {
    ec2Mock.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [ISSUE_IMPOSTOR] });
    const groups = (await findVpcGroups(ec2, ACCOUNT, [VPC])).get(VPC);
    expect(inputsOf(ec2Mock, DescribeSecurityGroupsCommand)).toEqual([
      {
        Filters: [
          { Name: 'vpc-id', Values: [VPC] },
          { Name: 'group-name', Values: ['firebreak-untrack', 'firebreak-untrack-*', 'firebreak-isolation', 'firebreak-isolation-*'] },
        ],
      },
    ]);
    expect(groups?.isolation).toBeUndefined();
    expect(groups?.impostors).toEqual([
      { groupId: IMPOSTOR, groupName: 'firebreak-isolation', vpcId: VPC, purpose: 'isolation', why: expect.stringContaining('lacks the firebreak:managed=true tag') as unknown },
    ]);
  });

  it('returns its own suffixed group beside the impostor that holds the plain name', async () => {
    ec2Mock.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [ISSUE_IMPOSTOR, group(OURS_ISOLATION, 'firebreak-isolation-0a1b2c3d')] });
    const groups = (await findVpcGroups(ec2, ACCOUNT, [VPC])).get(VPC);
    expect(groups?.isolation).toMatchObject({ groupId: OURS_ISOLATION, groupName: 'firebreak-isolation-0a1b2c3d', managed: true });
    expect(groups?.impostors?.map((i) => i.groupId)).toEqual([IMPOSTOR]);
  });

  it("ATTACK (review-members): a group another account owns (shared into the VPC) is an impostor, however Firebreak-like its name, tag and rules; its own account's is not", async () => {
    ec2Mock.on(DescribeSecurityGroupsCommand).resolves({
      SecurityGroups: [group(IMPOSTOR, 'firebreak-isolation', { OwnerId: '444455556666' }), group(OURS_ISOLATION, 'firebreak-isolation-0a1b2c3d', { OwnerId: ACCOUNT })],
    });
    const groups = (await findVpcGroups(ec2, ACCOUNT, [VPC])).get(VPC);
    expect(groups?.isolation).toMatchObject({ groupId: OURS_ISOLATION });
    expect(groups?.impostors).toEqual([
      {
        groupId: IMPOSTOR,
        groupName: 'firebreak-isolation',
        vpcId: VPC,
        purpose: 'isolation',
        why: `is owned by account 444455556666, not ${ACCOUNT} where the instance is (a group shared into the VPC by its owner): that account sets its rules, whatever they are now`,
      },
    ]);
  });

  it('tried (review-members): a group EC2 gives no owner for is not known to be the account’s, and is not used', async () => {
    ec2Mock.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [group(OURS_ISOLATION, 'firebreak-isolation', { OwnerId: undefined })] });
    const groups = (await findVpcGroups(ec2, ACCOUNT, [VPC])).get(VPC);
    expect(groups?.isolation).toBeUndefined();
    expect(groups?.impostors?.map((i) => i.why)).toEqual([expect.stringContaining('is owned by account unknown')]);
  });
});

describe('ensureVpcGroups with an impostor in the VPC', () => {
  const naming = { newSuffix: () => 'abcd1234' };

  function givenCreates(): void {
    ec2Mock.on(CreateSecurityGroupCommand, { GroupName: 'firebreak-untrack' }).resolves({ GroupId: OURS_UNTRACK });
    ec2Mock.on(CreateSecurityGroupCommand, { GroupName: 'firebreak-isolation-abcd1234' }).resolves({ GroupId: OURS_ISOLATION });
    ec2Mock.on(RevokeSecurityGroupEgressCommand).resolves({ Return: true });
    ec2Mock.on(AuthorizeSecurityGroupIngressCommand).resolves({ Return: true });
  }

  it('creates its own isolation group under a suffixed name, never touches the impostor, and reports it by id', async () => {
    givenCreates();
    const ensured = await ensureVpcGroups(ec2, 'enforce', ACCOUNT, { vpcId: VPC, impostors: [{ groupId: IMPOSTOR, groupName: 'firebreak-isolation', vpcId: VPC, purpose: 'isolation', why: 'lacks the tag' }] }, naming);
    expect(inputsOf(ec2Mock, CreateSecurityGroupCommand)).toEqual([
      {
        GroupName: 'firebreak-untrack',
        Description: 'Firebreak containment: allows all traffic so that tracked connections become untracked before isolation',
        VpcId: VPC,
        TagSpecifications: [
          {
            ResourceType: 'security-group',
            Tags: [
              { Key: 'Name', Value: 'firebreak-untrack' },
              { Key: 'firebreak:managed', Value: 'true' },
              { Key: 'firebreak:purpose', Value: 'untrack' },
            ],
          },
        ],
      },
      {
        GroupName: 'firebreak-isolation-abcd1234',
        Description: 'Firebreak containment: no inbound and no outbound rules, isolates quarantined instances',
        VpcId: VPC,
        TagSpecifications: [
          {
            ResourceType: 'security-group',
            Tags: [
              { Key: 'Name', Value: 'firebreak-isolation-abcd1234' },
              { Key: 'firebreak:managed', Value: 'true' },
              { Key: 'firebreak:purpose', Value: 'isolation' },
            ],
          },
        ],
      },
    ]);
    expect(inputsOf(ec2Mock, RevokeSecurityGroupEgressCommand)).toEqual([
      { GroupId: OURS_ISOLATION, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] },
      { GroupId: OURS_ISOLATION, IpPermissions: [{ IpProtocol: '-1', Ipv6Ranges: [{ CidrIpv6: '::/0' }] }] },
    ]);
    const touched = ec2Mock.calls().map((call) => JSON.stringify(call.args[0].input));
    expect(touched.filter((input) => input.includes(IMPOSTOR))).toEqual([]);
    expect(ec2Mock.commandCalls(RevokeSecurityGroupIngressCommand)).toHaveLength(0);
    expect(ensured).toMatchObject({ untrackGroupId: OURS_UNTRACK, isolationGroupId: OURS_ISOLATION });
    expect(ensured.actions[0]).toEqual({
      api: 'firebreak:ignore-impostor-group',
      target: IMPOSTOR,
      outcome: 'skipped',
      detail: `IMPOSTOR security group ${IMPOSTOR} named firebreak-isolation in ${VPC}: it lacks the tag. Firebreak did not use or change it, and isolates with an isolation group of its own`,
    });
  });

  it('reuses its own ready groups with no call, and still reports the impostor', async () => {
    const ours = (await (async () => {
      ec2Mock.on(DescribeSecurityGroupsCommand).resolves({
        SecurityGroups: [ISSUE_IMPOSTOR, group(OURS_UNTRACK, 'firebreak-untrack', { IpPermissions: ALL_IN }), group(OURS_ISOLATION, 'firebreak-isolation-abcd1234')],
      });
      return findVpcGroups(ec2, ACCOUNT, [VPC]);
    })()).get(VPC)!;
    ec2Mock.resetHistory();
    const ensured = await ensureVpcGroups(ec2, 'enforce', ACCOUNT, ours, naming);
    expect(ec2Mock.calls()).toHaveLength(0);
    expect(ensured).toMatchObject({ untrackGroupId: OURS_UNTRACK, isolationGroupId: OURS_ISOLATION });
    expect(ensured.actions.map((a) => a.api)).toEqual(['firebreak:ignore-impostor-group', 'ec2:DescribeSecurityGroups']);
  });

  it('uses a genuine group under the plain name and reports nothing (the check above can pass)', async () => {
    ec2Mock.on(DescribeSecurityGroupsCommand).resolves({
      SecurityGroups: [group(OURS_UNTRACK, 'firebreak-untrack', { IpPermissions: ALL_IN, IpPermissionsEgress: DEFAULT_EGRESS }), group(OURS_ISOLATION, 'firebreak-isolation')],
    });
    const ours = (await findVpcGroups(ec2, ACCOUNT, [VPC])).get(VPC)!;
    expect(ours.impostors).toBeUndefined();
    const ensured = await ensureVpcGroups(ec2, 'enforce', ACCOUNT, ours, naming);
    expect(ensured.isolationGroupId).toBe(OURS_ISOLATION);
    expect(ensured.actions.map((a) => a.api)).toEqual(['ec2:DescribeSecurityGroups']);
  });

  it('takes a fresh name when an impostor takes the plain name between describe and create', async () => {
    ec2Mock.on(CreateSecurityGroupCommand, { GroupName: 'firebreak-isolation' }).rejects(sdkError('InvalidGroup.Duplicate'));
    ec2Mock.on(CreateSecurityGroupCommand, { GroupName: 'firebreak-isolation-abcd1234' }).resolves({ GroupId: OURS_ISOLATION });
    ec2Mock.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [ISSUE_IMPOSTOR] });
    ec2Mock.on(RevokeSecurityGroupEgressCommand).resolves({ Return: true });
    const ours = { vpcId: VPC, untrack: { groupId: OURS_UNTRACK, vpcId: VPC, purpose: 'untrack' as const, groupName: 'firebreak-untrack', managed: true, ingress: ALL_IN, egress: DEFAULT_EGRESS } };
    const ensured = await ensureVpcGroups(ec2, 'enforce', ACCOUNT, ours, naming);
    expect(inputsOf<{ GroupName: string }>(ec2Mock, CreateSecurityGroupCommand).map((c) => c.GroupName)).toEqual(['firebreak-isolation', 'firebreak-isolation-abcd1234']);
    expect(inputsOf(ec2Mock, DescribeSecurityGroupsCommand)).toEqual([
      { Filters: [{ Name: 'vpc-id', Values: [VPC] }, { Name: 'group-name', Values: ['firebreak-isolation', 'firebreak-isolation-*'] }] },
    ]);
    expect(ensured.isolationGroupId).toBe(OURS_ISOLATION);
    expect(ensured.actions).toContainEqual(expect.objectContaining({ api: 'firebreak:ignore-impostor-group', target: IMPOSTOR }));
  });

  it('in dry-run, probes the creation under the suffixed name and changes nothing', async () => {
    ec2Mock.on(CreateSecurityGroupCommand).rejects(sdkError('DryRunOperation', 412));
    const ensured = await ensureVpcGroups(ec2, 'dry-run', ACCOUNT, { vpcId: VPC, impostors: [{ groupId: IMPOSTOR, groupName: 'firebreak-isolation', vpcId: VPC, purpose: 'isolation', why: 'lacks the tag' }] }, naming);
    expect(inputsOf<{ GroupName: string; DryRun?: boolean }>(ec2Mock, CreateSecurityGroupCommand).map((c) => [c.GroupName, c.DryRun])).toEqual([
      ['firebreak-untrack', true],
      ['firebreak-isolation-abcd1234', true],
    ]);
    expect(ensured.isolationGroupId).toBeUndefined();
  });
});
