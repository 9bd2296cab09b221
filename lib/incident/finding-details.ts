/**
 * What a GuardDuty finding says beyond the fields every incident has: the resources it names
 * (`affected`), the signals of an attack sequence, a malware scan, runtime details. Added to the
 * incident beside the existing fields, never instead of them: triage, the guard and the responders
 * read `resource` as before.
 */
import type { Incident } from './model';
import { AffectedResourceList, affectedFromPrimary, bucketDetailsAffected, clusterAffected, credentialAffected } from './affected';
import { hasEbsVolumeScan, readEbsVolumeScan } from './malware';
import { hasRuntimeDetails, readRuntime } from './runtime';
import { hasSequence, readSequence } from './sequence';
import { isRecord, textAt } from './lenient';
import { valueAt } from './reading';

export type FindingDetails = Pick<Incident, 'affected' | 'signals' | 'sequence' | 'malwareScan' | 'runtime'>;

/** The details of a finding (`raw`, camelCase) whose core fields became `base`. */
export function findingDetails(raw: unknown, base: Incident): FindingDetails {
  const primary = affectedFromPrimary(base);
  const affected = new AffectedResourceList(base.sample, base);
  affected.addAll(primary);

  const resource = valueAt(raw, ['resource']);
  // An AccessKey finding that also names an instance (InstanceCredentialExfiltration): `resource`
  // is the instance; the leaked credentials (key, role session) are affected too.
  if (isRecord(resource) && resource.resourceType === 'AccessKey' && base.resource.kind === 'ec2-instance') {
    const key = valueAt(resource, ['accessKeyDetails']);
    if (isRecord(key)) affected.addAll(credentialAffected(stringsOf(key), { from: 'resource.accessKeyDetails' }));
  }
  bucketDetailsAffected(raw, ['resource'], affected);
  for (const [member, kind] of [
    ['eksClusterDetails', 'eks-cluster'],
    ['ecsClusterDetails', 'ecs-cluster'],
  ] as const) {
    const nameOrArn = textAt(raw, ['resource', member, 'arn'], 2048) ?? textAt(raw, ['resource', member, 'name'], 2048);
    if (nameOrArn !== undefined) affected.add(clusterAffected(kind, nameOrArn, { from: `resource.${member}` }));
  }

  const sequence = hasSequence(raw) ? readSequence(raw, affected) : undefined;
  const details: { -readonly [K in keyof FindingDetails]: FindingDetails[K] } = {};
  // Stored only when it says more than `resource` (affectedResources derives the rest), so that
  // incidents of the shapes Firebreak read before are exactly what they were.
  if (JSON.stringify(affected.resources) !== JSON.stringify(primary)) details.affected = affected.resources;
  if (sequence !== undefined) {
    details.signals = sequence.signals;
    details.sequence = sequence.sequence;
  }
  if (hasEbsVolumeScan(raw)) details.malwareScan = readEbsVolumeScan(raw);
  if (hasRuntimeDetails(raw)) details.runtime = readRuntime(raw);
  return details;
}

function stringsOf(record: Record<string, unknown>): { accessKeyId?: string; userName?: string; userType?: string; principalId?: string } {
  const text = (key: string): string | undefined => (typeof record[key] === 'string' ? record[key] : undefined);
  return { accessKeyId: text('accessKeyId'), userName: text('userName'), userType: text('userType'), principalId: text('principalId') };
}
