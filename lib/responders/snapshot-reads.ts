/**
 * What snapshot-volumes reads from EC2 besides the instance (lib/aws/describe-instance.ts): its
 * type's instance store, and the evidence snapshots an earlier run of the incident already took.
 */
import type { EC2Client, Instance, Snapshot } from '@aws-sdk/client-ec2';
import { DescribeInstanceTypesCommand, DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import { awsErrorCode, isTransientAwsError, toResponderError } from '../aws/errors';
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
  const snapshots: Snapshot[] = [];
  let nextToken: string | undefined;
  do {
    const token = nextToken;
    const output = await sendReadOnly('ec2:DescribeSnapshots', () =>
      ec2.send(
        new DescribeSnapshotsCommand({
          OwnerIds: ['self'],
          Filters: [
            { Name: `tag:${EVIDENCE_TAG_KEYS.incident}`, Values: [incidentKey] },
            { Name: `tag:${EVIDENCE_TAG_KEYS.instance}`, Values: [instanceId] },
          ],
          ...(token !== undefined ? { NextToken: token } : {}),
        }),
      ),
    );
    snapshots.push(...(output.Snapshots ?? []));
    nextToken = output.NextToken;
  } while (nextToken !== undefined && nextToken !== '');
  return snapshots;
}
