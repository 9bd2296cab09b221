/**
 * The SDK inputs a scenario's environment becomes (pure: unit-tested by their exact output), and
 * the tag conventions the game-day backend reads its resources back by.
 */
import type { _InstanceType, CreateSecurityGroupCommandInput, IpPermission, RunInstancesCommandInput, Tag } from '@aws-sdk/client-ec2';
import type { EnvironmentDocument, InstanceDocument, RuleDocument } from '../scenario';

/** Tag on everything the backend creates that takes tags at creation: the run id. */
export const MARKER_TAG = 'firebreak:gameday';
/**
 * Tag on each EBS volume of a scenario instance: the device name the scenario gives it. The
 * volumes are found again by this tag, not by the device an AMI happens to mount them at (a
 * scenario's boot volume is the AMI's root device, whatever that device is called).
 */
export const VOLUME_TAG = 'firebreak:gameday:volume';
/** The device name of the root volume when a scenario lists no volumes (the schema's default). */
export const DEFAULT_ROOT_DEVICE = '/dev/xvda';

export function tagList(tags: Readonly<Record<string, string>>): Tag[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

export function tagRecord(tags: readonly Tag[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
}

/** One scenario rule as an EC2 IpPermission (`all` is protocol -1; ICMP is every type and code). */
export function ipPermission(rule: RuleDocument, groupId: (name: string) => string, account: string): IpPermission {
  const protocol = rule.protocol === 'all' ? '-1' : rule.protocol;
  let ports: { FromPort?: number; ToPort?: number } = {};
  if (protocol === 'icmp') ports = { FromPort: -1, ToPort: -1 };
  else if (protocol !== '-1' && rule.ports !== undefined) {
    const [from, to] = typeof rule.ports === 'number' ? [rule.ports, rule.ports] : rule.ports.split('-').map(Number);
    ports = { FromPort: from, ToPort: to };
  }
  const description = rule.description !== undefined ? { Description: rule.description } : {};
  const v6 = rule.cidr?.includes(':') === true;
  return {
    IpProtocol: protocol,
    ...ports,
    ...(rule.cidr !== undefined && !v6 ? { IpRanges: [{ CidrIp: rule.cidr, ...description }] } : {}),
    ...(rule.cidr !== undefined && v6 ? { Ipv6Ranges: [{ CidrIpv6: rule.cidr, ...description }] } : {}),
    ...(rule.group !== undefined ? { UserIdGroupPairs: [{ GroupId: groupId(rule.group), UserId: account, ...description }] } : {}),
  };
}

/** CreateSecurityGroup for a scenario group (its rules follow with Authorize*). */
export function createSecurityGroupInput(
  name: string,
  spec: EnvironmentDocument['securityGroups'][string],
  vpcId: string,
  runId: string,
): CreateSecurityGroupCommandInput {
  return {
    GroupName: name,
    Description: spec.description ?? `firebreak game day ${runId}: ${name}`,
    VpcId: vpcId,
    TagSpecifications: [{ ResourceType: 'security-group', Tags: [...tagList(spec.tags ?? {}), { Key: MARKER_TAG, Value: runId }] }],
  };
}

/**
 * RunInstances for a scenario instance: its ENIs in device order, volumes, profile, tags and
 * protections. The scenario's first volume is the boot volume: it is mapped at the image's root
 * device (`rootDeviceName`, from DescribeImages), the others at their own devices; `volumes: []`
 * suppresses the image's root device (NoDevice), which only an instance-store AMI allows on AWS.
 */
export function runInstancesInput(args: {
  readonly name: string;
  readonly spec: InstanceDocument;
  readonly subnetId: string;
  readonly groupId: (name: string) => string;
  readonly imageId: string;
  readonly rootDeviceName: string;
  readonly count?: number;
}): RunInstancesCommandInput {
  const { spec } = args;
  return {
    ImageId: args.imageId,
    InstanceType: (spec.type ?? 't3.micro') as _InstanceType,
    MinCount: args.count ?? 1,
    MaxCount: args.count ?? 1,
    NetworkInterfaces: (spec.enis ?? [{}]).map((eni, index) => ({
      DeviceIndex: index,
      SubnetId: args.subnetId,
      ...(eni.groups ? { Groups: eni.groups.map(args.groupId) } : {}),
      ...(eni.deleteOnTermination !== undefined ? { DeleteOnTermination: eni.deleteOnTermination } : {}),
      ...(eni.ipv6Addresses !== undefined ? { Ipv6AddressCount: eni.ipv6Addresses } : {}),
      ...(eni.ipv4Prefixes !== undefined ? { Ipv4PrefixCount: eni.ipv4Prefixes } : {}),
      ...(eni.ipv6Prefixes !== undefined ? { Ipv6PrefixCount: eni.ipv6Prefixes } : {}),
    })),
    ...(spec.volumes?.length === 0 ? { BlockDeviceMappings: [{ DeviceName: args.rootDeviceName, NoDevice: '' }] } : {}),
    ...(spec.volumes && spec.volumes.length > 0
      ? {
          BlockDeviceMappings: spec.volumes.map((volume, index) => ({
            DeviceName: index === 0 ? args.rootDeviceName : volume.device,
            Ebs: {
              VolumeSize: volume.sizeGiB ?? 8,
              VolumeType: 'gp3' as const,
              ...(volume.deleteOnTermination !== undefined ? { DeleteOnTermination: volume.deleteOnTermination } : {}),
              ...(volume.encrypted !== undefined ? { Encrypted: volume.encrypted } : {}),
            },
          })),
        }
      : {}),
    ...(spec.instanceProfile ? { IamInstanceProfile: { Name: spec.instanceProfile } } : {}),
    TagSpecifications: [{ ResourceType: 'instance', Tags: tagList({ Name: args.name, ...spec.tags }) }],
    ...(spec.terminationProtection !== undefined ? { DisableApiTermination: spec.terminationProtection } : {}),
    ...(spec.stopProtection !== undefined ? { DisableApiStop: spec.stopProtection } : {}),
    ...(spec.shutdownBehavior !== undefined ? { InstanceInitiatedShutdownBehavior: spec.shutdownBehavior } : {}),
    ...(spec.metadata
      ? {
          MetadataOptions: {
            ...(spec.metadata.endpoint ? { HttpEndpoint: spec.metadata.endpoint } : {}),
            ...(spec.metadata.tokens ? { HttpTokens: spec.metadata.tokens } : {}),
            ...(spec.metadata.hopLimit !== undefined ? { HttpPutResponseHopLimit: spec.metadata.hopLimit } : {}),
          },
        }
      : {}),
  };
}

/** Scenario device name → the device it is launched at (the boot volume at the image's root device). */
export function launchedDevices(spec: InstanceDocument, rootDeviceName: string): Map<string, string> {
  const volumes = spec.volumes ?? [{ device: DEFAULT_ROOT_DEVICE }];
  return new Map(volumes.map((volume, index) => [index === 0 ? rootDeviceName : volume.device, volume.device]));
}

/** The VPC's first /24 after its base address (10.20.0.0/16 → 10.20.1.0/24). */
export function defaultSubnetCidr(vpcCidr: string): string {
  const [address = '10.0.0.0'] = vpcCidr.split('/');
  const value = address.split('.').reduce((sum, part) => sum * 256 + Number(part), 0) + 256;
  return `${[24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.')}/24`;
}
