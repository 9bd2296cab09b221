/**
 * snapshot-volumes (forensics): preserve every EBS volume of the incident's instance with one
 * crash-consistent `CreateSnapshots` call, tagged as evidence of the incident; reuse the incident's
 * snapshots when an earlier run already took them; report the instance-store volumes, which EBS
 * cannot snapshot.
 *
 * `CreateSnapshots` (plural) snapshots all volumes of one instance at the same point in time and can
 * only leave out the boot volume or named data volumes
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSnapshots.html), so a partial
 * earlier run is completed by excluding what already exists rather than by naming what is missing.
 */
import type { EC2Client, Instance, InstanceStorageInfo, Snapshot, SnapshotInfo, Tag } from '@aws-sdk/client-ec2';
import {
  CreateSnapshotsCommand,
  DescribeInstanceTypesCommand,
  DescribeSnapshotsCommand,
} from '@aws-sdk/client-ec2';
import type { Ec2Clients } from '../aws/clients/ec2';
import { describeInstance, tagRecord } from '../aws/describe-instance';
import { awsErrorCode, isTransientAwsError, toResponderError } from '../aws/errors';
import { sendMutating, sendReadOnly } from './mutating';
import type { Incident } from '../incident/model';
import { ACTIONS } from '../playbooks/actions';
import { ActionLog } from './action-log';
import { gameDayRefusal } from './game-day';
import type { DeploymentEnvironment } from './effective-mode';
import { effectiveMode, forcedDryRunField, recordEffectiveMode } from './effective-mode';
import type { IncidentLogger } from './logging';
import type { ResponderResult } from './model';
import type { ResponderInput } from './responder-input';
import type { HandlerDeps, ResponderHandler } from './runtime';
import { createResponderHandler, stepResponder } from './runtime';
import { isPlaceholderInstanceId } from './instance-state';
import { RESPONDER_NAMES } from '../contracts/responders';

export const SNAPSHOT_RESPONDER = RESPONDER_NAMES.snapshotVolumes;

/** The step options (`with:` of a `snapshot-volumes` step): the playbook's own schema. */
export const snapshotOptionsSchema = ACTIONS['snapshot-volumes'].options;
export type SnapshotOptions = { readonly tags: Readonly<Record<string, string>> };
export type SnapshotInput = ResponderInput<SnapshotOptions>;

/** Tag keys every evidence snapshot carries; `firebreak:incident` + `firebreak:instance` are how a re-run finds them. */
export const EVIDENCE_TAG_KEYS = {
  incident: 'firebreak:incident',
  instance: 'firebreak:instance',
  findingType: 'firebreak:finding-type',
  evidence: 'firebreak:evidence',
} as const;

export type SnapshotStatus =
  | 'snapshotted'
  | 'already-snapshotted'
  | 'dry-run'
  | 'no-ebs-volumes'
  | 'not-found'
  | 'skipped-sample'
  | 'not-an-instance'
  | 'refused';

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

export interface SnapshotResult extends ResponderResult<SnapshotStatus> {
  readonly instanceId?: string;
  /** Every evidence snapshot of the instance's current EBS volumes for this incident (created or reused). */
  readonly snapshots: readonly EvidenceSnapshot[];
  readonly instanceStoreVolumes?: InstanceStoreReport;
}

export interface SnapshotDeps {
  /** EC2 in the incident's account. */
  readonly clients: Ec2Clients;
  readonly logger: IncidentLogger;
  /** The deployment's environment (FIREBREAK_MODE). @default process.env */
  readonly environment?: DeploymentEnvironment;
  readonly now?: () => Date;
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

// ---------------------------------------------------------------------------------------------
// Pure decisions
// ---------------------------------------------------------------------------------------------

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

/** Decides which volumes still need a snapshot, given the incident's existing evidence snapshots. */
export function planEvidenceSnapshots(
  volumes: readonly AttachedEbsVolume[],
  existing: readonly Pick<Snapshot, 'SnapshotId' | 'VolumeId' | 'State'>[],
): SnapshotPlan {
  const reused: EvidenceSnapshot[] = [];
  const toSnapshot: AttachedEbsVolume[] = [];
  for (const volume of volumes) {
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
    excludeBootVolume: volumes.some((v) => v.boot && reusedIds.has(v.volumeId)),
    excludeDataVolumeIds: volumes.filter((v) => !v.boot && reusedIds.has(v.volumeId)).map((v) => v.volumeId),
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
  const own: Tag[] = [
    { Key: EVIDENCE_TAG_KEYS.incident, Value: truncateText(incident.key, MAX_TAG_VALUE) },
    { Key: EVIDENCE_TAG_KEYS.instance, Value: instanceId },
    { Key: EVIDENCE_TAG_KEYS.findingType, Value: truncateText(incident.findingType, MAX_TAG_VALUE) },
    { Key: EVIDENCE_TAG_KEYS.evidence, Value: 'true' },
  ];
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

function describeVolume(volume: { volumeId: string; deviceName?: string | undefined; boot?: boolean }): string {
  const where = [volume.deviceName, volume.boot === true ? 'boot' : undefined].filter((x) => x !== undefined);
  return where.length > 0 ? `${volume.volumeId} (${where.join(', ')})` : volume.volumeId;
}

// ---------------------------------------------------------------------------------------------
// The responder
// ---------------------------------------------------------------------------------------------

type Outcome = Pick<SnapshotResult, 'status' | 'snapshots'> &
  Partial<Pick<SnapshotResult, 'instanceId' | 'instanceStoreVolumes'>> & { idempotentReplay?: boolean };

/** Preserves the incident's instance volumes as evidence snapshots (or says, in dry-run, whether it could). */
export async function snapshotVolumes(input: SnapshotInput, deps: SnapshotDeps): Promise<SnapshotResult> {
  const { incident } = input;
  const log = new ActionLog(deps.now);
  const logger = deps.logger;
  // The input's mode is a claim: the deployment's FIREBREAK_MODE can only lower it.
  const effective = effectiveMode(input.mode, deps.environment ?? process.env);
  const mode = effective.mode;
  const finish = (outcome: Outcome): SnapshotResult => {
    const result: SnapshotResult = {
      responder: SNAPSHOT_RESPONDER,
      incidentKey: incident.key,
      mode,
      idempotentReplay: outcome.idempotentReplay ?? false,
      ...forcedDryRunField(effective),
      actions: log.actions,
      status: outcome.status,
      snapshots: outcome.snapshots,
      ...(outcome.instanceId !== undefined ? { instanceId: outcome.instanceId } : {}),
      ...(outcome.instanceStoreVolumes !== undefined ? { instanceStoreVolumes: outcome.instanceStoreVolumes } : {}),
    };
    logger.info('snapshot-volumes finished', { status: result.status, snapshots: result.snapshots.length, mode });
    return result;
  };

  const resource = incident.resource;
  if (resource.kind !== 'ec2-instance') {
    log.record('firebreak:evidence', resource.kind, 'skipped', `The incident concerns a ${resource.kind} resource, not an EC2 instance: no volumes to snapshot.`);
    return finish({ status: 'not-an-instance', snapshots: [] });
  }
  const instanceId = resource.instanceId;
  recordEffectiveMode(log, instanceId, effective);

  // Sample findings name placeholder resources; even a DryRun call would put them in CloudTrail as
  // if an incident had happened, so a sample stops before any AWS call.
  if (incident.sample || isPlaceholderInstanceId(instanceId)) {
    const why = incident.sample ? 'a GuardDuty sample finding' : `a placeholder instance id (${instanceId})`;
    log.record('firebreak:evidence', instanceId, 'skipped', `Not snapshotted: the incident is ${why}; no AWS call was made.`);
    return finish({ status: 'skipped-sample', snapshots: [], instanceId });
  }

  const ec2 = await deps.clients.ec2({ account: incident.account, region: incident.region });
  logger.info('describing instance for evidence', { instanceId, mode });

  const lookup = await describeInstance(ec2, instanceId, { notFound: 'not-found-or-malformed' });
  const instance = lookup.found ? lookup.instance : undefined;
  if (instance === undefined || instance.State?.Name === 'terminated') {
    const detail =
      instance === undefined
        ? `Instance ${instanceId} was not found in ${incident.account}/${incident.region}: nothing to snapshot.`
        : `Instance ${instanceId} is terminated: its volumes are gone or detached, nothing to snapshot.`;
    log.record('ec2:DescribeInstances', instanceId, 'observed', detail);
    return finish({ status: 'not-found', snapshots: [], instanceId });
  }

  // A drill snapshots only instances that opted in, as EC2 says now: a forged game-day event must
  // not copy a production instance's disks.
  const currentTags = tagRecord(instance.Tags);
  const notATarget = gameDayRefusal(incident, instanceId, currentTags);
  if (notATarget !== undefined) {
    log.record('firebreak:check-gameday-target', instanceId, 'skipped', notATarget);
    return finish({ status: 'refused', snapshots: [], instanceId });
  }

  const volumes = attachedEbsVolumes(instance);
  log.record(
    'ec2:DescribeInstances',
    instanceId,
    'observed',
    `Instance ${instanceId} is ${instance.State?.Name ?? 'in an unknown state'} with ${volumes.length} EBS volume(s)${volumes.length > 0 ? `: ${volumes.map(describeVolume).join(', ')}` : ''}.`,
  );

  // Independent reads run together: the instance store report and the search for earlier evidence.
  const [instanceStore, existing] = await Promise.all([
    describeInstanceStore(ec2, instance, logger),
    volumes.length > 0 ? findEvidenceSnapshots(ec2, incident.key, instanceId) : Promise.resolve([]),
  ]);
  if (instance.InstanceType !== undefined) {
    log.record('ec2:DescribeInstanceTypes', instance.InstanceType, 'observed', instanceStore.detail);
  }
  if (instanceStore.status !== 'none') {
    log.record('ec2:CreateSnapshots', instanceId, 'skipped', `Instance store not preserved: ${instanceStore.detail}`);
  }

  if (volumes.length === 0) {
    log.record('ec2:CreateSnapshots', instanceId, 'skipped', `Instance ${instanceId} has no EBS volume to snapshot.`);
    return finish({ status: 'no-ebs-volumes', snapshots: [], instanceId, instanceStoreVolumes: instanceStore });
  }

  const plan = planEvidenceSnapshots(volumes, existing);
  log.record(
    'ec2:DescribeSnapshots',
    instanceId,
    'observed',
    plan.reused.length > 0
      ? `${plan.reused.length} of ${volumes.length} volume(s) already have an evidence snapshot for ${incident.key}.`
      : `No evidence snapshot exists yet for ${incident.key}.`,
  );
  for (const snapshot of plan.reused) {
    log.record('ec2:CreateSnapshots', snapshot.volumeId, 'already-done', `Reused ${snapshot.snapshotId} (${snapshot.state ?? 'unknown state'}), taken by an earlier run, for ${describeVolume(snapshot)}.`);
  }
  if (plan.toSnapshot.length === 0) {
    logger.info('every volume already has an evidence snapshot', { reused: plan.reused.map((s) => s.snapshotId) });
    return finish({ status: 'already-snapshotted', snapshots: plan.reused, instanceId, instanceStoreVolumes: instanceStore, idempotentReplay: true });
  }

  const { tags, rejected } = evidenceSnapshotTags(incident, instanceId, input.options.tags);
  for (const r of rejected) logger.warn('playbook tag left off the evidence snapshots', { tagKey: r.key, reason: r.reason });
  const instanceSpecification = {
    InstanceId: instanceId,
    ExcludeBootVolume: plan.excludeBootVolume,
    ...(plan.excludeDataVolumeIds.length > 0 ? { ExcludeDataVolumeIds: [...plan.excludeDataVolumeIds] } : {}),
  };
  const wanted = plan.toSnapshot.map(describeVolume).join(', ');
  const outcome = await sendMutating(mode, 'ec2:CreateSnapshots', (dryRun) =>
    ec2.send(
      new CreateSnapshotsCommand({
        InstanceSpecification: instanceSpecification,
        Description: evidenceSnapshotDescription(incident),
        CopyTagsFromSource: 'volume',
        TagSpecifications: [{ ResourceType: 'snapshot', Tags: tags }],
        ...(dryRun ? { DryRun: true } : {}),
      }),
    ),
  );

  if (outcome.outcome === 'would-do') {
    log.record('ec2:CreateSnapshots', instanceId, 'would-do', `Would have snapshotted ${wanted} in one crash-consistent call (EC2 answered DryRunOperation).`);
    return finish({ status: 'dry-run', snapshots: plan.reused, instanceId, instanceStoreVolumes: instanceStore });
  }
  if (outcome.outcome === 'would-be-denied') {
    log.record('ec2:CreateSnapshots', instanceId, 'would-be-denied', `Would have been denied snapshotting ${wanted}: ${outcome.message}`);
    return finish({ status: 'dry-run', snapshots: plan.reused, instanceId, instanceStoreVolumes: instanceStore });
  }

  const created = createdSnapshots(outcome.output.Snapshots ?? [], volumes);
  for (const snapshot of created) {
    log.record('ec2:CreateSnapshots', snapshot.volumeId, 'done', `Started ${snapshot.snapshotId} of ${describeVolume({ ...snapshot, boot: volumes.some((v) => v.boot && v.volumeId === snapshot.volumeId) })}, tagged ${EVIDENCE_TAG_KEYS.incident}=${incident.key}.`);
  }
  logger.info('evidence snapshots started', { snapshotIds: created.map((s) => s.snapshotId) });
  return finish({ status: 'snapshotted', snapshots: [...plan.reused, ...created], instanceId, instanceStoreVolumes: instanceStore });
}

function createdSnapshots(infos: readonly SnapshotInfo[], volumes: readonly AttachedEbsVolume[]): EvidenceSnapshot[] {
  return infos.flatMap((info) => {
    if (info.SnapshotId === undefined) return [];
    const volumeId = info.VolumeId ?? 'unknown-volume';
    const deviceName = volumes.find((v) => v.volumeId === volumeId)?.deviceName;
    return [
      {
        snapshotId: info.SnapshotId,
        volumeId,
        ...(deviceName !== undefined ? { deviceName } : {}),
        reused: false,
        ...(info.State !== undefined ? { state: info.State } : {}),
      },
    ];
  });
}

/**
 * The instance-store report. DescribeInstances does not list NVMe instance-store volumes, so the
 * instance type is asked instead. Only throttling is worth failing the step for: the report
 * informs the alert, it must not cost the EBS evidence.
 */
async function describeInstanceStore(ec2: EC2Client, instance: Instance, logger: IncidentLogger): Promise<InstanceStoreReport> {
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
async function findEvidenceSnapshots(ec2: EC2Client, incidentKey: string, instanceId: string): Promise<Snapshot[]> {
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

/** snapshot-volumes as the responder runtime runs it (lib/responders/runtime.ts). */
export const snapshotResponder = stepResponder(snapshotOptionsSchema, snapshotVolumes);

/** What the snapshot-volumes Lambda is built from (module-scope in Lambda, injected by the local game day). */
export type SnapshotHandlerDeps = HandlerDeps<SnapshotDeps>;

/** The snapshot-volumes Lambda handler: parse the input, preserve the evidence, return the result. */
export const createSnapshotVolumesHandler = (deps: SnapshotHandlerDeps): ResponderHandler<SnapshotResult> =>
  createResponderHandler(snapshotResponder, deps);
