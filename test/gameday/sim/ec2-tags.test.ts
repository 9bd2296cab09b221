import { describe, expect, it } from 'vitest';
import { CreateTagsCommand, DeleteTagsCommand, DescribeSecurityGroupsCommand, DescribeTagsCommand } from '@aws-sdk/client-ec2';
import { ec2World, rejectionOf } from './fixtures';

describe('simulated EC2 tags', () => {
  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateTags.html
  it('tags several kinds of resources in one call', async () => {
    const { sim, ec2 } = await ec2World();
    const box = sim.addInstance();
    const Tags = [{ Key: 'firebreak:incident', Value: 'inc-1' }];

    await ec2.send(new CreateTagsCommand({ Resources: [box.instanceId, box.volumeIds[0] as string, box.networkInterfaceIds[0] as string], Tags }));
    const { Tags: described } = await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'key', Values: ['firebreak:incident'] }] }));

    expect(described?.map((t) => [t.ResourceType, t.ResourceId, t.Value])).toEqual([
      ['instance', box.instanceId, 'inc-1'],
      ['volume', box.volumeIds[0], 'inc-1'],
      ['network-interface', box.networkInterfaceIds[0], 'inc-1'],
    ]);
  });

  // Same page and https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html: each kind of
  // resource answers its own NotFound code, and nothing is tagged when one resource is missing.
  it('answers the NotFound code of the missing resource kind, and tags none of the resources', async () => {
    const { sim, ec2 } = await ec2World();
    const box = sim.addInstance();
    const tag = (id: string) => rejectionOf(ec2.send(new CreateTagsCommand({ Resources: [box.instanceId, id], Tags: [{ Key: 'k', Value: 'v' }] })));

    const codes = [
      (await tag('vol-0123456789abcdef0')).name,
      (await tag('snap-0123456789abcdef0')).name,
      (await tag('sg-0123456789abcdef0')).name,
      (await tag('eni-0123456789abcdef0')).name,
      (await tag('i-0123456789abcdef0')).name,
      (await tag('ami-0123456789abcdef0')).name,
    ];

    expect(codes).toEqual([
      'InvalidVolume.NotFound',
      'InvalidSnapshot.NotFound',
      'InvalidGroup.NotFound',
      'InvalidNetworkInterfaceID.NotFound',
      'InvalidInstanceID.NotFound',
      'InvalidID',
    ]);
    expect(sim.tagsOf(box.instanceId)).toEqual({});
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions (aws: prefix reserved)
  it('refuses tag keys with the reserved aws: prefix', async () => {
    const { sim, ec2 } = await ec2World();
    const box = sim.addInstance();

    const error = await rejectionOf(ec2.send(new CreateTagsCommand({ Resources: [box.instanceId], Tags: [{ Key: 'aws:owner', Value: 'x' }] })));

    expect(error.name).toBe('InvalidParameterValue');
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteTags.html ("If you specify a tag key with a
  // value, we delete the tag only if its value matches ... without a value, we delete the tag regardless of its value.")
  it('deletes a tag with a value only when the value matches, and a key alone whatever its value', async () => {
    const { sim, ec2 } = await ec2World();
    const box = sim.addInstance({ tags: { 'firebreak:status': 'quarantined', 'firebreak:incident': 'inc-1', Name: 'web' } });
    const Resources = [box.instanceId];

    await ec2.send(new DeleteTagsCommand({ Resources, Tags: [{ Key: 'firebreak:status', Value: 'released' }] }));
    const afterMismatch = sim.tagsOf(box.instanceId);
    await ec2.send(new DeleteTagsCommand({ Resources, Tags: [{ Key: 'firebreak:status', Value: 'quarantined' }, { Key: 'firebreak:incident' }] }));

    expect(afterMismatch).toEqual({ 'firebreak:incident': 'inc-1', 'firebreak:status': 'quarantined', Name: 'web' });
    expect(sim.tagsOf(box.instanceId)).toEqual({ Name: 'web' });
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSecurityGroups.html (filters vpc-id,
  // group-name, tag:<key>)
  it('finds groups by VPC, name and tag, as a responder looks for the isolation group it made before', async () => {
    const { sim, ec2 } = await ec2World();
    const vpc = sim.addVpc();
    const other = sim.addVpc({ cidr: '10.1.0.0/16' });
    const isolation = sim.addSecurityGroup({ vpcId: vpc.id, name: 'firebreak-isolation', tags: { 'firebreak:role': 'isolation' } });
    sim.addSecurityGroup({ vpcId: other.id, name: 'firebreak-isolation', tags: { 'firebreak:role': 'isolation' } });

    const { SecurityGroups } = await ec2.send(
      new DescribeSecurityGroupsCommand({
        Filters: [
          { Name: 'vpc-id', Values: [vpc.id] },
          { Name: 'group-name', Values: ['firebreak-isolation', 'firebreak-untrack'] },
          { Name: 'tag:firebreak:role', Values: ['isolation'] },
        ],
      }),
    );

    expect(SecurityGroups?.map((g) => g.GroupId)).toEqual([isolation]);
  });
});
