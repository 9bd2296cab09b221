/**
 * Plain, deterministic views of the simulated account for game-day expectations ("groups per ENI,
 * protections, profile, tags, snapshots per volume") and for the "nothing else changed" digest.
 */
import { instanceTypeSpec } from './ec2-catalog';
import { snapshotState } from './ec2-views';
import type { AttributeValue, InstanceStateName, RuleRecord, SecurityGroupRecord, Tags } from './model';
import type { SimWorld } from './world';

export type TagRecord = Readonly<Record<string, string>>;

export interface InterfaceState {
  readonly networkInterfaceId: string;
  readonly deviceIndex: number | undefined;
  readonly attachedTo: string | undefined;
  readonly groupIds: readonly string[];
  readonly privateIp: string;
  readonly vpcId: string;
  readonly subnetId: string;
  readonly deleteOnTermination: boolean | undefined;
  readonly sourceDestCheck: boolean;
  readonly tags: TagRecord;
}

export interface VolumeState {
  readonly volumeId: string;
  readonly device: string | undefined;
  readonly attachedTo: string | undefined;
  readonly boot: boolean;
  readonly sizeGiB: number;
  readonly deleteOnTermination: boolean | undefined;
  readonly state: string;
  readonly tags: TagRecord;
}

export interface InstanceState {
  readonly instanceId: string;
  readonly account: string;
  readonly region: string;
  readonly state: InstanceStateName;
  readonly instanceType: string;
  /** True when the instance type has instance store volumes (which cannot be snapshotted). */
  readonly hasInstanceStore: boolean;
  readonly rootDeviceType: 'ebs' | 'instance-store';
  readonly vpcId: string;
  readonly subnetId: string;
  readonly availabilityZone: string;
  readonly disableApiTermination: boolean;
  readonly disableApiStop: boolean;
  readonly shutdownBehavior: 'stop' | 'terminate';
  readonly tags: TagRecord;
  readonly networkInterfaces: readonly InterfaceState[];
  readonly volumes: readonly VolumeState[];
  /** The associated instance profile, if any. */
  readonly instanceProfileArn: string | undefined;
  readonly associationId: string | undefined;
}

export interface RuleState {
  readonly ruleId: string;
  /** `-1` (all), `tcp`, `udp`, `icmp`... */
  readonly protocol: string;
  readonly fromPort?: number;
  readonly toPort?: number;
  /** A CIDR, a security group id or a prefix list id. */
  readonly peer: string;
  readonly description?: string;
}

export interface SecurityGroupState {
  readonly groupId: string;
  readonly name: string;
  readonly description: string;
  readonly vpcId: string;
  readonly account: string;
  readonly region: string;
  readonly ingress: readonly RuleState[];
  readonly egress: readonly RuleState[];
  readonly tags: TagRecord;
}

export interface SnapshotState {
  readonly snapshotId: string;
  readonly volumeId: string;
  readonly state: 'pending' | 'completed' | 'error';
  readonly startTime: Date;
  readonly description: string;
  readonly volumeSize: number;
  readonly tags: TagRecord;
}

export function tagRecord(tags: Tags): TagRecord {
  return Object.fromEntries([...tags].sort(([a], [b]) => a.localeCompare(b)));
}

function ruleState(rule: RuleRecord): RuleState {
  return {
    ruleId: rule.id,
    protocol: rule.protocol,
    ...(rule.fromPort !== undefined ? { fromPort: rule.fromPort } : {}),
    ...(rule.toPort !== undefined ? { toPort: rule.toPort } : {}),
    peer: rule.peer.value,
    ...(rule.description !== undefined ? { description: rule.description } : {}),
  };
}

export function interfaceState(world: SimWorld, id: string): InterfaceState | undefined {
  const eni = world.networkInterfaces.get(id);
  if (!eni) return undefined;
  return {
    networkInterfaceId: eni.id,
    deviceIndex: eni.attachment?.deviceIndex,
    attachedTo: eni.attachment?.instanceId,
    groupIds: [...eni.groupIds],
    privateIp: eni.privateIp,
    vpcId: eni.vpcId,
    subnetId: eni.subnetId,
    deleteOnTermination: eni.attachment?.deleteOnTermination,
    sourceDestCheck: eni.sourceDestCheck,
    tags: tagRecord(eni.tags),
  };
}

export function volumeState(world: SimWorld, id: string): VolumeState | undefined {
  const volume = world.volumes.get(id);
  if (!volume) return undefined;
  const instance = volume.attachment ? world.instances.get(volume.attachment.instanceId) : undefined;
  return {
    volumeId: volume.id,
    device: volume.attachment?.device,
    attachedTo: volume.attachment?.instanceId,
    boot: instance !== undefined && volume.attachment?.device === instance.rootDeviceName,
    sizeGiB: volume.sizeGiB,
    deleteOnTermination: volume.attachment?.deleteOnTermination,
    state: volume.state,
    tags: tagRecord(volume.tags),
  };
}

export function instanceState(world: SimWorld, id: string): InstanceState | undefined {
  const instance = world.instances.get(id);
  if (!instance) return undefined;
  const association = world.associationOf(instance.id);
  return {
    instanceId: instance.id,
    account: instance.account,
    region: instance.region,
    state: instance.state,
    instanceType: instance.instanceType,
    hasInstanceStore: instanceTypeSpec(instance.instanceType)?.instanceStore !== undefined,
    rootDeviceType: instance.rootDeviceType,
    vpcId: instance.vpcId,
    subnetId: instance.subnetId,
    availabilityZone: instance.availabilityZone,
    disableApiTermination: instance.disableApiTermination,
    disableApiStop: instance.disableApiStop,
    shutdownBehavior: instance.shutdownBehavior,
    tags: tagRecord(instance.tags),
    networkInterfaces: world.interfacesOf(instance.id).map((eni) => interfaceState(world, eni.id) as InterfaceState),
    volumes: world.volumesOf(instance.id).map((v) => volumeState(world, v.id) as VolumeState),
    instanceProfileArn: association?.profileArn,
    associationId: association?.id,
  };
}

export function securityGroupState(group: SecurityGroupRecord): SecurityGroupState {
  return {
    groupId: group.id,
    name: group.name,
    description: group.description,
    vpcId: group.vpcId,
    account: group.account,
    region: group.region,
    ingress: group.rules.filter((r) => !r.egress).map(ruleState),
    egress: group.rules.filter((r) => r.egress).map(ruleState),
    tags: tagRecord(group.tags),
  };
}

export function snapshotStates(world: SimWorld, volumeId?: string): SnapshotState[] {
  return [...world.snapshots.values()]
    .filter((s) => volumeId === undefined || s.volumeId === volumeId)
    .sort((a, b) => a.startTime - b.startTime || a.id.localeCompare(b.id))
    .map((s) => ({
      snapshotId: s.id,
      volumeId: s.volumeId,
      state: snapshotState(world, s),
      startTime: new Date(s.startTime),
      description: s.description,
      volumeSize: s.volumeSize,
      tags: tagRecord(s.tags),
    }));
}

function sortedById<T>(items: Iterable<T>, id: (item: T) => string): T[] {
  return [...items].sort((a, b) => id(a).localeCompare(id(b)));
}

function canonical(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** Every resource of the simulated account (not the call log, messages or events), keys sorted. */
export function resourceState(world: SimWorld): unknown {
  return canonical({
    vpcs: sortedById(world.vpcs.values(), (v) => v.id).map((v) => ({ ...v, tags: tagRecord(v.tags) })),
    subnets: sortedById(world.subnets.values(), (s) => s.id).map((s) => ({ ...s, tags: tagRecord(s.tags) })),
    securityGroups: sortedById(world.securityGroups.values(), (g) => g.id).map(securityGroupState),
    instances: sortedById(world.instances.keys(), (id) => id).map((id) => instanceState(world, id)),
    networkInterfaces: sortedById(world.networkInterfaces.keys(), (id) => id).map((id) => interfaceState(world, id)),
    volumes: sortedById(world.volumes.keys(), (id) => id).map((id) => volumeState(world, id)),
    snapshots: snapshotStates(world).sort((a, b) => a.snapshotId.localeCompare(b.snapshotId)),
    instanceProfileAssociations: sortedById(world.associations.values(), (a) => a.id),
    instanceProfiles: sortedById(world.instanceProfiles.values(), (p) => p.arn),
    // Roles the simulator created for callers (the deployment's own roles) count once they change.
    roles: sortedById(
      [...world.roles.values()].filter((r) => !r.implicit || r.inlinePolicies.size > 0),
      (r) => r.arn,
    ).map(({ implicit: _implicit, ...r }) => ({
      ...r,
      inlinePolicies: Object.fromEntries([...r.inlinePolicies].sort(([a], [b]) => a.localeCompare(b))),
    })),
    tables: sortedById(world.tables.values(), (t) => t.arn).map((t) => ({
      arn: t.arn,
      items: [...t.items.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, item]) => item as Record<string, AttributeValue>),
    })),
  });
}
