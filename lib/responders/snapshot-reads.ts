/**
 * What snapshot-volumes reads from EC2 besides the instance (lib/aws/describe-instance.ts): its
 * type's instance store, the evidence snapshots an earlier run of the incident already took, and,
 * for a drill, the other instances its volumes are attached to.
 */
import type { EC2Client, Instance, Snapshot } from '@aws-sdk/client-ec2';
import { DescribeInstanceTypesCommand, DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import { tagRecord } from '../aws/describe-instance';
import { awsErrorCode, isTransientAwsError, toResponderError } from '../aws/errors';
import { isGameDayTarget } from './game-day';
import { describeInstancesWhere } from './instances-where';
import { sendReadOnly } from './mutating';
import type { IncidentLogger } from './logging';
import type { InstanceStoreReport } from './snapshot-plan';
import { EVIDENCE_TAG_KEYS, instanceStoreReport } from './snapshot-plan';

/**
 * The instance-store report. DescribeInstances does not list NVMe instance-store volumes, so the
 * instance type is asked instead. Only throttling is worth failing the step for: the report
 * informs the alert, it must not cost the EBS evidence.
 */
export async function describeInstanceStore(ec2: EC2Client, instance: Instance, logger: IncidentLogger): Promise<InstanceStoreReport> {
  const type = instance.InstanceType;
  if (type === undefined) return instanceStoreReport(undefined, undefined, instance.RootDeviceType, 'EC2 did not report the instance type');
  try {
    const output = await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: [type] }));
    const info = output.InstanceTypes?.find((t) => t.InstanceType === type);
    if (info === undefined) return instanceStoreReport(type, undefined, instance.RootDeviceType, 'EC2 did not describe the type');
    return instanceStoreReport(type, info.InstanceStorageInfo, instance.RootDeviceType);
  } catch (error) {
    if (isTransientAwsError(error)) throw toResponderError(error, 'ec2:DescribeInstanceTypes');
    const code = awsErrorCode(error) ?? 'UnknownError';
    logger.warn('could not describe the instance type', { instanceType: type, errorCode: code });
    return instanceStoreReport(type, undefined, instance.RootDeviceType, `ec2:DescribeInstanceTypes failed: ${code}`);
  }
}

/** The incident's evidence snapshots of this instance, found by the tags Firebreak put on them. */
export async function findEvidenceSnapshots(ec2: EC2Client, incidentKey: string, instanceId: string): Promise<Snapshot[]> {
  return ownSnapshotsWhere(ec2, [
    { Name: `tag:${EVIDENCE_TAG_KEYS.incident}`, Values: [incidentKey] },
    { Name: `tag:${EVIDENCE_TAG_KEYS.instance}`, Values: [instanceId] },
  ]);
}

/**
 * The account's own snapshots with exactly this description, every page (row 3x). A snapshot's
 * description is set at creation and cannot be changed, while its tags can, by anyone allowed
 * ec2:CreateTags or ec2:DeleteTags on it, a locked snapshot included: so snapshot-volumes'
 * description finds the evidence whatever its tags say now. EC2 filters read `*` and `?` as
 * wildcards and `\` as their escape
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/Using_Filtering.html), so each is escaped:
 * the filter matches the text as written, and the caller compares it exactly anyway.
 */
export async function findSnapshotsByDescription(ec2: EC2Client, description: string): Promise<Snapshot[]> {
  return ownSnapshotsWhere(ec2, [{ Name: 'description', Values: [description.replace(/[\\*?]/g, (c) => `\\${c}`)] }]);
}

/** The account's own snapshots matching every filter, every page. */
async function ownSnapshotsWhere(ec2: EC2Client, filters: { Name: string; Values: string[] }[]): Promise<Snapshot[]> {
  const snapshots: Snapshot[] = [];
  let nextToken: string | undefined;
  do {
    const token = nextToken;
    const output = await sendReadOnly('ec2:DescribeSnapshots', () =>
      ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: filters, ...(token !== undefined ? { NextToken: token } : {}) })),
    );
    snapshots.push(...(output.Snapshots ?? []));
    nextToken = output.NextToken;
  } while (nextToken !== undefined && nextToken !== '');
  return snapshots;
}

/**
 * The volumes of `volumeIds` that an instance other than `instanceId` also has attached without
 * opting in to drills, by volume, with those instances: an io1/io2 volume with Multi-Attach can be
 * attached to up to 16 instances at once (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-volumes-multi.html),
 * so a drill's opted-in instance may share a disk with production. One DescribeInstances filtered
 * on `block-device-mapping.volume-id` (every instance, any state, with one of the volumes attached:
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstances.html), every page
 * (describeInstancesWhere), the tags read from EC2 now. A read that fails fails the step: a drill then snapshots nothing.
 */
export async function volumesSharedOutsideDrill(ec2: EC2Client, instanceId: string, volumeIds: readonly string[]): Promise<Map<string, string[]>> {
  const wanted = new Set(volumeIds);
  const shared = new Map<string, string[]>();
  for (const other of await describeInstancesWhere(ec2, [{ Name: 'block-device-mapping.volume-id', Values: [...wanted] }])) {
    if (other.InstanceId === undefined || other.InstanceId === instanceId) continue;
    if (isGameDayTarget(tagRecord(other.Tags))) continue;
    for (const mapping of other.BlockDeviceMappings ?? []) {
      const volumeId = mapping.Ebs?.VolumeId;
      if (volumeId === undefined || !wanted.has(volumeId)) continue;
      shared.set(volumeId, [...(shared.get(volumeId) ?? []), other.InstanceId]);
    }
  }
  return shared;
}
