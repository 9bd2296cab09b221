/**
 * inspect(): what expectations check, read back with Describe/Get/List calls: the scenario's
 * instances (state, protections, profile, tags, interfaces and their groups, volumes and their
 * snapshots), every group of its VPCs, canonical JSON of each resource for `unchanged`, and a
 * digest of everything a responder could change for `accountUnchanged`.
 */
import {
  DescribeIamInstanceProfileAssociationsCommand,
  DescribeInstanceAttributeCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSnapshotsCommand,
  DescribeSubnetsCommand,
  DescribeVolumesCommand,
  DescribeVpcsCommand,
} from '@aws-sdk/client-ec2';
import type { EC2Client, Instance, Snapshot } from '@aws-sdk/client-ec2';
import { GetRoleCommand, GetRolePolicyCommand, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import type { InspectedInstance, ResolvedEnvironment } from '../backend';
import type { BackendContext } from './context';
import { describeInstances, errorCode } from './context';
import { tagRecord } from './inputs';
import { elasticIpsOf } from './inspect-edges';
import { notFirebreaksReason } from '../../responders/isolation-groups';
import { NOT_FIREBREAKS_GROUP_MARK } from '../timeline';

export interface InspectedResources {
  readonly instances: Record<string, InspectedInstance | undefined>;
  readonly groupNames: Record<string, string>;
  readonly resources: Record<string, string>;
  readonly digest: string;
}

export async function inspectAccount(context: BackendContext, resolved: ResolvedEnvironment): Promise<InspectedResources> {
  const ec2 = await context.clients.ec2();
  const resources: Record<string, string> = {};
  const vpcIds = [...new Set([...Object.values(resolved.vpcs), ...Object.values(resolved.instances).map((instance) => instance.vpcId)])].filter(Boolean);
  const declared = Object.values(resolved.instances);
  const deviceOf = new Map(declared.flatMap((instance) => instance.volumes.map((volume) => [volume.volumeId, volume.device] as const)));
  const volumeIds = [...deviceOf.keys()].filter(Boolean);
  const snapshots = await snapshotsOf(ec2, volumeIds);
  const described = await describeInstances(ec2, declared.map((instance) => instance.instanceId));
  const profiles = await profileAssociations(ec2, [...described.keys()]);
  const instances: Record<string, InspectedInstance | undefined> = {};
  for (const { instanceId } of declared) {
    const instance = described.get(instanceId);
    instances[instanceId] = instance && (await inspectedInstance(ec2, instance, profiles.get(instanceId), snapshots, deviceOf));
    if (instance) resources[instanceId] = JSON.stringify(instance);
  }
  const groupNames: Record<string, string> = {};
  if (vpcIds.length > 0) {
    const filter = [{ Name: 'vpc-id', Values: vpcIds }];
    for (const group of (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: filter }))).SecurityGroups ?? []) {
      // Named like Firebreak's is not Firebreak's: the quarantine's own test, owner included (row 9f).
      const notFirebreaks = notFirebreaksReason(group, resolved.account) !== undefined;
      groupNames[group.GroupId ?? ''] = `${group.GroupName ?? ''}${notFirebreaks ? NOT_FIREBREAKS_GROUP_MARK : ''}`;
      resources[group.GroupId ?? ''] = JSON.stringify(group);
    }
    for (const vpc of (await ec2.send(new DescribeVpcsCommand({ VpcIds: vpcIds }))).Vpcs ?? []) resources[vpc.VpcId ?? ''] = JSON.stringify(vpc);
    for (const subnet of (await ec2.send(new DescribeSubnetsCommand({ Filters: filter }))).Subnets ?? []) resources[subnet.SubnetId ?? ''] = JSON.stringify(subnet);
    for (const eni of (await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: filter }))).NetworkInterfaces ?? []) {
      resources[eni.NetworkInterfaceId ?? ''] = JSON.stringify(eni);
    }
  }
  if (volumeIds.length > 0) {
    for (const volume of (await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'volume-id', Values: volumeIds }] }))).Volumes ?? []) {
      resources[volume.VolumeId ?? ''] = JSON.stringify(volume);
    }
  }
  const roles = await instanceRoles(context, resolved);
  const digest = JSON.stringify({
    resources: Object.keys(resources).sort().map((id) => [id, resources[id]]),
    instances: Object.keys(instances).sort().map((id) => [id, instances[id] ?? null]),
    snapshots: snapshots.map((snapshot) => [snapshot.SnapshotId, snapshot.VolumeId, tagRecord(snapshot.Tags)]),
    roles,
  });
  return { instances, groupNames, resources, digest };
}

async function snapshotsOf(ec2: EC2Client, volumeIds: readonly string[]): Promise<Snapshot[]> {
  if (volumeIds.length === 0) return [];
  const answer = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'volume-id', Values: [...volumeIds] }] }));
  return [...(answer.Snapshots ?? [])].sort((a, b) => (a.StartTime?.getTime() ?? 0) - (b.StartTime?.getTime() ?? 0));
}

/** Instance id → the ARN of its associated (or associating) instance profile. */
async function profileAssociations(ec2: EC2Client, instanceIds: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let start = 0; start < instanceIds.length; start += 1000) {
    const answer = await ec2.send(
      new DescribeIamInstanceProfileAssociationsCommand({ Filters: [{ Name: 'instance-id', Values: instanceIds.slice(start, start + 1000) }] }),
    );
    for (const association of answer.IamInstanceProfileAssociations ?? []) {
      if ((association.State === 'associated' || association.State === 'associating') && association.InstanceId && association.IamInstanceProfile?.Arn) {
        out.set(association.InstanceId, association.IamInstanceProfile.Arn);
      }
    }
  }
  return out;
}

async function inspectedInstance(
  ec2: EC2Client,
  instance: Instance,
  profileArn: string | undefined,
  snapshots: readonly Snapshot[],
  deviceOf: ReadonlyMap<string, string>,
): Promise<InspectedInstance> {
  const instanceId = instance.InstanceId as string;
  const attribute = async (name: 'disableApiTermination' | 'disableApiStop' | 'instanceInitiatedShutdownBehavior') =>
    ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: name }));
  const elasticIps = await elasticIpsOf(ec2, instanceId);
  const metadata = instance.MetadataOptions;
  const termination = await attribute('disableApiTermination');
  const stop = await attribute('disableApiStop');
  const shutdown = await attribute('instanceInitiatedShutdownBehavior');
  return {
    instanceId,
    state: instance.State?.Name ?? 'unknown',
    terminationProtection: termination.DisableApiTermination?.Value ?? false,
    stopProtection: stop.DisableApiStop?.Value ?? false,
    shutdownBehavior: shutdown.InstanceInitiatedShutdownBehavior?.Value ?? 'stop',
    ...(profileArn ? { instanceProfileArn: profileArn } : {}),
    tags: tagRecord(instance.Tags),
    networkInterfaces: [...(instance.NetworkInterfaces ?? [])]
      .sort((a, b) => (a.Attachment?.DeviceIndex ?? 0) - (b.Attachment?.DeviceIndex ?? 0))
      .map((eni) => ({ networkInterfaceId: eni.NetworkInterfaceId ?? '', groupIds: (eni.Groups ?? []).map((group) => group.GroupId ?? '') })),
    volumes: (instance.BlockDeviceMappings ?? []).flatMap((mapping) => {
      const volumeId = mapping.Ebs?.VolumeId;
      if (!volumeId) return [];
      return [
        {
          volumeId,
          device: deviceOf.get(volumeId) ?? mapping.DeviceName ?? '',
          snapshotIds: snapshots.filter((snapshot) => snapshot.VolumeId === volumeId).map((snapshot) => snapshot.SnapshotId ?? ''),
        },
      ];
    }),
    ...(elasticIps !== undefined ? { elasticIps } : {}),
    ...(metadata !== undefined
      ? {
          metadata: {
            ...(metadata.HttpEndpoint !== undefined ? { endpoint: metadata.HttpEndpoint } : {}),
            ...(metadata.HttpTokens !== undefined ? { tokens: metadata.HttpTokens } : {}),
            ...(metadata.HttpPutResponseHopLimit !== undefined ? { hopLimit: metadata.HttpPutResponseHopLimit } : {}),
          },
        }
      : {}),
  };
}

/** The roles of the scenario's instance profiles with their inline policies (revoking a role's sessions adds one). */
async function instanceRoles(context: BackendContext, resolved: ResolvedEnvironment): Promise<[string, string, Record<string, string>][]> {
  const names = context.created.filter((resource) => resource.kind === 'role').map((resource) => resource.id);
  if (names.length === 0 || Object.keys(resolved.instances).length === 0) return [];
  const iam = await context.clients.iam();
  const out: [string, string, Record<string, string>][] = [];
  for (const name of names.sort()) {
    try {
      const role = await iam.send(new GetRoleCommand({ RoleName: name }));
      const policies: Record<string, string> = {};
      for (const policy of (await iam.send(new ListRolePoliciesCommand({ RoleName: name }))).PolicyNames ?? []) {
        policies[policy] = (await iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: policy }))).PolicyDocument ?? '';
      }
      out.push([name, role.Role?.AssumeRolePolicyDocument ?? '', policies]);
    } catch (error) {
      if (!errorCode(error).startsWith('NoSuchEntity')) throw error;
      out.push([name, 'deleted', {}]);
    }
  }
  return out;
}
