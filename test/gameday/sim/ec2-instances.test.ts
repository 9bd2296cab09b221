import { describe, expect, it } from 'vitest';
import {
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeRegionsCommand,
  DescribeInstanceTypesCommand,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { ACCOUNT, REGION, ec2World, rejectionOf } from './fixtures';

describe('simulated EC2 instances', () => {
  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeRegions.html
  it('FIDELITY (holders-regions): lists the regions enabled for the account, and each region describes its own instances only (a role is global, EC2 is not)', async () => {
    const { sim, ec2 } = await ec2World();
    const here = sim.addInstance({ instanceProfile: 'shared-role', tags: { Name: 'here' } });
    const there = sim.addInstance({ region: 'af-south-1', instanceProfile: 'shared-role', tags: { Name: 'there' } });
    const { Regions } = await ec2.send(new DescribeRegionsCommand({ AllRegions: false }));
    expect(Regions?.map((region) => region.RegionName)).toEqual(expect.arrayContaining([REGION, 'eu-west-1', 'us-west-2', 'af-south-1']));
    expect(Regions).toHaveLength(18);
    expect(Regions?.find((region) => region.RegionName === 'af-south-1')).toMatchObject({ OptInStatus: 'opted-in', Endpoint: 'ec2.af-south-1.amazonaws.com' });
    const byProfile = { Filters: [{ Name: 'iam-instance-profile.arn', Values: [`arn:aws:iam::${ACCOUNT}:instance-profile/shared-role`] }] };
    const ids = async (client: typeof ec2) => ((await client.send(new DescribeInstancesCommand(byProfile))).Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId);
    expect(await ids(ec2)).toEqual([here.instanceId]);
    expect(await ids(await sim.clientFactory().ec2({ account: ACCOUNT, region: 'af-south-1' }))).toEqual([there.instanceId]);
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstances.html
  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_InstanceNetworkInterface.html
  it('describes every network interface with its own groups, plus the profile, the EBS volumes and the tags', async () => {
    const { sim, ec2 } = await ec2World();
    const vpc = sim.addVpc();
    const web = sim.addSecurityGroup({ vpcId: vpc.id, name: 'web' });
    const admin = sim.addSecurityGroup({ vpcId: vpc.id, name: 'admin' });
    const box = sim.addInstance({
      vpcId: vpc.id,
      type: 'm5.large',
      enis: [{ groupIds: [web], privateIp: '10.0.1.20' }, { groupIds: [admin, web] }],
      volumes: [
        { device: '/dev/xvda', sizeGiB: 8, boot: true },
        { device: '/dev/sdf', sizeGiB: 100 },
      ],
      instanceProfile: 'web-role',
      tags: { Name: 'web-1', env: 'prod' },
    });

    const { Reservations } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [box.instanceId] }));
    const instance = Reservations?.[0]?.Instances?.[0];

    expect(instance).toMatchObject({
      InstanceId: box.instanceId,
      InstanceType: 'm5.large',
      State: { Code: 16, Name: 'running' },
      VpcId: vpc.id,
      SubnetId: box.subnetId,
      PrivateIpAddress: '10.0.1.20',
      RootDeviceName: '/dev/xvda',
      RootDeviceType: 'ebs',
      Placement: { AvailabilityZone: 'us-east-1a' },
      IamInstanceProfile: { Arn: `arn:aws:iam::${ACCOUNT}:instance-profile/web-role` },
      Tags: [
        { Key: 'Name', Value: 'web-1' },
        { Key: 'env', Value: 'prod' },
      ],
      // The instance-level groups are the primary interface's.
      SecurityGroups: [{ GroupId: web, GroupName: 'web' }],
    });
    expect(instance?.NetworkInterfaces?.map((eni) => [eni.NetworkInterfaceId, eni.Attachment?.DeviceIndex, eni.Groups])).toEqual([
      [box.networkInterfaceIds[0], 0, [{ GroupId: web, GroupName: 'web' }]],
      [
        box.networkInterfaceIds[1],
        1,
        [
          { GroupId: admin, GroupName: 'admin' },
          { GroupId: web, GroupName: 'web' },
        ],
      ],
    ]);
    expect(instance?.BlockDeviceMappings?.map((m) => [m.DeviceName, m.Ebs?.VolumeId, m.Ebs?.DeleteOnTermination])).toEqual([
      ['/dev/xvda', box.volumeIds[0], true],
      ['/dev/sdf', box.volumeIds[1], false],
    ]);
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
  // (InvalidInstanceID.NotFound, InvalidInstanceID.Malformed)
  it('answers InvalidInstanceID.NotFound for an unknown id, such as a GuardDuty sample placeholder, and .Malformed for a malformed one', async () => {
    const { ec2 } = await ec2World();

    const notFound = await rejectionOf(ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-99999999'] })));
    const malformed = await rejectionOf(ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-not-an-id'] })));

    expect([notFound.name, notFound.message]).toEqual(['InvalidInstanceID.NotFound', "The instance ID 'i-99999999' does not exist"]);
    expect(malformed.name).toBe('InvalidInstanceID.Malformed');
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Filtering.html
  it('filters by tag and by instance-state-name, and refuses an unknown filter name', async () => {
    const { sim, ec2 } = await ec2World();
    const running = sim.addInstance({ tags: { team: 'payments' } });
    sim.addInstance({ tags: { team: 'payments' }, state: 'stopped' });
    sim.addInstance({ tags: { team: 'search' } });

    const { Reservations } = await ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: 'tag:team', Values: ['pay*'] },
          { Name: 'instance-state-name', Values: ['running', 'pending'] },
        ],
      }),
    );
    const typo = await rejectionOf(ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state', Values: ['running'] }] })));

    expect(Reservations?.flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId)).toEqual([running.instanceId]);
    expect([typo.name, typo.message]).toEqual(['InvalidParameterValue', "The filter 'instance-state' is invalid"]);
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstances.html: block-device-mapping.volume-id
  it('filters by block-device-mapping.volume-id: the instances a volume is attached to (snapshot-volumes asks it in drills)', async () => {
    const { sim, ec2 } = await ec2World();
    const first = sim.addInstance({});
    const second = sim.addInstance({});
    const volume = first.volumeIds[0] ?? 'none';
    const { Reservations } = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'block-device-mapping.volume-id', Values: [volume] }] }));
    expect(Reservations?.flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId)).toEqual([first.instanceId]);
    expect(second.instanceId).not.toEqual(first.instanceId);
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyInstanceAttribute.html; the answer is quoted in
  // https://github.com/hashicorp/terraform/pull/14299 ("There are multiple interfaces attached to instance ...")
  it('refuses ModifyInstanceAttribute Groups on an instance with several network interfaces', async () => {
    const { sim, ec2 } = await ec2World();
    const vpc = sim.addVpc();
    const web = sim.addSecurityGroup({ vpcId: vpc.id, name: 'web' });
    const isolation = sim.addSecurityGroup({ vpcId: vpc.id, name: 'isolation' });
    const box = sim.addInstance({ vpcId: vpc.id, enis: [{ groupIds: [web] }, { groupIds: [web] }] });

    const error = await rejectionOf(ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: box.instanceId, Groups: [isolation] })));

    expect(error.name).toBe('InvalidInstanceID');
    expect(error.message).toBe(
      `There are multiple interfaces attached to instance '${box.instanceId}'. Please specify an interface ID for the operation instead.`,
    );
    expect(sim.instance(box.instanceId)?.networkInterfaces.map((eni) => eni.groupIds)).toEqual([[web], [web]]);
  });

  it('changes the groups of a single-interface instance with ModifyInstanceAttribute Groups', async () => {
    const { sim, ec2 } = await ec2World();
    const vpc = sim.addVpc();
    const web = sim.addSecurityGroup({ vpcId: vpc.id, name: 'web' });
    const isolation = sim.addSecurityGroup({ vpcId: vpc.id, name: 'isolation' });
    const box = sim.addInstance({ vpcId: vpc.id, enis: [{ groupIds: [web] }] });

    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: box.instanceId, Groups: [isolation] }));

    expect(sim.instance(box.instanceId)?.networkInterfaces.map((eni) => eni.groupIds)).toEqual([[isolation]]);
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyNetworkInterfaceAttribute.html
  it('changes the groups of one network interface with ModifyNetworkInterfaceAttribute, leaving the others as they were', async () => {
    const { sim, ec2 } = await ec2World();
    const vpc = sim.addVpc();
    const web = sim.addSecurityGroup({ vpcId: vpc.id, name: 'web' });
    const isolation = sim.addSecurityGroup({ vpcId: vpc.id, name: 'isolation' });
    const box = sim.addInstance({ vpcId: vpc.id, enis: [{ groupIds: [web] }, { groupIds: [web] }] });

    await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: box.networkInterfaceIds[1], Groups: [isolation] }));

    expect(sim.instance(box.instanceId)?.networkInterfaces.map((eni) => eni.groupIds)).toEqual([[web], [isolation]]);
  });

  // Same page: the groups must be in the interface's VPC; EC2 answers InvalidGroup.NotFound
  // ("The security group 'sg-…' does not exist in VPC 'vpc-…'").
  it('refuses a group of another VPC, or one that does not exist, for a network interface', async () => {
    const { sim, ec2 } = await ec2World();
    const vpc = sim.addVpc();
    const elsewhere = sim.addVpc({ cidr: '10.9.0.0/16' });
    const foreign = sim.addSecurityGroup({ vpcId: elsewhere.id, name: 'isolation' });
    const box = sim.addInstance({ vpcId: vpc.id });
    const eni = box.networkInterfaceIds[0];

    const otherVpc = await rejectionOf(ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni, Groups: [foreign] })));
    const missing = await rejectionOf(
      ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni, Groups: ['sg-0123456789abcdef0'] })),
    );

    expect([otherVpc.name, otherVpc.message]).toEqual(['InvalidGroup.NotFound', `The security group '${foreign}' does not exist in VPC '${vpc.id}'`]);
    expect([missing.name, missing.message]).toEqual(['InvalidGroup.NotFound', "The security group 'sg-0123456789abcdef0' does not exist"]);
    expect(sim.networkInterface(eni as string)?.groupIds).toEqual([vpc.defaultSecurityGroupId]);
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyInstanceAttribute.html ("one attribute per call")
  it('changes one attribute per ModifyInstanceAttribute call and refuses two (InvalidParameterCombination)', async () => {
    const { sim, ec2 } = await ec2World();
    const box = sim.addInstance();

    const error = await rejectionOf(
      ec2.send(
        new ModifyInstanceAttributeCommand({
          InstanceId: box.instanceId,
          DisableApiTermination: { Value: true },
          InstanceInitiatedShutdownBehavior: { Value: 'stop' },
        }),
      ),
    );

    expect(error.name).toBe('InvalidParameterCombination');
    expect(sim.instance(box.instanceId)?.disableApiTermination).toBe(false);
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstanceAttribute.html
  it('keeps the evidence protections: termination protection, shutdown behaviour and DeleteOnTermination per device', async () => {
    const { sim, ec2 } = await ec2World();
    const box = sim.addInstance({
      shutdownBehavior: 'terminate',
      volumes: [
        { device: '/dev/xvda', boot: true },
        { device: '/dev/sdf', deleteOnTermination: true },
      ],
    });
    const InstanceId = box.instanceId;

    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId, DisableApiTermination: { Value: true } }));
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId, InstanceInitiatedShutdownBehavior: { Value: 'stop' } }));
    await ec2.send(
      new ModifyInstanceAttributeCommand({
        InstanceId,
        BlockDeviceMappings: [
          { DeviceName: '/dev/xvda', Ebs: { DeleteOnTermination: false } },
          { DeviceName: '/dev/sdf', Ebs: { DeleteOnTermination: false } },
        ],
      }),
    );
    const termination = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId, Attribute: 'disableApiTermination' }));
    const shutdown = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId, Attribute: 'instanceInitiatedShutdownBehavior' }));
    const devices = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId, Attribute: 'blockDeviceMapping' }));
    const unmapped = await rejectionOf(
      ec2.send(new ModifyInstanceAttributeCommand({ InstanceId, BlockDeviceMappings: [{ DeviceName: '/dev/sdz', Ebs: { DeleteOnTermination: false } }] })),
    );

    expect(termination.DisableApiTermination).toEqual({ Value: true });
    expect(shutdown.InstanceInitiatedShutdownBehavior).toEqual({ Value: 'stop' });
    expect(devices.BlockDeviceMappings?.map((m) => [m.DeviceName, m.Ebs?.DeleteOnTermination])).toEqual([
      ['/dev/xvda', false],
      ['/dev/sdf', false],
    ]);
    expect(unmapped.name).toBe('InvalidInstanceAttributeValue');
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_TerminateInstances.html
  // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-termination-protection.html
  it('refuses TerminateInstances while termination protection is on (OperationNotPermitted), and terminates once it is off', async () => {
    const { sim, ec2 } = await ec2World();
    const box = sim.addInstance({ disableApiTermination: true });
    const InstanceId = box.instanceId;

    const refused = await rejectionOf(ec2.send(new TerminateInstancesCommand({ InstanceIds: [InstanceId] })));
    const stillRunning = sim.instance(InstanceId)?.state;
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId, DisableApiTermination: { Value: false } }));
    const { TerminatingInstances } = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [InstanceId] }));

    expect([refused.name, refused.message]).toEqual([
      'OperationNotPermitted',
      `The instance '${InstanceId}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.`,
    ]);
    expect(stillRunning).toBe('running');
    expect(TerminatingInstances).toEqual([
      { InstanceId, CurrentState: { Code: 32, Name: 'shutting-down' }, PreviousState: { Code: 16, Name: 'running' } },
    ]);
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/terminating-instances.html
  // (terminated instances remain visible for about an hour; DeleteOnTermination volumes are deleted)
  it('keeps a terminated instance visible for an hour without interfaces or volumes, then forgets it', async () => {
    const { sim, ec2 } = await ec2World({ instanceTransitionMs: 30_000 });
    const box = sim.addInstance({ volumes: [{ device: '/dev/xvda', boot: true }, { device: '/dev/sdf' }] });
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [box.instanceId] }));

    sim.advance(30_000);
    const { Reservations } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [box.instanceId] }));
    const terminated = Reservations?.[0]?.Instances?.[0];
    sim.advance(3_600_000);
    const gone = await rejectionOf(ec2.send(new DescribeInstancesCommand({ InstanceIds: [box.instanceId] })));

    expect(terminated).toMatchObject({ State: { Code: 48, Name: 'terminated' }, NetworkInterfaces: [], BlockDeviceMappings: [], SecurityGroups: [] });
    expect(terminated?.VpcId).toBeUndefined();
    expect(sim.volume(box.volumeIds[0] as string)).toBeUndefined();
    expect(sim.volume(box.volumeIds[1] as string)?.state).toBe('available');
    expect(gone.name).toBe('InvalidInstanceID.NotFound');
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_StopInstances.html
  it('stops an instance: stopping at once, stopped when the transition time has passed', async () => {
    const { sim, ec2 } = await ec2World({ instanceTransitionMs: 20_000 });
    const box = sim.addInstance();

    const { StoppingInstances } = await ec2.send(new StopInstancesCommand({ InstanceIds: [box.instanceId] }));
    const during = sim.instance(box.instanceId)?.state;
    sim.advance(20_000);

    expect(StoppingInstances?.[0]?.CurrentState).toEqual({ Code: 64, Name: 'stopping' });
    expect(during).toBe('stopping');
    expect(sim.instance(box.instanceId)?.state).toBe('stopped');
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/terminating-instances.html#Using_ChangingInstanceInitiatedShutdownBehavior
  // (a shutdown from the operating system stops the instance, or terminates it when the behaviour is terminate)
  it('follows InstanceInitiatedShutdownBehavior when the instance shuts itself down', async () => {
    const { sim } = await ec2World({ instanceTransitionMs: 0 });
    const keeps = sim.addInstance({ shutdownBehavior: 'stop' });
    const vanishes = sim.addInstance({ shutdownBehavior: 'terminate' });

    sim.shutdownFromInside(keeps.instanceId);
    sim.shutdownFromInside(vanishes.instanceId);

    expect(sim.instance(keeps.instanceId)?.state).toBe('stopped');
    expect(sim.instance(vanishes.instanceId)?.state).toBe('terminated');
    expect(sim.volume(vanishes.volumeIds[0] as string)).toBeUndefined();
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstanceTypes.html
  // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/InstanceStorage.html
  it('tells which instance types have instance store volumes, and refuses an unknown type', async () => {
    const { ec2 } = await ec2World();

    const { InstanceTypes } = await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['m5d.large', 't3.micro', 'i3.large'] }));
    const unknown = await rejectionOf(ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['m5.huge' as 'm5.large'] })));

    expect(InstanceTypes?.map((t) => [t.InstanceType, t.InstanceStorageSupported, t.InstanceStorageInfo?.TotalSizeInGB])).toEqual([
      ['m5d.large', true, 75],
      ['t3.micro', false, undefined],
      ['i3.large', true, 475],
    ]);
    expect(unknown.name).toBe('InvalidInstanceType');
  });
});
