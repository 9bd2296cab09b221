/**
 * The game-day environment builder: VPCs, subnets, security groups, instances with their ENIs,
 * volumes and instance profile, IAM roles, topics, queues, buses and tables. Ids are AWS-shaped
 * and deterministic; a mistake in the environment fails with SimulatorSetupError naming it.
 */
import { BlockList, isIPv6 } from 'node:net';
import { instanceTypeSpec, knownInstanceTypes } from './ec2-catalog';
import { newSecurityGroup } from './ec2-security-groups';
import { volumeKmsKeyId } from './ec2-snapshot-sharing';
import { SimulatorSetupError } from './errors';
import { isWellFormedId } from './ids';
import type {
  InstanceRecord,
  InstanceStateName,
  KeyAttribute,
  NetworkInterfaceRecord,
  ProfileAssociationRecord,
  RoleRecord,
  SubnetRecord,
  Tags,
  VolumeRecord,
  VpcRecord,
} from './model';
import type { SimWorld } from './world';
import type { PolicyDocument } from './iam-policy';

export type TagMap = Readonly<Record<string, string>>;

export interface VpcSpec {
  readonly id?: string;
  readonly account?: string;
  readonly region?: string;
  /** Default 10.0.0.0/16 (172.31.0.0/16 for a default VPC). */
  readonly cidr?: string;
  /** The region's default VPC (group names alone address it; CreateSecurityGroup without VpcId uses it). */
  readonly isDefault?: boolean;
  /** An IPv6 block (e.g. 2600:1f18:abcd:1200::/56): new groups then also allow all IPv6 egress. */
  readonly ipv6Cidr?: string;
  readonly tags?: TagMap;
}

export interface SubnetSpec {
  readonly id?: string;
  readonly vpcId: string;
  /** Default `<region>a`. */
  readonly availabilityZone?: string;
  /** Default: the next /24 of the VPC. */
  readonly cidr?: string;
  /** A /64 of the VPC's IPv6 block, written `<four groups>::/64` (none by default). */
  readonly ipv6Cidr?: string;
  readonly tags?: TagMap;
}

export interface RoleSpec {
  readonly account?: string;
  readonly name: string;
  readonly path?: string;
  /**
   * Principals the trust policy allows: role ARNs, account ids or `arn:aws:iam::<acct>:root`, or a
   * service (`ec2.amazonaws.com`). Ignored when `trustPolicy` is given.
   */
  readonly trustedPrincipals?: readonly string[];
  /** The trust policy's `sts:ExternalId` condition. Ignored when `trustPolicy` is given. */
  readonly externalId?: string;
  /** The whole trust policy (a deployed template's, with its conditions). */
  readonly trustPolicy?: PolicyDocument;
  /** Inline policies by name (JSON documents). */
  readonly inlinePolicies?: TagMap;
}

export interface InstanceProfileSpec {
  readonly account?: string;
  readonly name: string;
  readonly path?: string;
  /** The role in the profile (default: a role of the same name, created when missing). */
  readonly roleName?: string;
}

export interface NetworkInterfaceSpec {
  readonly id?: string;
  /** Default: the VPC's default security group. */
  readonly groupIds?: readonly string[];
  /** Default: the next free address of the subnet. */
  readonly privateIp?: string;
  /** How many IPv6 addresses it gets from its subnet's IPv6 block (RunInstances Ipv6AddressCount; default none). */
  readonly ipv6AddressCount?: number;
  /** How many /28 IPv4 prefixes are delegated to it (RunInstances Ipv4PrefixCount; default none). */
  readonly ipv4PrefixCount?: number;
  /** How many /80 IPv6 prefixes are delegated to it (RunInstances Ipv6PrefixCount; default none). */
  readonly ipv6PrefixCount?: number;
  /** Default: the instance's subnet (another subnet must be in the same VPC and AZ). */
  readonly subnetId?: string;
  readonly description?: string;
  /** Default: true for the primary interface, false for the others. */
  readonly deleteOnTermination?: boolean;
  readonly sourceDestCheck?: boolean;
  readonly tags?: TagMap;
}

export interface VolumeSpec {
  readonly id?: string;
  /** Device name, e.g. /dev/xvda, /dev/sdf. */
  readonly device: string;
  readonly sizeGiB?: number;
  /** Default: true for the boot volume, false for data volumes (EC2's defaults). */
  readonly deleteOnTermination?: boolean;
  /** The root volume (default: the first volume). */
  readonly boot?: boolean;
  readonly volumeType?: string;
  readonly encrypted?: boolean;
  /** The KMS key of an encrypted volume (default: the account's aws/ebs key). */
  readonly kmsKeyId?: string;
  readonly tags?: TagMap;
}

export interface InstanceSpec {
  readonly id?: string;
  readonly account?: string;
  readonly region?: string;
  /** Default: the region's default VPC (created when missing). */
  readonly vpcId?: string;
  /** Default: the VPC's first subnet (created when missing). */
  readonly subnetId?: string;
  /** Instance type from the simulator's catalog (default t3.micro). */
  readonly type?: string;
  /** Default running. A terminated instance has no ENIs, volumes or profile any more. */
  readonly state?: InstanceStateName;
  /** Network interfaces in device-index order (default: one, in the VPC's default group). */
  readonly enis?: readonly NetworkInterfaceSpec[];
  /** EBS volumes (default: one 8 GiB gp3 root at /dev/xvda). `[]`: no EBS volume (instance-store root). */
  readonly volumes?: readonly VolumeSpec[];
  /** Instance profile by ARN (created, with a role of the same name, when missing). */
  readonly instanceProfileArn?: string;
  /** Instance profile by name, in the instance's account. */
  readonly instanceProfile?: string;
  readonly tags?: TagMap;
  readonly disableApiTermination?: boolean;
  readonly disableApiStop?: boolean;
  readonly shutdownBehavior?: 'stop' | 'terminate';
  readonly imageId?: string;
  readonly launchTime?: Date | string;
  /** The reservation it belongs to (default: one of its own). */
  readonly reservationId?: string;
}

/** What the builder made for one instance. */
export interface BuiltInstance {
  readonly instanceId: string;
  readonly account: string;
  readonly region: string;
  readonly vpcId: string;
  readonly subnetId: string;
  readonly networkInterfaceIds: readonly string[];
  readonly volumeIds: readonly string[];
  readonly associationId?: string;
  readonly instanceProfileArn?: string;
}

export interface TableSpec {
  readonly name: string;
  readonly account?: string;
  readonly region?: string;
  /** Partition key name (type S) or name and type. */
  readonly partitionKey: string | KeyAttribute;
  readonly sortKey?: string | KeyAttribute;
}

export interface NamedResourceSpec {
  readonly name: string;
  readonly account?: string;
  readonly region?: string;
}

export interface TopicSpec extends NamedResourceSpec {
  /** The topic's KMS key ARN (server-side encryption). */
  readonly kmsKeyArn?: string;
}

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@/-]*\/)?([\w+=,.@-]+)$/;
const PROFILE_ARN = /^arn:aws:iam::(\d{12}):instance-profile\/(?:[\w+=,.@/-]*\/)?([\w+=,.@-]+)$/;

function toTags(map: TagMap | undefined): Tags {
  return new Map(Object.entries(map ?? {}));
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function intToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** A subnet's IPv6 block: a /64 inside its VPC's IPv6 block, written `<four groups>::/64` (as EC2 writes it). */
function checkSubnetIpv6Cidr(vpc: VpcRecord, cidr: string): void {
  const [network = '', bits] = cidr.split('/');
  if (bits !== '64' || !/^([0-9a-f]{1,4}:){4}:$/i.test(network) || !isIPv6(network)) {
    throw new SimulatorSetupError(`IPv6 CIDR block ${cidr}: expected a /64 written as four groups and '::/64', such as 2600:1f18:abcd:1200::/64`);
  }
  const [vpcNetwork = '', vpcBits = ''] = vpc.ipv6Cidr?.split('/') ?? [];
  if (vpc.ipv6Cidr === undefined) throw new SimulatorSetupError(`IPv6 CIDR block ${cidr}: VPC ${vpc.id} has no IPv6 CIDR block`);
  const block = new BlockList();
  block.addSubnet(vpcNetwork, Number(vpcBits), 'ipv6');
  if (!block.check(network, 'ipv6')) throw new SimulatorSetupError(`IPv6 CIDR block ${cidr} is not in VPC ${vpc.id}'s block ${vpc.ipv6Cidr}`);
}

function parseCidr(cidr: string): { base: number; bits: number } {
  const match = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(cidr);
  if (!match) throw new SimulatorSetupError(`malformed CIDR block ${cidr}`);
  return { base: ipToInt(match[1] as string), bits: Number(match[2]) };
}

export class EnvironmentBuilder {
  constructor(private readonly world: SimWorld) {}

  private account(account: string | undefined): string {
    const value = account ?? this.world.options.defaultAccount;
    if (!/^\d{12}$/.test(value)) throw new SimulatorSetupError(`account ids have 12 digits (got '${value}')`);
    return value;
  }

  private region(region: string | undefined): string {
    return region ?? this.world.options.defaultRegion;
  }

  /** `id` when it is well formed and free (then reserved), a fresh `<prefix>-` id when none is given. */
  claimId(id: string | undefined, prefix: string, taken: (id: string) => boolean): string {
    if (id === undefined) return this.world.ids.resourceId(prefix);
    if (!isWellFormedId(id, prefix)) {
      throw new SimulatorSetupError(`'${id}' is not a valid ${prefix}- id (${prefix}- followed by 8 or 17 hexadecimal digits)`);
    }
    if (taken(id)) throw new SimulatorSetupError(`the id ${id} is already used in the simulated account`);
    this.world.ids.reserve(id);
    return id;
  }

  addVpc(spec: VpcSpec = {}): VpcRecord {
    const account = this.account(spec.account);
    const region = this.region(spec.region);
    const isDefault = spec.isDefault ?? false;
    if (isDefault && [...this.world.vpcs.values()].some((v) => v.isDefault && v.account === account && v.region === region)) {
      throw new SimulatorSetupError(`${account}/${region} already has a default VPC`);
    }
    const cidr = spec.cidr ?? (isDefault ? '172.31.0.0/16' : '10.0.0.0/16');
    parseCidr(cidr);
    const vpc: VpcRecord = {
      id: this.claimId(spec.id, 'vpc', (id) => this.world.vpcs.has(id)),
      account,
      region,
      cidr,
      ...(spec.ipv6Cidr !== undefined ? { ipv6Cidr: spec.ipv6Cidr } : {}),
      isDefault,
      tags: toTags(spec.tags),
      defaultGroupId: '',
    };
    this.world.vpcs.set(vpc.id, vpc);
    // Every VPC has a "default" group: inbound from itself, outbound to everywhere
    // (https://docs.aws.amazon.com/vpc/latest/userguide/default-security-group.html).
    const group = newSecurityGroup(this.world, { account, region, vpcId: vpc.id, name: 'default', description: 'default VPC security group' });
    group.rules.unshift({ id: this.world.ids.resourceId('sgr'), egress: false, protocol: '-1', peer: { kind: 'group', value: group.id, userId: account } });
    vpc.defaultGroupId = group.id;
    return vpc;
  }

  /** The region's default VPC, created (with one subnet) when missing. */
  defaultVpc(account: string, region: string): VpcRecord {
    const existing = [...this.world.vpcs.values()].find((v) => v.isDefault && v.account === account && v.region === region);
    if (existing) return existing;
    const vpc = this.addVpc({ account, region, isDefault: true });
    this.addSubnet({ vpcId: vpc.id, cidr: '172.31.0.0/20' });
    return vpc;
  }

  addSubnet(spec: SubnetSpec): SubnetRecord {
    const vpc = this.world.vpcs.get(spec.vpcId);
    if (!vpc) throw new SimulatorSetupError(`subnet: VPC ${spec.vpcId} does not exist; add it with addVpc first`);
    const siblings = [...this.world.subnets.values()].filter((s) => s.vpcId === vpc.id);
    const { base } = parseCidr(vpc.cidr);
    const cidr = spec.cidr ?? `${intToIp(base + (siblings.length + 1) * 256)}/24`;
    parseCidr(cidr);
    if (spec.ipv6Cidr !== undefined) checkSubnetIpv6Cidr(vpc, spec.ipv6Cidr);
    const subnet: SubnetRecord = {
      id: this.claimId(spec.id, 'subnet', (id) => this.world.subnets.has(id)),
      account: vpc.account,
      region: vpc.region,
      vpcId: vpc.id,
      availabilityZone: spec.availabilityZone ?? `${vpc.region}a`,
      cidr,
      ...(spec.ipv6Cidr !== undefined ? { ipv6Cidr: spec.ipv6Cidr } : {}),
      tags: toTags(spec.tags),
      nextHost: 10,
    };
    this.world.subnets.set(subnet.id, subnet);
    return subnet;
  }

  addRole(spec: RoleSpec, implicit = false): RoleRecord {
    const account = this.account(spec.account);
    const path = spec.path ?? '/';
    const arn = `arn:aws:iam::${account}:role${path}${spec.name}`;
    if (this.world.roles.has(arn)) throw new SimulatorSetupError(`role ${arn} already exists`);
    const role: RoleRecord = {
      account,
      name: spec.name,
      id: `AROA${this.world.ids.upperAlnum(17)}`,
      arn,
      path,
      trustPolicy: spec.trustPolicy ?? trustPolicyOf(spec.trustedPrincipals ?? [], spec.externalId),
      inlinePolicies: new Map(Object.entries(spec.inlinePolicies ?? {})),
      createDate: this.world.now(),
      ...(implicit ? { implicit } : {}),
    };
    this.world.roles.set(arn, role);
    return role;
  }

  /** The role behind a role ARN, created (trusting nobody) when missing. */
  roleForArn(principalArn: string): RoleRecord {
    const existing = this.world.roles.get(principalArn);
    if (existing) return existing;
    const match = ROLE_ARN.exec(principalArn);
    if (!match) throw new SimulatorSetupError(`'${principalArn}' is not an IAM role ARN (arn:aws:iam::<12 digits>:role/<name>)`);
    const path = principalArn.slice(principalArn.indexOf(':role') + 5, principalArn.length - (match[2] as string).length);
    return this.addRole({ account: match[1] as string, name: match[2] as string, path }, true);
  }

  addInstanceProfile(spec: InstanceProfileSpec): { arn: string; id: string; name: string } {
    const account = this.account(spec.account);
    const path = spec.path ?? '/';
    const arn = `arn:aws:iam::${account}:instance-profile${path}${spec.name}`;
    if (this.world.instanceProfiles.has(arn)) throw new SimulatorSetupError(`instance profile ${arn} already exists`);
    const roleName = spec.roleName ?? spec.name;
    if (![...this.world.roles.values()].some((r) => r.account === account && r.name === roleName)) {
      this.addRole({ account, name: roleName, trustedPrincipals: ['ec2.amazonaws.com'] });
    }
    const profile = { account, name: spec.name, id: `AIPA${this.world.ids.upperAlnum(17)}`, arn, path, roleNames: [roleName], createDate: this.world.now() };
    this.world.instanceProfiles.set(arn, profile);
    return { arn, id: profile.id, name: profile.name };
  }

  private profileFor(account: string, spec: InstanceSpec): { arn: string; id: string } | undefined {
    if (spec.instanceProfileArn !== undefined) {
      const existing = this.world.instanceProfiles.get(spec.instanceProfileArn);
      if (existing) return existing;
      const match = PROFILE_ARN.exec(spec.instanceProfileArn);
      if (!match) throw new SimulatorSetupError(`'${spec.instanceProfileArn}' is not an instance profile ARN`);
      if (match[1] !== account) throw new SimulatorSetupError(`instance profile ${spec.instanceProfileArn} is not in the instance's account ${account}`);
      return this.addInstanceProfile({ account, name: match[2] as string });
    }
    if (spec.instanceProfile !== undefined) {
      const existing = [...this.world.instanceProfiles.values()].find((p) => p.account === account && p.name === spec.instanceProfile);
      return existing ?? this.addInstanceProfile({ account, name: spec.instanceProfile });
    }
    return undefined;
  }

  private nextIp(subnet: SubnetRecord): string {
    const { base, bits } = parseCidr(subnet.cidr);
    const size = 2 ** (32 - bits);
    if (subnet.nextHost >= size - 1) throw new SimulatorSetupError(`subnet ${subnet.id} (${subnet.cidr}) has no free address left`);
    const ip = intToIp(base + subnet.nextHost);
    subnet.nextHost += 1;
    return ip;
  }

  /** The subnet's next IPv6 addresses (its /64's network part, then a host number). */
  private nextIpv6s(subnet: SubnetRecord, count: number): string[] {
    if (count === 0) return [];
    if (subnet.ipv6Cidr === undefined) throw new SimulatorSetupError(`subnet ${subnet.id} has no IPv6 CIDR block: its network interfaces cannot get IPv6 addresses`);
    const network = subnet.ipv6Cidr.slice(0, subnet.ipv6Cidr.indexOf('::'));
    return Array.from({ length: count }, () => {
      const host = subnet.nextIpv6Host ?? 10;
      subnet.nextIpv6Host = host + 1;
      return `${network}::${host.toString(16)}`;
    });
  }

  /**
   * The subnet's next delegated IPv4 prefixes: /28 blocks aligned on 16 addresses, past every address
   * handed out (EC2 prefix delegation: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-prefix-eni.html).
   */
  private nextIpv4Prefixes(subnet: SubnetRecord, count: number): string[] {
    const { base, bits } = parseCidr(subnet.cidr);
    return Array.from({ length: count }, () => {
      const start = Math.ceil(subnet.nextHost / 16) * 16;
      if (start + 16 > 2 ** (32 - bits) - 1) throw new SimulatorSetupError(`subnet ${subnet.id} (${subnet.cidr}) has no free /28 left for a prefix`);
      subnet.nextHost = start + 16;
      return `${intToIp(base + start)}/28`;
    });
  }

  /** The subnet's next delegated IPv6 prefixes: /80 blocks of its /64 (its network part, a prefix number, then zeros), apart from its addresses' /80. */
  private nextIpv6Prefixes(subnet: SubnetRecord, count: number): string[] {
    if (count === 0) return [];
    if (subnet.ipv6Cidr === undefined) throw new SimulatorSetupError(`subnet ${subnet.id} has no IPv6 CIDR block: its network interfaces cannot get IPv6 prefixes`);
    const network = subnet.ipv6Cidr.slice(0, subnet.ipv6Cidr.indexOf('::'));
    return Array.from({ length: count }, () => {
      const prefix = subnet.nextIpv6Prefix ?? 1;
      subnet.nextIpv6Prefix = prefix + 1;
      return `${network}:${prefix.toString(16)}::/80`;
    });
  }

  addInstance(spec: InstanceSpec = {}): BuiltInstance {
    const world = this.world;
    const account = this.account(spec.account);
    const region = this.region(spec.region);
    const type = spec.type ?? 't3.micro';
    if (!instanceTypeSpec(type)) {
      throw new SimulatorSetupError(`instance type ${type} is not in the simulator's catalog (${knownInstanceTypes().join(', ')})`);
    }
    let vpc: VpcRecord;
    if (spec.vpcId !== undefined) {
      const found = world.vpcs.get(spec.vpcId);
      if (!found || found.account !== account || found.region !== region) {
        throw new SimulatorSetupError(`instance: VPC ${spec.vpcId} does not exist in ${account}/${region}`);
      }
      vpc = found;
    } else {
      vpc = this.defaultVpc(account, region);
    }
    let subnet: SubnetRecord;
    if (spec.subnetId !== undefined) {
      const found = world.subnets.get(spec.subnetId);
      if (!found || found.vpcId !== vpc.id) throw new SimulatorSetupError(`instance: subnet ${spec.subnetId} is not in ${vpc.id}`);
      subnet = found;
    } else {
      subnet = [...world.subnets.values()].find((s) => s.vpcId === vpc.id) ?? this.addSubnet({ vpcId: vpc.id });
    }
    const instanceId = this.claimId(spec.id, 'i', (id) => world.instances.has(id));
    const state = spec.state ?? 'running';
    const terminated = state === 'terminated';
    const volumeSpecs = spec.volumes ?? [{ device: '/dev/xvda', sizeGiB: 8, boot: true }];
    const bootSpec = volumeSpecs.find((v) => v.boot === true) ?? volumeSpecs[0];
    if (volumeSpecs.filter((v) => v.boot === true).length > 1) throw new SimulatorSetupError(`instance ${instanceId}: more than one boot volume`);
    const devices = volumeSpecs.map((v) => v.device);
    if (new Set(devices).size !== devices.length) throw new SimulatorSetupError(`instance ${instanceId}: two volumes at the same device`);
    const now = world.now();
    const launchTime = spec.launchTime !== undefined ? new Date(spec.launchTime).getTime() : now;

    const instance: InstanceRecord = {
      id: instanceId,
      account,
      region,
      reservationId: spec.reservationId ?? world.ids.resourceId('r'),
      imageId: spec.imageId ?? world.ids.resourceId('ami'),
      instanceType: type,
      availabilityZone: subnet.availabilityZone,
      vpcId: vpc.id,
      subnetId: subnet.id,
      launchTime,
      rootDeviceName: bootSpec?.device ?? '/dev/sda1',
      rootDeviceType: bootSpec ? 'ebs' : 'instance-store',
      state,
      stateTransitionReason: '',
      disableApiTermination: spec.disableApiTermination ?? false,
      disableApiStop: spec.disableApiStop ?? false,
      shutdownBehavior: spec.shutdownBehavior ?? 'stop',
      tags: toTags(spec.tags),
    };
    const transitions: Partial<Record<InstanceStateName, InstanceStateName>> = { pending: 'running', stopping: 'stopped', 'shutting-down': 'terminated' };
    const to = transitions[state];
    if (to) instance.transition = { to, at: now + world.options.instanceTransitionMs };
    if (state === 'stopped' || state === 'stopping' || terminated || state === 'shutting-down') {
      instance.stateReason = { code: 'Client.UserInitiatedShutdown', message: 'Client.UserInitiatedShutdown: User initiated shutdown' };
    }
    if (terminated) instance.terminatedAt = now;
    if (to || terminated) world.watch(instance);

    const networkInterfaceIds: string[] = [];
    const volumeIds: string[] = [];
    let association: ProfileAssociationRecord | undefined;
    const profile = this.profileFor(account, spec);
    if (!terminated) {
      (spec.enis ?? [{}]).forEach((eniSpec, deviceIndex) => {
        const eniSubnet = eniSpec.subnetId !== undefined ? world.subnets.get(eniSpec.subnetId) : subnet;
        if (!eniSubnet || eniSubnet.vpcId !== vpc.id) {
          throw new SimulatorSetupError(`instance ${instanceId}: ENI subnet ${String(eniSpec.subnetId)} is not in ${vpc.id}`);
        }
        if (eniSubnet.availabilityZone !== subnet.availabilityZone) {
          throw new SimulatorSetupError(`instance ${instanceId}: every ENI must be in the instance's availability zone ${subnet.availabilityZone}`);
        }
        const groupIds = [...(eniSpec.groupIds ?? [vpc.defaultGroupId])];
        for (const groupId of groupIds) {
          const group = world.securityGroups.get(groupId);
          if (!group || group.vpcId !== vpc.id) throw new SimulatorSetupError(`instance ${instanceId}: security group ${groupId} is not in ${vpc.id}`);
        }
        const eni: NetworkInterfaceRecord = {
          id: this.claimId(eniSpec.id, 'eni', (id) => world.networkInterfaces.has(id)),
          account,
          region,
          vpcId: vpc.id,
          subnetId: eniSubnet.id,
          availabilityZone: eniSubnet.availabilityZone,
          privateIp: eniSpec.privateIp ?? this.nextIp(eniSubnet),
          ...(eniSpec.ipv6AddressCount ? { ipv6Addresses: this.nextIpv6s(eniSubnet, eniSpec.ipv6AddressCount) } : {}),
          ...(eniSpec.ipv4PrefixCount ? { ipv4Prefixes: this.nextIpv4Prefixes(eniSubnet, eniSpec.ipv4PrefixCount) } : {}),
          ...(eniSpec.ipv6PrefixCount ? { ipv6Prefixes: this.nextIpv6Prefixes(eniSubnet, eniSpec.ipv6PrefixCount) } : {}),
          macAddress: `0e:${world.ids.hex(10).replace(/(..)(?!$)/g, '$1:')}`,
          groupIds,
          description: eniSpec.description ?? (deviceIndex === 0 ? '' : `secondary interface ${deviceIndex}`),
          sourceDestCheck: eniSpec.sourceDestCheck ?? true,
          attachment: {
            attachmentId: world.ids.resourceId('eni-attach'),
            instanceId,
            deviceIndex,
            deleteOnTermination: eniSpec.deleteOnTermination ?? deviceIndex === 0,
            attachTime: launchTime,
          },
          tags: toTags(eniSpec.tags),
        };
        world.networkInterfaces.set(eni.id, eni);
        world.noteAttached('enis', instanceId, eni.id);
        networkInterfaceIds.push(eni.id);
      });
      for (const volumeSpec of volumeSpecs) {
        const boot = volumeSpec === bootSpec;
        const volume: VolumeRecord = {
          id: this.claimId(volumeSpec.id, 'vol', (id) => world.volumes.has(id)),
          account,
          region,
          availabilityZone: subnet.availabilityZone,
          sizeGiB: volumeSpec.sizeGiB ?? 8,
          volumeType: volumeSpec.volumeType ?? 'gp3',
          encrypted: volumeSpec.encrypted ?? false,
          ...optionalKey(volumeKmsKeyId(world, { account, region }, volumeSpec.encrypted ?? false, volumeSpec.kmsKeyId)),
          createTime: launchTime,
          state: 'in-use',
          attachment: { instanceId, device: volumeSpec.device, deleteOnTermination: volumeSpec.deleteOnTermination ?? boot, attachTime: launchTime },
          tags: toTags(volumeSpec.tags),
        };
        world.volumes.set(volume.id, volume);
        world.noteAttached('volumes', instanceId, volume.id);
        volumeIds.push(volume.id);
      }
      if (profile) {
        association = {
          id: world.ids.resourceId('iip-assoc'),
          account,
          region,
          instanceId,
          profileArn: profile.arn,
          profileId: profile.id,
          state: 'associated',
          timestamp: launchTime,
        };
        world.associations.set(association.id, association);
      }
    }
    world.instances.set(instance.id, instance);
    return {
      instanceId,
      account,
      region,
      vpcId: vpc.id,
      subnetId: subnet.id,
      networkInterfaceIds,
      volumeIds,
      ...(association ? { associationId: association.id, instanceProfileArn: association.profileArn } : {}),
    };
  }

  addTopic(spec: TopicSpec): string {
    const account = this.account(spec.account);
    const region = this.region(spec.region);
    const arn = `arn:aws:sns:${region}:${account}:${spec.name}`;
    if (this.world.topics.has(arn)) throw new SimulatorSetupError(`topic ${arn} already exists`);
    this.world.topics.set(arn, { arn, name: spec.name, account, region, messages: [], ...(spec.kmsKeyArn !== undefined ? { kmsKeyArn: spec.kmsKeyArn } : {}) });
    return arn;
  }

  addQueue(spec: NamedResourceSpec): string {
    const account = this.account(spec.account);
    const region = this.region(spec.region);
    const url = `https://sqs.${region}.amazonaws.com/${account}/${spec.name}`;
    if (this.world.queues.has(url)) throw new SimulatorSetupError(`queue ${url} already exists`);
    this.world.queues.set(url, { url, arn: `arn:aws:sqs:${region}:${account}:${spec.name}`, name: spec.name, account, region, messages: [] });
    return url;
  }


  addTable(spec: TableSpec): string {
    const account = this.account(spec.account);
    const region = this.region(spec.region);
    const arn = `arn:aws:dynamodb:${region}:${account}:table/${spec.name}`;
    if (this.world.tables.has(arn)) throw new SimulatorSetupError(`table ${arn} already exists`);
    const key = (k: string | KeyAttribute): KeyAttribute => (typeof k === 'string' ? { name: k, type: 'S' } : k);
    this.world.tables.set(arn, {
      arn,
      name: spec.name,
      account,
      region,
      partitionKey: key(spec.partitionKey),
      ...(spec.sortKey !== undefined ? { sortKey: key(spec.sortKey) } : {}),
      items: new Map(),
      createdAt: this.world.now(),
    });
    return arn;
  }
}

function optionalKey(kmsKeyId: string | undefined): { kmsKeyId?: string } {
  return kmsKeyId !== undefined ? { kmsKeyId } : {};
}

/** The trust policy a RoleSpec describes: one Allow of sts:AssumeRole to its principals (none: no statement), with its ExternalId condition. */
function trustPolicyOf(principals: readonly string[], externalId: string | undefined): PolicyDocument {
  if (principals.length === 0) return { Version: '2012-10-17', Statement: [] };
  const services = principals.filter((principal) => principal.endsWith('.amazonaws.com'));
  const accounts = principals.filter((principal) => !principal.endsWith('.amazonaws.com'));
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { ...(accounts.length > 0 ? { AWS: accounts } : {}), ...(services.length > 0 ? { Service: services } : {}) },
        Action: 'sts:AssumeRole',
        ...(externalId !== undefined ? { Condition: { StringEquals: { 'sts:ExternalId': externalId } } } : {}),
      },
    ],
  };
}
