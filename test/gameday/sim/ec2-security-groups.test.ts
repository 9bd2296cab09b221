import { describe, expect, it } from 'vitest';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { ec2World, rejectionOf } from './fixtures';

const SSH = { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] };

describe('simulated EC2 security groups', () => {
  // https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html
  // ("By default, a new security group ... has an outbound rule that allows all outbound IPv4 traffic")
  it('gives a new group the default allow-all IPv4 egress rule and no ingress rule', async () => {
    const { sim, ec2 } = await ec2World();
    const vpc = sim.addVpc();
    const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'isolation', Description: 'no traffic', VpcId: vpc.id }));

    const { SecurityGroups } = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [GroupId as string] }));

    expect(SecurityGroups?.[0]?.IpPermissions).toEqual([]);
    expect(SecurityGroups?.[0]?.IpPermissionsEgress).toEqual([
      { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] },
    ]);
  });

  // Same page: in a VPC with an IPv6 block the default outbound rules also allow all IPv6 traffic.
  it('also allows all IPv6 egress on a new group when the VPC has an IPv6 block, and both rules can be revoked', async () => {
    const { sim, ec2 } = await ec2World();
    const vpc = sim.addVpc({ ipv6Cidr: '2600:1f18:abcd:1200::/56' });
    const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'isolation', Description: 'no traffic', VpcId: vpc.id }));
    const group = GroupId as string;

    const egress = sim.securityGroup(group)?.egress.map((rule) => [rule.protocol, rule.peer]);
    await ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: group, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }));
    await ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: group, IpPermissions: [{ IpProtocol: '-1', Ipv6Ranges: [{ CidrIpv6: '::/0' }] }] }));

    expect(egress).toEqual([
      ['-1', '0.0.0.0/0'],
      ['-1', '::/0'],
    ]);
    expect(sim.securityGroup(group)?.egress).toEqual([]);
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html
  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html (InvalidGroup.Duplicate)
  it('refuses a second group of the same name in a VPC with InvalidGroup.Duplicate, and allows the name in another VPC', async () => {
    const { sim, ec2 } = await ec2World();
    const first = sim.addVpc();
    const second = sim.addVpc({ cidr: '10.1.0.0/16' });
    await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'firebreak-isolation', Description: 'x', VpcId: first.id }));

    const error = await rejectionOf(
      ec2.send(new CreateSecurityGroupCommand({ GroupName: 'Firebreak-Isolation', Description: 'x', VpcId: first.id })),
    );
    const other = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'firebreak-isolation', Description: 'x', VpcId: second.id }));

    expect(error.name).toBe('InvalidGroup.Duplicate');
    expect(error.message).toBe(`The security group 'Firebreak-Isolation' already exists for VPC '${first.id}'`);
    expect(error.$fault).toBe('client');
    expect(other.GroupId).toMatch(/^sg-[0-9a-f]{17}$/);
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AuthorizeSecurityGroupIngress.html
  it('refuses an ingress rule that already exists with InvalidPermission.Duplicate', async () => {
    const { sim, ec2 } = await ec2World();
    const vpc = sim.addVpc();
    const group = sim.addSecurityGroup({ vpcId: vpc.id, name: 'web' });
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: group, IpPermissions: [SSH] }));

    const error = await rejectionOf(ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: group, IpPermissions: [SSH] })));

    expect(error.name).toBe('InvalidPermission.Duplicate');
    expect(error.message).toBe('the specified rule "peer: 10.0.0.0/8, TCP, from port: 22, to port: 22, ALLOW" already exists');
    expect(sim.securityGroup(group)?.ingress).toHaveLength(1);
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RevokeSecurityGroupEgress.html
  it('revokes the default egress rule, leaving a group with no rule in either direction', async () => {
    const { sim, ec2 } = await ec2World();
    const vpc = sim.addVpc();
    const group = sim.addSecurityGroup({ vpcId: vpc.id, name: 'isolation' });

    const answer = await ec2.send(
      new RevokeSecurityGroupEgressCommand({ GroupId: group, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }),
    );

    expect(answer.Return).toBe(true);
    expect(answer.UnknownIpPermissions).toBeUndefined();
    expect(answer.RevokedSecurityGroupRules?.[0]).toMatchObject({ GroupId: group, IsEgress: true, IpProtocol: '-1', CidrIpv4: '0.0.0.0/0' });
    expect(sim.securityGroup(group)).toMatchObject({ ingress: [], egress: [] });
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RevokeSecurityGroupIngress.html
  // ("For a non-default VPC ... an InvalidPermission.NotFound client error is returned, and no rules are revoked.")
  it('refuses to revoke a rule that does not exist in a non-default VPC, and revokes nothing of the request', async () => {
    const { sim, ec2 } = await ec2World();
    const vpc = sim.addVpc();
    const group = sim.addSecurityGroup({ vpcId: vpc.id, name: 'web', ingress: [SSH] });
    const https = { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] };

    const error = await rejectionOf(ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: group, IpPermissions: [SSH, https] })));

    expect(error.name).toBe('InvalidPermission.NotFound');
    expect(sim.securityGroup(group)?.ingress).toHaveLength(1);
  });

  // Same page: ("For a default VPC, if the values you specify do not match the existing rule's values, no error
  // is returned, and the output describes the security group rules that were not revoked.")
  it('reports a rule that does not exist in the default VPC as UnknownIpPermissions and revokes the others', async () => {
    const { sim, ec2 } = await ec2World();
    const vpc = sim.addVpc({ isDefault: true });
    const group = sim.addSecurityGroup({ vpcId: vpc.id, name: 'web', ingress: [SSH] });
    const https = { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] };

    const answer = await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: group, IpPermissions: [SSH, https] }));

    expect(answer.Return).toBe(true);
    expect(answer.UnknownIpPermissions).toEqual([
      { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] },
    ]);
    expect(sim.securityGroup(group)?.ingress).toEqual([]);
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSecurityGroup.html
  it('refuses to delete a group a network interface still uses (DependencyViolation), and deletes an unused one', async () => {
    const { sim, ec2 } = await ec2World();
    const vpc = sim.addVpc();
    const used = sim.addSecurityGroup({ vpcId: vpc.id, name: 'used' });
    const unused = sim.addSecurityGroup({ vpcId: vpc.id, name: 'unused' });
    sim.addInstance({ vpcId: vpc.id, enis: [{ groupIds: [used] }] });

    const error = await rejectionOf(ec2.send(new DeleteSecurityGroupCommand({ GroupId: used })));
    await ec2.send(new DeleteSecurityGroupCommand({ GroupId: unused }));

    expect(error.name).toBe('DependencyViolation');
    expect(sim.securityGroup(used)).toBeDefined();
    expect(sim.securityGroup(unused)).toBeUndefined();
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html
  // (tagging on create needs ec2:CreateTags as well as the create action)
  it('needs ec2:CreateTags as well to create a group with TagSpecifications', async () => {
    const { sim, ec2 } = await ec2World();
    const vpc = sim.addVpc();
    sim.denyActions(['ec2:CreateTags']);
    const tagged = { ResourceType: 'security-group' as const, Tags: [{ Key: 'firebreak:role', Value: 'isolation' }] };

    const error = await rejectionOf(
      ec2.send(new CreateSecurityGroupCommand({ GroupName: 'isolation', Description: 'x', VpcId: vpc.id, TagSpecifications: [tagged] })),
    );
    const untagged = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'isolation', Description: 'x', VpcId: vpc.id }));

    expect(error.name).toBe('UnauthorizedOperation');
    expect(untagged.GroupId).toBeDefined();
  });
});

// https://docs.aws.amazon.com/vpc/latest/userguide/security-group-sharing.html: a shared VPC's owner
// shares groups with participants, who list them and may use them for their ENIs, never change them.
describe('simulated EC2 security groups shared into a VPC (review-9b)', () => {
  it('lists a group another account shares under its owner\'s OwnerId, never lets the participant change it, and keeps its name free for the participant', async () => {
    const { sim, ec2 } = await ec2World();
    const vpc = sim.addVpc();
    const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'firebreak-isolation', Description: 'the owner\'s', VpcId: vpc.id }));
    sim.shareSecurityGroupFrom(GroupId as string, '444455556666');

    const listed = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc.id] }, { Name: 'group-name', Values: ['firebreak-isolation'] }] }));
    const byId = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [GroupId as string] }));
    const change = await rejectionOf(ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: GroupId as string, IpPermissions: [SSH] })));
    const own = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'firebreak-isolation', Description: 'the participant\'s', VpcId: vpc.id }));

    expect(listed.SecurityGroups?.map((g) => [g.GroupId, g.OwnerId])).toEqual([[GroupId, '444455556666']]);
    expect(byId.SecurityGroups?.[0]?.OwnerId).toBe('444455556666');
    expect(change).toMatchObject({ name: expect.stringMatching(/^(InvalidGroup.NotFound|UnauthorizedOperation)$/) });
    expect(own.GroupId).not.toBe(GroupId);
  });
});
