/**
 * EC2 resources in the shapes DescribeInstances, DescribeNetworkInterfaces, DescribeSecurityGroups,
 * DescribeVolumes and DescribeSnapshots return
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Instance.html and siblings).
 */
import { metadataOptionsView } from './ec2-addresses';
import type {
  GroupIdentifier,
  IamInstanceProfileAssociation,
  Instance,
  InstanceBlockDeviceMapping,
  InstanceNetworkInterface,
  IpPermission,
  NetworkInterface,
  SecurityGroup,
  SecurityGroupRule,
  Snapshot,
  Subnet,
  Volume,
} from '@aws-sdk/client-ec2';
import { instanceTypeSpec } from './ec2-catalog';
import { tagList } from './ec2-common';
import { INSTANCE_STATE_CODES } from './model';
import type {
  InstanceRecord,
  InstanceStateName,
  NetworkInterfaceRecord,
  ProfileAssociationRecord,
  RuleRecord,
  SecurityGroupRecord,
  SnapshotRecord,
  SubnetRecord,
  VolumeRecord,
} from './model';
import type { SimWorld } from './world';

export function stateOf(name: InstanceStateName): { Code: number; Name: InstanceStateName } {
  return { Code: INSTANCE_STATE_CODES[name], Name: name };
}

export function groupIdentifiers(world: SimWorld, groupIds: readonly string[]): GroupIdentifier[] {
  return groupIds.map((id) => ({ GroupId: id, GroupName: world.securityGroups.get(id)?.name ?? id }));
}

function privateDnsName(ip: string, region: string): string {
  const host = `ip-${ip.replace(/\./g, '-')}`;
  return region === 'us-east-1' ? `${host}.ec2.internal` : `${host}.${region}.compute.internal`;
}

/** The attachment as both views show it (DescribeNetworkInterfaces adds the instance and its owner). */
function attachmentView(eni: NetworkInterfaceRecord) {
  const attachment = eni.attachment;
  return (
    attachment && {
      AttachTime: new Date(attachment.attachTime),
      AttachmentId: attachment.attachmentId,
      DeleteOnTermination: attachment.deleteOnTermination,
      DeviceIndex: attachment.deviceIndex,
      NetworkCardIndex: 0,
      Status: 'attached' as const,
    }
  );
}

/** An ENI's IPv6 addresses as DescribeInstances and DescribeNetworkInterfaces list them (none: left out). */
function ipv6AddressesOf(eni: NetworkInterfaceRecord): { Ipv6Addresses?: { Ipv6Address: string; IsPrimaryIpv6: boolean }[] } {
  return eni.ipv6Addresses?.length ? { Ipv6Addresses: eni.ipv6Addresses.map((Ipv6Address) => ({ Ipv6Address, IsPrimaryIpv6: false })) } : {};
}

/** An ENI's delegated prefixes as DescribeInstances and DescribeNetworkInterfaces list them (none: left out). */
function prefixesOf(eni: NetworkInterfaceRecord): Pick<NetworkInterface, 'Ipv4Prefixes' | 'Ipv6Prefixes'> {
  return {
    ...(eni.ipv4Prefixes?.length ? { Ipv4Prefixes: eni.ipv4Prefixes.map((Ipv4Prefix) => ({ Ipv4Prefix })) } : {}),
    ...(eni.ipv6Prefixes?.length ? { Ipv6Prefixes: eni.ipv6Prefixes.map((Ipv6Prefix) => ({ Ipv6Prefix })) } : {}),
  };
}

/** A subnet's IPv6 block as CreateSubnet and DescribeSubnets show it (none: left out). */
export function ipv6CidrOfSubnet(subnet: SubnetRecord): Pick<Subnet, 'Ipv6CidrBlockAssociationSet' | 'AssignIpv6AddressOnCreation'> {
  return subnet.ipv6Cidr !== undefined
    ? { Ipv6CidrBlockAssociationSet: [{ Ipv6CidrBlock: subnet.ipv6Cidr, Ipv6CidrBlockState: { State: 'associated' } }], AssignIpv6AddressOnCreation: false }
    : {};
}

function instanceInterfaceView(world: SimWorld, eni: NetworkInterfaceRecord): InstanceNetworkInterface {
  return {
    Attachment: attachmentView(eni),
    Description: eni.description,
    Groups: groupIdentifiers(world, eni.groupIds),
    InterfaceType: 'interface',
    MacAddress: eni.macAddress,
    NetworkInterfaceId: eni.id,
    OwnerId: eni.account,
    PrivateDnsName: privateDnsName(eni.privateIp, eni.region),
    PrivateIpAddress: eni.privateIp,
    PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: eni.privateIp, PrivateDnsName: privateDnsName(eni.privateIp, eni.region) }],
    ...ipv6AddressesOf(eni),
    ...prefixesOf(eni),
    SourceDestCheck: eni.sourceDestCheck,
    Status: 'in-use',
    SubnetId: eni.subnetId,
    VpcId: eni.vpcId,
  };
}

export function blockDeviceMappings(world: SimWorld, instance: InstanceRecord): InstanceBlockDeviceMapping[] {
  return world.volumesOf(instance.id).map((volume) => ({
    DeviceName: volume.attachment?.device,
    Ebs: {
      AttachTime: new Date(volume.attachment?.attachTime ?? volume.createTime),
      DeleteOnTermination: volume.attachment?.deleteOnTermination,
      Status: 'attached',
      VolumeId: volume.id,
    },
  }));
}

/**
 * One instance as DescribeInstances shows it. A terminated instance keeps its id, type, state and
 * tags but has no network interfaces, groups, volumes, VPC or subnet any more. The instance-level
 * `SecurityGroups` are those of the primary network interface
 * (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-security-groups.html).
 */
export function instanceView(world: SimWorld, instance: InstanceRecord): Instance {
  const terminated = instance.state === 'terminated';
  const interfaces = terminated ? [] : world.interfacesOf(instance.id);
  const primary = interfaces.find((eni) => eni.attachment?.deviceIndex === 0);
  const association = terminated ? undefined : world.associationOf(instance.id);
  const view: Instance = {
    AmiLaunchIndex: 0,
    Architecture: instanceTypeSpec(instance.instanceType)?.architecture ?? 'x86_64',
    BlockDeviceMappings: terminated ? [] : blockDeviceMappings(world, instance),
    EbsOptimized: false,
    EnaSupport: true,
    Hypervisor: 'xen',
    ImageId: instance.imageId,
    InstanceId: instance.id,
    InstanceType: instance.instanceType as Instance['InstanceType'],
    LaunchTime: new Date(instance.launchTime),
    Monitoring: { State: 'disabled' },
    NetworkInterfaces: interfaces.map((eni) => instanceInterfaceView(world, eni)),
    Placement: { AvailabilityZone: instance.availabilityZone, GroupName: '', Tenancy: 'default' },
    PrivateDnsName: primary ? privateDnsName(primary.privateIp, instance.region) : '',
    ProductCodes: [],
    PublicDnsName: '',
    RootDeviceName: instance.rootDeviceName,
    RootDeviceType: instance.rootDeviceType,
    SecurityGroups: primary ? groupIdentifiers(world, primary.groupIds) : [],
    State: stateOf(instance.state),
    StateTransitionReason: instance.stateTransitionReason,
    VirtualizationType: 'hvm',
  };
  if (primary) {
    view.PrivateIpAddress = primary.privateIp;
    view.SourceDestCheck = primary.sourceDestCheck;
  }
  if (!terminated) {
    view.SubnetId = instance.subnetId;
    view.VpcId = instance.vpcId;
  }
  if (association) {
    view.IamInstanceProfile = { Arn: association.profileArn, Id: association.profileId };
  }
  if (!terminated) view.MetadataOptions = metadataOptionsView(world, instance.id);
  if (instance.stateReason) view.StateReason = { Code: instance.stateReason.code, Message: instance.stateReason.message };
  const tags = tagList(instance.tags);
  if (tags) view.Tags = tags;
  return view;
}

export function networkInterfaceView(world: SimWorld, eni: NetworkInterfaceRecord): NetworkInterface {
  const attachment = eni.attachment;
  return {
    Attachment: attachment && { ...attachmentView(eni), InstanceId: attachment.instanceId, InstanceOwnerId: eni.account },
    AvailabilityZone: eni.availabilityZone,
    Description: eni.description,
    Groups: groupIdentifiers(world, eni.groupIds),
    InterfaceType: 'interface',
    MacAddress: eni.macAddress,
    NetworkInterfaceId: eni.id,
    OwnerId: eni.account,
    PrivateDnsName: privateDnsName(eni.privateIp, eni.region),
    PrivateIpAddress: eni.privateIp,
    PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: eni.privateIp }],
    ...ipv6AddressesOf(eni),
    ...prefixesOf(eni),
    RequesterManaged: false,
    SourceDestCheck: eni.sourceDestCheck,
    Status: attachment ? 'in-use' : 'available',
    SubnetId: eni.subnetId,
    TagSet: tagList(eni.tags) ?? [],
    VpcId: eni.vpcId,
  };
}

function sameRange(a: RuleRecord, b: RuleRecord): boolean {
  return a.protocol === b.protocol && a.fromPort === b.fromPort && a.toPort === b.toPort;
}

/**
 * Rules grouped back into IpPermissions the way DescribeSecurityGroups returns them: one entry per
 * protocol and port range, its peers listed under IpRanges, Ipv6Ranges, UserIdGroupPairs and
 * PrefixListIds. For protocol `-1` EC2 returns no ports.
 */
export function ipPermissions(rules: readonly RuleRecord[]): IpPermission[] {
  const out: { rule: RuleRecord; permission: IpPermission }[] = [];
  for (const rule of rules) {
    let entry = out.find((e) => sameRange(e.rule, rule));
    if (!entry) {
      const permission: IpPermission = { IpProtocol: rule.protocol, IpRanges: [], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] };
      if (rule.fromPort !== undefined) permission.FromPort = rule.fromPort;
      if (rule.toPort !== undefined) permission.ToPort = rule.toPort;
      entry = { rule, permission };
      out.push(entry);
    }
    const description = rule.description !== undefined ? { Description: rule.description } : {};
    const { permission } = entry;
    switch (rule.peer.kind) {
      case 'cidr4':
        permission.IpRanges?.push({ CidrIp: rule.peer.value, ...description });
        break;
      case 'cidr6':
        permission.Ipv6Ranges?.push({ CidrIpv6: rule.peer.value, ...description });
        break;
      case 'group':
        permission.UserIdGroupPairs?.push({ GroupId: rule.peer.value, UserId: rule.peer.userId, ...description });
        break;
      case 'prefix-list':
        permission.PrefixListIds?.push({ PrefixListId: rule.peer.value, ...description });
        break;
    }
  }
  return out.map((e) => e.permission);
}

export function securityGroupView(group: SecurityGroupRecord): SecurityGroup {
  const view: SecurityGroup = {
    Description: group.description,
    GroupId: group.id,
    GroupName: group.name,
    IpPermissions: ipPermissions(group.rules.filter((r) => !r.egress)),
    IpPermissionsEgress: ipPermissions(group.rules.filter((r) => r.egress)),
    OwnerId: group.account,
    SecurityGroupArn: `arn:aws:ec2:${group.region}:${group.account}:security-group/${group.id}`,
    VpcId: group.vpcId,
  };
  const tags = tagList(group.tags);
  if (tags) view.Tags = tags;
  return view;
}

export function securityGroupRuleView(group: SecurityGroupRecord, rule: RuleRecord): SecurityGroupRule {
  const view: SecurityGroupRule = {
    GroupId: group.id,
    GroupOwnerId: group.account,
    IpProtocol: rule.protocol,
    FromPort: rule.fromPort ?? -1,
    ToPort: rule.toPort ?? -1,
    IsEgress: rule.egress,
    SecurityGroupRuleArn: `arn:aws:ec2:${group.region}:${group.account}:security-group-rule/${rule.id}`,
    SecurityGroupRuleId: rule.id,
    Tags: [],
  };
  if (rule.description !== undefined) view.Description = rule.description;
  switch (rule.peer.kind) {
    case 'cidr4':
      view.CidrIpv4 = rule.peer.value;
      break;
    case 'cidr6':
      view.CidrIpv6 = rule.peer.value;
      break;
    case 'group':
      view.ReferencedGroupInfo = { GroupId: rule.peer.value, UserId: rule.peer.userId };
      break;
    case 'prefix-list':
      view.PrefixListId = rule.peer.value;
      break;
  }
  return view;
}

export function volumeView(volume: VolumeRecord): Volume {
  const view: Volume = {
    Attachments: volume.attachment
      ? [
          {
            AttachTime: new Date(volume.attachment.attachTime),
            DeleteOnTermination: volume.attachment.deleteOnTermination,
            Device: volume.attachment.device,
            InstanceId: volume.attachment.instanceId,
            State: 'attached',
            VolumeId: volume.id,
          },
        ]
      : [],
    AvailabilityZone: volume.availabilityZone,
    CreateTime: new Date(volume.createTime),
    Encrypted: volume.encrypted,
    MultiAttachEnabled: false,
    Size: volume.sizeGiB,
    SnapshotId: '',
    State: volume.state === 'deleted' ? 'deleted' : volume.state,
    VolumeId: volume.id,
    VolumeType: volume.volumeType as Volume['VolumeType'],
  };
  const tags = tagList(volume.tags);
  if (tags) view.Tags = tags;
  return view;
}

export function snapshotState(world: SimWorld, snapshot: SnapshotRecord): 'pending' | 'completed' | 'error' {
  if (world.now() < snapshot.completesAt) return 'pending';
  return snapshot.failsWith !== undefined ? 'error' : 'completed';
}

export function snapshotView(world: SimWorld, snapshot: SnapshotRecord): Snapshot {
  const state = snapshotState(world, snapshot);
  const view: Snapshot = {
    Description: snapshot.description,
    Encrypted: snapshot.encrypted,
    OwnerId: snapshot.account,
    Progress: state === 'completed' ? '100%' : '0%',
    ...(state === 'error' && snapshot.failsWith !== undefined ? { StateMessage: snapshot.failsWith } : {}),
    SnapshotId: snapshot.id,
    StartTime: new Date(snapshot.startTime),
    State: state,
    StorageTier: 'standard',
    VolumeId: snapshot.volumeId,
    VolumeSize: snapshot.volumeSize,
    ...(snapshot.kmsKeyId !== undefined ? { KmsKeyId: snapshot.kmsKeyId } : {}),
  };
  const tags = tagList(snapshot.tags);
  if (tags) view.Tags = tags;
  return view;
}

export function associationView(association: ProfileAssociationRecord, state = association.state): IamInstanceProfileAssociation {
  return {
    AssociationId: association.id,
    IamInstanceProfile: { Arn: association.profileArn, Id: association.profileId },
    InstanceId: association.instanceId,
    State: state,
    Timestamp: new Date(association.timestamp),
  };
}
