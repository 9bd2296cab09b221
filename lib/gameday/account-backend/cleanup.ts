/**
 * cleanup(): deletes what prepare() created, and what the responders created in its VPCs
 * (isolation groups, snapshots of its volumes) and in its S3 objects' buckets (quarantine copies),
 * in reverse order, best effort: whatever it could not delete is reported, never thrown.
 */
import { DescribeAddressesCommand, DisassociateAddressCommand, ReleaseAddressCommand } from '@aws-sdk/client-ec2';
import { cleanUpIamUsers } from './iam-principals';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DeleteNetworkInterfaceCommand,
  DeleteSecurityGroupCommand,
  DeleteSnapshotCommand,
  DeleteSubnetCommand,
  DeleteVolumeCommand,
  DeleteVpcCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  DescribeLockedSnapshotsCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  ModifyInstanceAttributeCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  TerminateInstancesCommand,
  UnlockSnapshotCommand,
} from '@aws-sdk/client-ec2';
import type { EC2Client, IpPermission } from '@aws-sdk/client-ec2';
import { DeleteInstanceProfileCommand, DeleteRoleCommand, DeleteRolePolicyCommand, GetInstanceProfileCommand, ListRolePoliciesCommand, RemoveRoleFromInstanceProfileCommand } from '@aws-sdk/client-iam';
import type { IAMClient } from '@aws-sdk/client-iam';
import { ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import type { ResolvedS3Object } from './s3-objects';
import { deleteS3Objects } from './s3-objects';
import { DeleteTopicCommand } from '@aws-sdk/client-sns';
import { DeleteQueueCommand } from '@aws-sdk/client-sqs';
import type { BackendContext, CreatedResource } from './context';
import type { ResolvedFleet } from '../fleet-types';
import { deleteFleet } from './fleet';
import { describeInstances, errorCode, errorText, waitForStates } from './context';

/** What cleanup() deleted and what it could not. */
export interface CleanupReport {
  readonly deleted: readonly string[];
  readonly failed: readonly { readonly resource: string; readonly error: string }[];
}

type Attempt = (resource: string, run: () => Promise<unknown>) => Promise<void>;

export async function cleanUp(
  context: BackendContext,
  scenarioVolumeIds: readonly string[],
  fleet?: ResolvedFleet,
  s3Objects: Readonly<Record<string, ResolvedS3Object>> = {},
): Promise<CleanupReport> {
  const deleted: string[] = [];
  const failed: { resource: string; error: string }[] = [];
  const attempt: Attempt = async (resource, run) => {
    try {
      await run();
      deleted.push(resource);
    } catch (error) {
      failed.push({ resource, error: errorText(error) });
    }
  };
  const of = (kind: CreatedResource['kind']) => context.created.filter((resource) => resource.kind === kind).map((resource) => resource.id).reverse();
  const { clients } = context;
  // The fleet first: a group would replace the instances terminated below, and its replacements'
  // ENIs (like the load balancers) would keep the subnets and the VPC from being deleted.
  if (fleet) {
    try {
      const launched = await deleteFleet(clients, fleet, new Set(of('instance')), attempt);
      for (const id of launched) context.created.push({ kind: 'instance', id });
    } catch (error) {
      failed.push({ resource: 'fleet clients', error: errorText(error) });
    }
  }
  let ec2: EC2Client | undefined;
  let iam: IAMClient | undefined;
  try {
    ec2 = await clients.ec2();
    iam = await clients.iam();
  } catch (error) {
    failed.push({ resource: 'clients', error: errorText(error) });
  }
  if (ec2) {
    // Elastic IPs first: an associated address keeps its ENI (and so the instance's teardown) waiting.
    const client = ec2;
    for (const allocationId of of('elastic-ip')) {
      await attempt(allocationId, async () => {
        const { Addresses = [] } = await client.send(new DescribeAddressesCommand({ AllocationIds: [allocationId] }));
        const associationId = Addresses[0]?.AssociationId;
        if (associationId) await client.send(new DisassociateAddressCommand({ AssociationId: associationId }));
        await client.send(new ReleaseAddressCommand({ AllocationId: allocationId }));
      });
    }
    await cleanUpEc2(context, ec2, of, attempt, scenarioVolumeIds);
  }
  if (iam) await cleanUpIamUsers(iam, of, attempt);
  if (iam) await cleanUpIam(iam, of, attempt);
  for (const name of of('table')) await attempt(name, () => clients.dynamodb().send(new DeleteTableCommand({ TableName: name })));
  for (const url of of('queue')) await attempt(url, () => clients.sqs().send(new DeleteQueueCommand({ QueueUrl: url })));
  for (const arn of of('topic')) await attempt(arn, () => clients.sns().send(new DeleteTopicCommand({ TopicArn: arn })));
  // The scenario's objects and their quarantine copies before the keys that encrypt them.
  await deleteS3Objects(context, s3Objects, attempt);
  for (const arn of of('key')) await attempt(arn, () => clients.kms().send(new ScheduleKeyDeletionCommand({ KeyId: arn, PendingWindowInDays: 7 })));
  for (const arn of of('environment-key')) await attempt(arn, async () => (await clients.environmentKms()).send(new ScheduleKeyDeletionCommand({ KeyId: arn, PendingWindowInDays: 7 })));
  return { deleted, failed };
}

async function cleanUpEc2(
  context: BackendContext,
  client: EC2Client,
  of: (kind: CreatedResource['kind']) => string[],
  attempt: Attempt,
  scenarioVolumeIds: readonly string[],
): Promise<void> {
  const vpcIds = of('vpc');
  const instanceIds = of('instance');
  const volumeIds = new Set<string>(scenarioVolumeIds);
  const described = await describeInstances(client, instanceIds).catch(() => new Map());
  const live: string[] = [];
  for (const instanceId of instanceIds) {
    const instance = described.get(instanceId);
    for (const mapping of instance?.BlockDeviceMappings ?? []) if (mapping.Ebs?.VolumeId) volumeIds.add(mapping.Ebs.VolumeId);
    // Terminated or on its way (a force-deleted Auto Scaling group terminates its members).
    if (!instance || instance.State?.Name === 'terminated' || instance.State?.Name === 'shutting-down') continue;
    // A quarantine turns termination (and maybe stop) protection on: take it off to clean up.
    await attempt(`protections of ${instanceId}`, async () => {
      await client.send(new ModifyInstanceAttributeCommand({ InstanceId: instanceId, DisableApiTermination: { Value: false } }));
      await client.send(new ModifyInstanceAttributeCommand({ InstanceId: instanceId, DisableApiStop: { Value: false } }));
    });
    live.push(instanceId);
  }
  for (let start = 0; start < live.length; start += 1000) {
    const batch = live.slice(start, start + 1000);
    await attempt(batch.join(', '), () => client.send(new TerminateInstancesCommand({ InstanceIds: batch })));
  }
  // Their ENIs, volumes and groups are released only once they are terminated.
  await attempt(`${instanceIds.length} instance(s) terminated`, () => waitForStates(context, instanceIds, ['terminated']));
  if (volumeIds.size > 0) {
    const snapshots = await client.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'volume-id', Values: [...volumeIds] }] })).catch(() => undefined);
    const snapshotIds = (snapshots?.Snapshots ?? []).map((snapshot) => snapshot.SnapshotId as string);
    // Evidence locked by the drill (snapshot-volumes' lock option): a governance lock (or a
    // compliance lock still in its cooling-off period) is removed first; a compliance lock past it
    // cannot be, and its snapshot is reported as not deleted until the lock expires.
    const locks = snapshotIds.length > 0 ? await client.send(new DescribeLockedSnapshotsCommand({ SnapshotIds: snapshotIds })).catch(() => undefined) : undefined;
    const lockOf = new Map((locks?.Snapshots ?? []).map((info) => [info.SnapshotId, info.LockState]));
    for (const id of snapshotIds) {
      const lock = lockOf.get(id);
      if (lock === 'governance' || lock === 'compliance-cooloff') await attempt(`lock of ${id}`, () => client.send(new UnlockSnapshotCommand({ SnapshotId: id })));
      await attempt(id, () => client.send(new DeleteSnapshotCommand({ SnapshotId: id })));
    }
    const volumes = await client.send(new DescribeVolumesCommand({ Filters: [{ Name: 'volume-id', Values: [...volumeIds] }] })).catch(() => undefined);
    for (const volume of volumes?.Volumes ?? []) {
      const id = volume.VolumeId as string;
      await attempt(id, () => client.send(new DeleteVolumeCommand({ VolumeId: id })));
    }
  }
  if (vpcIds.length > 0) {
    const enis = await client.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'vpc-id', Values: vpcIds }] })).catch(() => undefined);
    for (const eni of enis?.NetworkInterfaces ?? []) {
      const id = eni.NetworkInterfaceId as string;
      await attempt(id, () => client.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: id })));
    }
    // Every group of the VPCs but `default`: the scenario's and those the responders made
    // (isolation). Rules naming another group are revoked first, or DeleteSecurityGroup
    // answers DependencyViolation.
    const described = await client.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: vpcIds }] })).catch(() => undefined);
    const groups = (described?.SecurityGroups ?? []).filter((group) => group.GroupName !== 'default');
    const referencing = (permissions: IpPermission[] | undefined) => (permissions ?? []).filter((p) => (p.UserIdGroupPairs ?? []).length > 0);
    for (const group of groups) {
      const id = group.GroupId as string;
      const ingress = referencing(group.IpPermissions);
      const egress = referencing(group.IpPermissionsEgress);
      if (ingress.length > 0) await attempt(`ingress rules of ${id}`, () => client.send(new RevokeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: ingress })));
      if (egress.length > 0) await attempt(`egress rules of ${id}`, () => client.send(new RevokeSecurityGroupEgressCommand({ GroupId: id, IpPermissions: egress })));
    }
    for (const group of groups) {
      const id = group.GroupId as string;
      await attempt(id, () => client.send(new DeleteSecurityGroupCommand({ GroupId: id })));
    }
  }
  for (const id of of('subnet')) await attempt(id, () => client.send(new DeleteSubnetCommand({ SubnetId: id })));
  for (const id of vpcIds) await attempt(id, () => client.send(new DeleteVpcCommand({ VpcId: id })));
}

async function cleanUpIam(client: IAMClient, of: (kind: CreatedResource['kind']) => string[], attempt: Attempt): Promise<void> {
  for (const name of of('instance-profile')) {
    await attempt(`instance profile ${name}`, async () => {
      // Whatever role it holds now: its own, or one a scenario's tamper swapped in (swapProfileRole).
      const held = await client.send(new GetInstanceProfileCommand({ InstanceProfileName: name })).then(
        (answer) => (answer.InstanceProfile?.Roles ?? []).flatMap((role) => (role.RoleName ? [role.RoleName] : [])),
        (error: unknown) => {
          if (!errorCode(error).startsWith('NoSuchEntity')) throw error;
          return [];
        },
      );
      for (const role of held) {
        await client.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: name, RoleName: role })).catch((error: unknown) => {
          if (!errorCode(error).startsWith('NoSuchEntity')) throw error;
        });
      }
      await client.send(new DeleteInstanceProfileCommand({ InstanceProfileName: name }));
    });
  }
  for (const name of of('role')) {
    await attempt(`role ${name}`, async () => {
      // Revoking the role's sessions (a responder) leaves an inline deny policy on it.
      const policies = await client.send(new ListRolePoliciesCommand({ RoleName: name }));
      for (const policy of policies.PolicyNames ?? []) await client.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: policy }));
      await client.send(new DeleteRoleCommand({ RoleName: name }));
    });
  }
}
