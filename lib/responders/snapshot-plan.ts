/**
 * snapshot-volumes' evidence model and pure decisions: which volumes an instance has, which snapshots
 * found by the incident's tags Firebreak really took for it, which volumes those already cover, what one CreateSnapshots call must leave out, the
 * tags and description every evidence snapshot carries, and what the instance store means for the
 * alert. Plain data in and out, tested without any SDK mock (test/responders/snapshot-plan.test.ts).
 */
import type { Instance, InstanceStorageInfo, Snapshot, SnapshotInfo, Tag } from '@aws-sdk/client-ec2';
import type { Incident } from '../incident/model';

/** Tag keys every evidence snapshot carries; `firebreak:incident` + `firebreak:instance` are how a re-run finds them. */
export const EVIDENCE_TAG_KEYS = {
  incident: 'firebreak:incident',
  instance: 'firebreak:instance',
  findingType: 'firebreak:finding-type',
  evidence: 'firebreak:evidence',
} as const;

/** Tags on every forensic copy (copy-evidence): how a re-run finds the copy of a source, and what it is evidence of. */
export const FORENSIC_COPY_TAG_KEYS = {
  sourceSnapshot: 'firebreak:source-snapshot',
  sourceAccount: 'firebreak:source-account',
} as const;

/** Every tag key copy-evidence writes on a copy, and the only ones the forensic role may write (ForensicRoleStack, aws:TagKeys). */
export const FORENSIC_COPY_WRITTEN_TAG_KEYS = [EVIDENCE_TAG_KEYS.incident, EVIDENCE_TAG_KEYS.evidence, FORENSIC_COPY_TAG_KEYS.sourceSnapshot, FORENSIC_COPY_TAG_KEYS.sourceAccount] as const;

/** One evidence snapshot of one EBS volume. */
export interface EvidenceSnapshot {
  readonly snapshotId: string;
  readonly volumeId: string;
  readonly deviceName?: string;
  /** True when an earlier run of this incident took it and this run reused it. */
  readonly reused: boolean;
  /** `pending` or `completed` (EBS finishes snapshots asynchronously). */
  readonly state?: string;
}

/** What Firebreak found out about the instance's instance-store volumes, which cannot be snapshotted. */
export interface InstanceStoreReport {
  /** present: the instance type has instance store; none: it has none; unknown: the type could not be described. */
  readonly status: 'present' | 'none' | 'unknown';
  readonly instanceType?: string;
  /** Instance-store disks the type provides (on non-NVMe types, only those mapped at launch are attached). */
  readonly volumeCount: number;
  readonly totalSizeInGB: number;
  readonly disks: readonly { readonly count: number; readonly sizeInGB: number; readonly type?: string }[];
  /** The root device itself is instance store (an instance-store-backed AMI): the boot disk cannot be preserved either. */
  readonly rootDeviceIsInstanceStore: boolean;
  /** One human sentence for the alert. */
  readonly detail: string;
}

/** An EBS volume attached to the instance, as DescribeInstances reports it. */
export interface AttachedEbsVolume {
  readonly volumeId: string;
  readonly deviceName?: string;
  /** The root (boot) volume: the mapping whose device is the instance's root device. */
  readonly boot: boolean;
}

/** What one CreateSnapshots call must leave out so that only volumes without evidence get snapshotted. */
export interface SnapshotPlan {
  readonly reused: readonly EvidenceSnapshot[];
  readonly toSnapshot: readonly AttachedEbsVolume[];
  readonly excludeBootVolume: boolean;
  readonly excludeDataVolumeIds: readonly string[];
}

/** Cuts `text` to `max` characters (code points), ending with `...` when it was cut. */
export function truncateText(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return `${chars.slice(0, Math.max(0, max - 3)).join('')}...`;
}

/** The EBS volumes of an instance, boot volume marked. Instance-store mappings carry no `Ebs` and are left out. */
export function attachedEbsVolumes(instance: Instance): AttachedEbsVolume[] {
  return (instance.BlockDeviceMappings ?? []).flatMap((mapping) => {
    const volumeId = mapping.Ebs?.VolumeId;
    if (volumeId === undefined) return [];
    return [
      {
        volumeId,
        ...(mapping.DeviceName !== undefined ? { deviceName: mapping.DeviceName } : {}),
        boot: mapping.DeviceName !== undefined && mapping.DeviceName === instance.RootDeviceName,
      },
    ];
  });
}

/** Snapshot states that preserve the volume: `error` is lost, `recoverable`/`recovering` sit in the Recycle Bin. */
const USABLE_SNAPSHOT_STATES = new Set(['pending', 'completed']);

/**
 * How long before the incident's creation time (`times.created`: the finding's `createdAt`, the
 * alarm's state change) an evidence snapshot may have started and still be this incident's.
 * Firebreak snapshots only once the event has reached it, so after that time; 5 minutes covers any
 * clock difference between GuardDuty or CloudWatch and EBS (seconds at most) many times over, and
 * is far shorter than any backup schedule a planted snapshot would come from.
 */
export const EVIDENCE_START_SKEW_MS = 5 * 60 * 1000;

/** A snapshot carrying the incident's tags that is not taken as its evidence, and why. */
export interface NotEvidence {
  readonly snapshotId: string;
  readonly volumeId?: string;
  readonly reason: string;
}

/**
 * Why a snapshot found by the incident's tags is not one Firebreak took for this incident, or
 * undefined when it is: it started before the incident was created (less the skew), or it lacks
 * the description and tags Firebreak writes. The tags alone prove nothing: anyone allowed
 * ec2:CreateTags in the account can put them on last week's backup (incident keys are predictable,
 * `gd-<finding id>`), which would otherwise stand in for the disk as it is now.
 */
export function notTakenForIncident(
  snapshot: Pick<Snapshot, 'StartTime' | 'Description' | 'Tags'>,
  incident: Pick<Incident, 'key' | 'findingType' | 'times'>,
  instanceId: string,
): string | undefined {
  const created = Date.parse(incident.times.created);
  if (Number.isNaN(created)) return `the incident's creation time ${JSON.stringify(incident.times.created)} cannot be read, so its age cannot be checked`;
  const started = snapshot.StartTime?.getTime();
  if (started === undefined || Number.isNaN(started)) return 'EC2 reports no start time for it';
  if (started < created - EVIDENCE_START_SKEW_MS) {
    return `it started ${new Date(started).toISOString()}, before the incident was created (${incident.times.created})`;
  }
  return withoutFirebreakMarks(snapshot, incident, instanceId);
}

/** Why a snapshot found by the incident's tags lacks the description and tags snapshot-volumes writes, or undefined when it has them all (pure). */
export function withoutFirebreakMarks(snapshot: Pick<Snapshot, 'Description' | 'Tags'>, incident: Pick<Incident, 'key' | 'findingType'>, instanceId: string): string | undefined {
  if (snapshot.Description !== evidenceSnapshotDescription(incident)) return 'its description is not the one Firebreak writes';
  const tags = snapshot.Tags ?? [];
  const missing = ownEvidenceTags(incident, instanceId).find((own) => !tags.some((tag) => tag.Key === own.Key && tag.Value === own.Value));
  return missing !== undefined ? `it lacks Firebreak's tag ${missing.Key}=${missing.Value ?? ''}` : undefined;
}

/** The snapshots found by the incident's tags, split into Firebreak's evidence for it and the others (`notTakenForIncident`). */
export function incidentEvidence(
  found: readonly Snapshot[],
  incident: Pick<Incident, 'key' | 'findingType' | 'times'>,
  instanceId: string,
): { readonly evidence: Snapshot[]; readonly notEvidence: NotEvidence[] } {
  const evidence: Snapshot[] = [];
  const notEvidence: NotEvidence[] = [];
  for (const snapshot of found) {
    const reason = notTakenForIncident(snapshot, incident, instanceId);
    if (reason === undefined) evidence.push(snapshot);
    else if (snapshot.SnapshotId !== undefined) notEvidence.push({ snapshotId: snapshot.SnapshotId, ...(snapshot.VolumeId !== undefined ? { volumeId: snapshot.VolumeId } : {}), reason });
  }
  return { evidence, notEvidence };
}

/** Decides which volumes still need a snapshot, given the incident's existing evidence snapshots (`incidentEvidence`). */
export function planEvidenceSnapshots(
  volumes: readonly AttachedEbsVolume[],
  existing: readonly Pick<Snapshot, 'SnapshotId' | 'VolumeId' | 'State'>[],
  withheld: ReadonlySet<string> = new Set(),
): SnapshotPlan {
  const reused: EvidenceSnapshot[] = [];
  const toSnapshot: AttachedEbsVolume[] = [];
  for (const volume of volumes) {
    // Not this step's to preserve (a drill's volume also attached to an instance outside the drill):
    // left out of the call below, and never reported as evidence.
    if (withheld.has(volume.volumeId)) continue;
    const candidates = existing.filter(
      (s) => s.VolumeId === volume.volumeId && s.SnapshotId !== undefined && USABLE_SNAPSHOT_STATES.has(s.State ?? ''),
    );
    // A completed snapshot is better evidence than one still pending.
    const best = candidates.find((s) => s.State === 'completed') ?? candidates[0];
    if (best?.SnapshotId !== undefined) {
      reused.push({
        snapshotId: best.SnapshotId,
        volumeId: volume.volumeId,
        ...(volume.deviceName !== undefined ? { deviceName: volume.deviceName } : {}),
        reused: true,
        ...(best.State !== undefined ? { state: best.State } : {}),
      });
    } else {
      toSnapshot.push(volume);
    }
  }
  const reusedIds = new Set(reused.map((s) => s.volumeId));
  return {
    reused,
    toSnapshot,
    excludeBootVolume: volumes.some((v) => v.boot && (reusedIds.has(v.volumeId) || withheld.has(v.volumeId))),
    excludeDataVolumeIds: volumes.filter((v) => !v.boot && (reusedIds.has(v.volumeId) || withheld.has(v.volumeId))).map((v) => v.volumeId),
  };
}

// EC2 tag limits: keys ≤ 128 characters, values ≤ 256, the `aws:` prefix is reserved, 50 tags per
// resource (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions).
const MAX_TAG_KEY = 128;

const MAX_TAG_VALUE = 256;

const MAX_TAGS = 50;

const MAX_DESCRIPTION = 255;

/** Why an extra tag from the playbook was left off the snapshots, or undefined when it is usable. */
function extraTagProblem(key: string): string | undefined {
  if (key.length === 0 || Array.from(key).length > MAX_TAG_KEY) return `key must be 1–${MAX_TAG_KEY} characters`;
  if (key.toLowerCase().startsWith('aws:')) return 'the aws: prefix is reserved';
  if (key.startsWith('firebreak:')) return 'firebreak: tags are set by Firebreak itself';
  return undefined;
}

/**
 * The tags of the incident's evidence snapshots: Firebreak's own (which a re-run searches by) and
 * the playbook's extras. Values are cut to EC2's 256 characters; unusable extras are returned apart
 * so that a bad playbook tag never costs the evidence.
 */
export function evidenceSnapshotTags(
  incident: Pick<Incident, 'key' | 'findingType'>,
  instanceId: string,
  extraTags: Readonly<Record<string, string>> = {},
): { tags: Tag[]; rejected: { key: string; reason: string }[] } {
  const own = ownEvidenceTags(incident, instanceId);
  const extras: Tag[] = [];
  const rejected: { key: string; reason: string }[] = [];
  for (const [key, value] of Object.entries(extraTags)) {
    const problem = extraTagProblem(key);
    if (problem !== undefined) rejected.push({ key, reason: problem });
    else if (own.length + extras.length >= MAX_TAGS) rejected.push({ key, reason: `more than ${MAX_TAGS} tags` });
    else extras.push({ Key: key, Value: truncateText(value, MAX_TAG_VALUE) });
  }
  return { tags: [...own, ...extras], rejected };
}

/** Firebreak's own tags on every evidence snapshot of the incident's instance. */
function ownEvidenceTags(incident: Pick<Incident, 'key' | 'findingType'>, instanceId: string): Tag[] {
  return [
    { Key: EVIDENCE_TAG_KEYS.incident, Value: truncateText(incident.key, MAX_TAG_VALUE) },
    { Key: EVIDENCE_TAG_KEYS.instance, Value: instanceId },
    { Key: EVIDENCE_TAG_KEYS.findingType, Value: truncateText(incident.findingType, MAX_TAG_VALUE) },
    { Key: EVIDENCE_TAG_KEYS.evidence, Value: 'true' },
  ];
}

/** The description of every evidence snapshot (EC2 allows 255 characters). */
export function evidenceSnapshotDescription(incident: Pick<Incident, 'key' | 'findingType'>): string {
  return truncateText(`Firebreak evidence for ${incident.key} (${incident.findingType})`, MAX_DESCRIPTION);
}

/** Reads what DescribeInstanceTypes says of the type's instance store into the report for the alert. */
export function instanceStoreReport(
  instanceType: string | undefined,
  storage: InstanceStorageInfo | undefined,
  rootDeviceType: string | undefined,
  describeFailure?: string,
): InstanceStoreReport {
  const rootDeviceIsInstanceStore = rootDeviceType === 'instance-store';
  const base = { ...(instanceType !== undefined ? { instanceType } : {}), rootDeviceIsInstanceStore };
  const rootNote = rootDeviceIsInstanceStore
    ? ' The root device is instance store too (instance-store-backed AMI): the boot disk cannot be snapshotted.'
    : '';
  if (describeFailure !== undefined) {
    return {
      ...base,
      status: 'unknown',
      volumeCount: 0,
      totalSizeInGB: 0,
      disks: [],
      detail: `Could not tell whether ${instanceType ?? 'the instance type'} has instance-store volumes (${describeFailure}); check before the instance stops.${rootNote}`,
    };
  }
  const disks = (storage?.Disks ?? []).map((d) => ({
    count: d.Count ?? 1,
    sizeInGB: d.SizeInGB ?? 0,
    ...(d.Type !== undefined ? { type: d.Type } : {}),
  }));
  const volumeCount = disks.reduce((sum, d) => sum + d.count, 0);
  const totalSizeInGB = storage?.TotalSizeInGB ?? disks.reduce((sum, d) => sum + d.count * d.sizeInGB, 0);
  if (volumeCount === 0 && !rootDeviceIsInstanceStore) {
    return { ...base, status: 'none', volumeCount: 0, totalSizeInGB: 0, disks, detail: `${instanceType ?? 'The instance type'} has no instance-store volumes.` };
  }
  const sizes = disks.map((d) => `${d.count} x ${d.sizeInGB} GB${d.type !== undefined ? ` ${d.type.toUpperCase()}` : ''}`).join(', ');
  // Instance-store data lives on the host and is lost when the instance stops, hibernates or
  // terminates (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/InstanceStorage.html#instance-store-lifetime).
  return {
    ...base,
    status: 'present',
    volumeCount,
    totalSizeInGB,
    disks,
    detail:
      volumeCount > 0
        ? `${instanceType ?? 'The instance type'} has up to ${volumeCount} instance-store volume(s) (${sizes}, ${totalSizeInGB} GB in all) that EBS snapshots cannot preserve; ` +
          `image them from inside the instance before it stops, or their data is lost.${rootNote}`
        : `The root device is instance store (instance-store-backed AMI): EBS snapshots cannot preserve the boot disk; image it from inside the instance before it stops, or its data is lost.`,
  };
}

/** A volume as the action log names it: its id, then its device and whether it boots. */
export function describeVolume(volume: { volumeId: string; deviceName?: string | undefined; boot?: boolean }): string {
  const where = [volume.deviceName, volume.boot === true ? 'boot' : undefined].filter((x) => x !== undefined);
  return where.length > 0 ? `${volume.volumeId} (${where.join(', ')})` : volume.volumeId;
}

/** A volume CreateSnapshots was to snapshot that its answer holds no usable snapshot of, and why. */
export interface MissingEvidence {
  readonly volume: AttachedEbsVolume;
  readonly reason: string;
}

/**
 * What one CreateSnapshots call really started: the evidence (each snapshot with the device of its
 * volume) and every planned volume its answer holds no usable snapshot of. The answer is checked,
 * not assumed: CreateSnapshots snapshots the volumes attached when EC2 runs it, so one detached
 * since DescribeInstances is simply absent, and a snapshot EC2 answers in `error` (or without an
 * id) preserves nothing. A snapshot of a volume attached since is kept: more evidence, never less.
 */
export function startedEvidence(
  infos: readonly SnapshotInfo[],
  planned: readonly AttachedEbsVolume[],
  volumes: readonly AttachedEbsVolume[],
): { readonly evidence: EvidenceSnapshot[]; readonly missing: MissingEvidence[] } {
  const evidence = infos.flatMap((info): EvidenceSnapshot[] => {
    // EC2 always answers a state; one it does not name is taken at its word that the snapshot started.
    if (info.SnapshotId === undefined || (info.State !== undefined && !USABLE_SNAPSHOT_STATES.has(info.State))) return [];
    const volumeId = info.VolumeId ?? 'unknown-volume';
    const deviceName = volumes.find((v) => v.volumeId === volumeId)?.deviceName;
    return [{ snapshotId: info.SnapshotId, volumeId, ...(deviceName !== undefined ? { deviceName } : {}), reused: false, ...(info.State !== undefined ? { state: info.State } : {}) }];
  });
  const missing = planned.flatMap((volume): MissingEvidence[] => {
    if (evidence.some((s) => s.volumeId === volume.volumeId)) return [];
    const answered = infos.filter((info) => info.VolumeId === volume.volumeId);
    const why = answered.map((info) => (info.SnapshotId === undefined ? 'EC2 answered a snapshot of it without an id' : `${info.SnapshotId} is in state ${info.State ?? 'unknown'}`));
    return [{ volume, reason: why.length > 0 ? why.join('; ') : "EC2's answer holds no snapshot of it (detached since it was described?)" }];
  });
  return { evidence, missing };
}
