/**
 * snapshot-volumes (forensics): preserve every EBS volume of the incident's instance with one
 * crash-consistent `CreateSnapshots` call, tagged as evidence of the incident; reuse the incident's
 * snapshots when an earlier run already took them (never a tagged snapshot from before the incident:
 * snapshot-plan.ts `notTakenForIncident`); report the instance-store volumes, which EBS cannot
 * snapshot.
 *
 * `CreateSnapshots` (plural) snapshots all volumes of one instance at the same point in time and can
 * only leave out the boot volume or named data volumes
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSnapshots.html), so a partial
 * earlier run is completed by excluding what already exists rather than by naming what is missing.
 */
import { CreateSnapshotsCommand } from '@aws-sdk/client-ec2';
import type { Snapshot, SnapshotInfo } from '@aws-sdk/client-ec2';
import type { Ec2Clients } from '../aws/clients/ec2';
import { describeInstance, foreignInstanceDetail, tagRecord } from '../aws/describe-instance';
import { sendMutating } from './mutating';
import { awsErrorCode } from '../aws/errors';
import { ResponderFailedError, TransientResponderError } from '../contracts/responder-errors';
import { snapshotOptions } from '../playbooks/instance-options';
import { gameDayRefusal, isGameDayIncident } from './game-day';
import { SECURITY_TAGS } from '../contracts/security';
import type { DeploymentEnvironment } from './effective-mode';
import type { IncidentLogger } from './logging';
import type { ResponderResult } from './model';
import type { ResponderInput } from './responder-input';
import type { HandlerDeps, ResponderHandler } from './runtime';
import { createResponderHandler } from './runtime';
import type { StepOriginDeps } from './step-origin';
import { originCheckedStepResponder } from './step-origin';
import { ResponderRun, incidentInstance, isSampleTarget } from './responder-run';
import { RESPONDER_NAMES } from '../contracts/responders';
import type { EvidenceSnapshot, InstanceStoreReport, MissingEvidence } from './snapshot-plan';
import {
  EVIDENCE_TAG_KEYS,
  attachedEbsVolumes,
  incidentEvidence,
  planEvidenceSnapshots,
  evidenceSnapshotTags,
  evidenceSnapshotDescription,
  describeVolume,
  startedEvidence,
} from './snapshot-plan';
import { describeInstanceStore, findEvidenceSnapshots, volumesSharedOutsideDrill } from './snapshot-reads';
import type { EvidenceLock, EvidenceLockOptions, EvidenceLockRail } from './snapshot-lock';
import { deployedEvidenceLock, evidenceLockRefusedError, lockEvidenceSnapshots } from './snapshot-lock';
import { actingTarget } from '../incident/finding-account';
import type { EvidenceRecords } from './evidence-record';
import { MAX_RECORD_CHECKS_PER_VOLUME, firstRecordedOfEachVolume } from './evidence-record';

/** Why an incident can be made at will, and what its snapshots are then called. */
interface ForgeableIncident {
  readonly why: string;
  readonly snapshotsOf: string;
}

const ALARM_EVENT: ForgeableIncident = { why: "The incident is a CloudWatch alarm's state change, which anyone allowed cloudwatch:SetAlarmState can make as often as they like", snapshotsOf: 'a hand-set alarm' };
const INTAKE_EVENT: ForgeableIncident = {
  why: 'The event reached Firebreak through the oversized-event intake, which anyone allowed to invoke it can call with a forged event as often as they like, and GuardDuty did not confirm it',
  snapshotsOf: 'a forged event',
};
const GAME_DAY_EVENT: ForgeableIncident = { why: 'The incident is a game-day drill, which anyone allowed to put events on the game-day bus can inject as often as they like', snapshotsOf: 'a drill' };

/**
 * Why anyone short of Firebreak can make this incident at will (pure), or undefined: an alarm's
 * (SetAlarmState, row 10e), an event of the oversized-event intake GuardDuty did not confirm
 * (row 10f), as the containment guard tells them apart (`clipped.event` without `confirmed`), or a
 * drill (row 1za: a rehearsal is evidence of nothing, and the game-day principals inject at will).
 */
function forgeableIncident(incident: SnapshotInput['incident']): ForgeableIncident | undefined {
  if (incident.source === 'cloudwatch') return ALARM_EVENT;
  if (isGameDayIncident(incident)) return GAME_DAY_EVENT;
  const intake = incident.clipped?.event;
  return intake !== undefined && intake.confirmed !== true ? INTAKE_EVENT : undefined;
}

export const SNAPSHOT_RESPONDER = RESPONDER_NAMES.snapshotVolumes;

/** The step options (`with:` of a `snapshot-volumes` step): the playbook's own schema. */
export const snapshotOptionsSchema = snapshotOptions;

export type SnapshotOptions = { readonly tags: Readonly<Record<string, string>>; readonly lock?: EvidenceLockOptions };
export type SnapshotInput = ResponderInput<SnapshotOptions>;

export type SnapshotStatus =
  | 'snapshotted'
  | 'already-snapshotted'
  | 'dry-run'
  | 'no-ebs-volumes'
  | 'not-found'
  | 'skipped-sample'
  | 'not-an-instance'
  | 'refused';

export interface SnapshotResult extends ResponderResult<SnapshotStatus> {
  readonly instanceId?: string;
  /** Every evidence snapshot of the instance's current EBS volumes for this incident (created or reused). */
  readonly snapshots: readonly EvidenceSnapshot[];
  readonly instanceStoreVolumes?: InstanceStoreReport;
  /** With the `lock` option: each evidence snapshot's EBS Snapshot Lock, as LockSnapshot (or DescribeLockedSnapshots) reported it. */
  readonly locks?: readonly EvidenceLock[];
}

export interface SnapshotDeps {
  /** EC2 in the incident's account. */
  readonly clients: Ec2Clients;
  /** The sealed record of each evidence snapshot it takes (evidence-record.ts): what it may reuse, and what copy-evidence may copy. */
  readonly records: EvidenceRecords;
  readonly logger: IncidentLogger;
  /** The deployment's environment (FIREBREAK_MODE). @default process.env */
  readonly environment?: DeploymentEnvironment;
  readonly now?: () => Date;
}

/** Preserves the incident's instance volumes as evidence snapshots (or says, in dry-run, whether it could). */
export async function snapshotVolumes(input: SnapshotInput, deps: SnapshotDeps): Promise<SnapshotResult> {
  const { incident } = input;
  const logger = deps.logger;
  // The input's mode is a claim: the deployment's FIREBREAK_MODE can only lower it.
  const run = new ResponderRun<SnapshotStatus>({
    responder: SNAPSHOT_RESPONDER,
    incident,
    requestedMode: input.mode,
    logger,
    environment: deps.environment,
    now: deps.now,
    replayStatuses: [],
  });
  const { log, mode } = run;
  const finish = run.finisher<SnapshotResult>({ snapshots: [] }, (r) => ({ snapshots: r.snapshots.length, mode }));

  const words = { action: 'firebreak:evidence', nothingDone: 'no volumes are snapshotted and no AWS call is made.' };
  const named = incidentInstance(incident, log, words);
  if (named === undefined) return finish('not-an-instance');
  const { instanceId } = named;
  run.recordMode(instanceId);
  if (isSampleTarget(incident, instanceId, log, words)) return finish('skipped-sample', { instanceId });

  // Taking evidence needs no grant, so the input's lock is applied only when a deployed playbook
  // configures it; decided before any call, and the snapshots are taken either way (snapshot-lock.ts).
  const deployedRail = deployedEvidenceLock(input.options.lock, deps.environment ?? process.env);
  if (deployedRail.refusal !== undefined) {
    logger.warn('evidence lock refused', { reason: deployedRail.refusal });
    log.record('ec2:LockSnapshot', instanceId, 'skipped', `No lock will be applied: ${deployedRail.refusal}.`);
  }
  // Row 10e: SetAlarmState makes an alarm's incident as often as its caller likes, so a compliance
  // lock (nobody, root included, can remove it) on an alarm's evidence would let that caller pile up
  // snapshots nobody can delete; governance keeps them from DeleteSnapshot and the security team can
  // still unlock them. Row 10f: so does anyone allowed to invoke the oversized-event intake, with a
  // forged GuardDuty-looking event (a new finding id each time) GuardDuty did not confirm. Row 1za: so
  // does whoever may put events on the game-day bus, with a drill on an opted-in instance (a drill's
  // snapshots are evidence of nothing, and the team removes them after the game day). Read from
  // the step's incident, which the step's origin check binds to its execution.
  const forgeable = forgeableIncident(incident);
  const softerLock = deployedRail.lock?.mode === 'compliance' && forgeable !== undefined ? { mode: 'governance' as const, durationDays: deployedRail.lock.durationDays } : undefined;
  const lockRail: EvidenceLockRail = softerLock !== undefined ? { lock: softerLock } : deployedRail;
  if (softerLock !== undefined && forgeable !== undefined) {
    log.record('ec2:LockSnapshot', instanceId, 'observed', `${forgeable.why}: its evidence is locked in governance mode for ${softerLock.durationDays} day(s), not compliance, so that the security team (ec2:UnlockSnapshot) can still remove snapshots of ${forgeable.snapshotsOf}.`);
  }

  // Row 9i: no grant holds this step, so the client factory itself refuses the security account for another account's finding.
  const ec2 = await deps.clients.ec2(actingTarget(incident));
  logger.info('describing instance for evidence', { instanceId, mode });

  const lookup = await describeInstance(ec2, instanceId, { notFound: 'not-found-or-malformed', account: incident.account });
  const instance = lookup.found ? lookup.instance : undefined;
  if (instance === undefined || instance.State?.Name === 'terminated') {
    const detail =
      instance === undefined
        ? `${foreignInstanceDetail(lookup, instanceId, incident.account) ?? `Instance ${instanceId} was not found in ${incident.account}/${incident.region}`}: nothing to snapshot.`
        : `Instance ${instanceId} is terminated: its volumes are gone or detached, nothing to snapshot.`;
    log.record('ec2:DescribeInstances', instanceId, 'observed', detail);
    return finish('not-found', { instanceId });
  }

  // A drill snapshots only instances that opted in, as EC2 says now: a forged game-day event must
  // not copy a production instance's disks.
  const currentTags = tagRecord(instance.Tags);
  const notATarget = gameDayRefusal(incident, instanceId, currentTags);
  if (notATarget !== undefined) {
    log.record('firebreak:check-gameday-target', instanceId, 'skipped', notATarget);
    return finish('refused', { instanceId });
  }

  const volumes = attachedEbsVolumes(instance);
  log.record(
    'ec2:DescribeInstances',
    instanceId,
    'observed',
    `Instance ${instanceId} is ${instance.State?.Name ?? 'in an unknown state'} with ${volumes.length} EBS volume(s)${volumes.length > 0 ? `: ${volumes.map(describeVolume).join(', ')}` : ''}.`,
  );

  // Independent reads run together: the instance store report, the search for earlier evidence and,
  // for a drill, who else has its volumes attached.
  const [instanceStore, existing, sharedOutside] = await Promise.all([
    describeInstanceStore(ec2, instance, logger),
    volumes.length > 0 ? findEvidenceSnapshots(ec2, incident.key, instanceId) : Promise.resolve([]),
    volumes.length > 0 && isGameDayIncident(incident) ? volumesSharedOutsideDrill(ec2, instanceId, volumes.map((v) => v.volumeId)) : Promise.resolve(new Map<string, string[]>()),
  ]);
  // A drill preserves only what its opted-in instance holds alone: a Multi-Attach volume also
  // attached to an instance outside the drill is production's disk, and a drill, which anyone allowed
  // to put events on the game-day bus injects, must not copy it (into a snapshot, and from there into
  // the forensic account).
  for (const [volumeId, others] of sharedOutside) {
    log.record('ec2:CreateSnapshots', volumeId, 'skipped', `Game-day incident ${incident.key}: ${volumeId} is also attached to ${others.join(', ')}, which ${others.length === 1 ? 'does' : 'do'} not carry the tag ${SECURITY_TAGS.gameDayTarget.key}=${SECURITY_TAGS.gameDayTarget.value} in EC2 now, so a drill may not snapshot it; left out.`);
  }
  if (instance.InstanceType !== undefined) {
    log.record('ec2:DescribeInstanceTypes', instance.InstanceType, 'observed', instanceStore.detail);
  }
  if (instanceStore.status !== 'none') {
    log.record('ec2:CreateSnapshots', instanceId, 'skipped', `Instance store not preserved: ${instanceStore.detail}`);
  }

  if (volumes.length === 0) {
    log.record('ec2:CreateSnapshots', instanceId, 'skipped', `Instance ${instanceId} has no EBS volume to snapshot.`);
    return finish('no-ebs-volumes', { instanceId, instanceStoreVolumes: instanceStore });
  }

  // Only what Firebreak took for this incident counts as its evidence: a tagged snapshot from before
  // the incident stays as it is (evidence is never changed or deleted), and the disk is snapshotted now.
  const found = incidentEvidence(existing, incident, instanceId);
  for (const other of found.notEvidence) {
    log.record(
      'ec2:DescribeSnapshots',
      other.snapshotId,
      'skipped',
      `${other.snapshotId}${other.volumeId !== undefined ? ` of ${other.volumeId}` : ''} carries the tags of ${incident.key}, but ${other.reason}: not taken as evidence of this incident, and left as it is.`,
    );
  }
  // Row 3za: the description and tags are claims too: anyone allowed ec2:CreateSnapshot and
  // ec2:CreateTags in the account can make a snapshot with them (incident keys are predictable)
  // before this step runs, or after its evidence was deleted. Only a snapshot whose sealed record
  // this step wrote when CreateSnapshots answered is reused; any other is left as it is and its
  // volume snapshotted now (an extra snapshot is cheap, evidence is never destroyed).
  const recorded = await recordedEvidence(deps.records, found.evidence, { incident, instanceId, volumeIds: new Set(volumes.map((v) => v.volumeId)) }, log);
  const plan = planEvidenceSnapshots(volumes, recorded, new Set(sharedOutside.keys()));
  if (sharedOutside.size === volumes.length) return finish('refused', { instanceId, instanceStoreVolumes: instanceStore });
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
  // The lock option: every evidence snapshot of the incident locked, pending or not (snapshot-lock.ts);
  // a refused lock fails the step once the snapshots exist, naming them.
  const lockAll = async (snapshots: readonly EvidenceSnapshot[], wouldCreate: readonly string[] = []): Promise<{ locks?: EvidenceLock[] }> => {
    if (lockRail.refusal !== undefined) throw evidenceLockRefusedError(lockRail.refusal, snapshots, wouldCreate);
    return lockRail.lock === undefined ? {} : { locks: await lockEvidenceSnapshots(ec2, mode, log, snapshots, lockRail.lock, wouldCreate) };
  };

  if (plan.toSnapshot.length === 0) {
    logger.info('every volume already has an evidence snapshot', { reused: plan.reused.map((s) => s.snapshotId) });
    const locked = await lockAll(plan.reused);
    const changedNothing = (locked.locks ?? []).every((l) => l.outcome === 'already-locked');
    return finish('already-snapshotted', { snapshots: plan.reused, instanceId, instanceStoreVolumes: instanceStore, idempotentReplay: changedNothing, ...locked });
  }

  const { tags, rejected } = evidenceSnapshotTags(incident, instanceId, input.options.tags);
  for (const r of rejected) logger.warn('playbook tag left off the evidence snapshots', { tagKey: r.key, reason: r.reason });
  const instanceSpecification = {
    InstanceId: instanceId,
    ExcludeBootVolume: plan.excludeBootVolume,
    ...(plan.excludeDataVolumeIds.length > 0 ? { ExcludeDataVolumeIds: [...plan.excludeDataVolumeIds] } : {}),
  };
  const wanted = plan.toSnapshot.map(describeVolume).join(', ');
  const createSnapshots = (copyVolumeTags: boolean) =>
    sendMutating(mode, 'ec2:CreateSnapshots', (dryRun) =>
      ec2.send(
        new CreateSnapshotsCommand({
          InstanceSpecification: instanceSpecification,
          Description: evidenceSnapshotDescription(incident),
          ...(copyVolumeTags ? { CopyTagsFromSource: 'volume' as const } : {}),
          TagSpecifications: [{ ResourceType: 'snapshot', Tags: tags }],
          ...(dryRun ? { DryRun: true } : {}),
        }),
      ),
    );
  const outcome = await createSnapshots(true).catch(async (error: unknown) => {
    // The volumes' own tags are whatever anyone allowed ec2:CreateTags on a volume wrote there: 46
    // of them push the copy past EC2's 50 per snapshot, and EC2 refuses the whole call. The
    // evidence must not depend on a tag, so it is taken once more without them (Firebreak's and
    // the playbook's tags are never more than 50: evidenceSnapshotTags).
    if (!refusedForTooManyTags(error)) throw error;
    logger.warn('evidence snapshots refused with the volume tags copied; taking them without', { instanceId });
    log.record(
      'ec2:CreateSnapshots',
      instanceId,
      'skipped',
      `EC2 refused to snapshot ${wanted} with the volumes' own tags copied (${TAG_LIMIT_EXCEEDED}: a snapshot holds at most 50 tags, and anyone allowed ec2:CreateTags on a volume can add to them): taken again without the volumes' own tags.`,
    );
    return createSnapshots(false);
  });

  if (outcome.outcome === 'would-do') {
    log.record('ec2:CreateSnapshots', instanceId, 'would-do', `Would have snapshotted ${wanted} in one crash-consistent call (EC2 answered DryRunOperation).`);
    const locked = await lockAll(plan.reused, plan.toSnapshot.map((v) => v.volumeId));
    return finish('dry-run', { snapshots: plan.reused, instanceId, instanceStoreVolumes: instanceStore, ...locked });
  }
  if (outcome.outcome === 'would-be-denied') {
    log.record('ec2:CreateSnapshots', instanceId, 'would-be-denied', `Would have been denied snapshotting ${wanted}: ${outcome.message}`);
    const locked = await lockAll(plan.reused, plan.toSnapshot.map((v) => v.volumeId));
    return finish('dry-run', { snapshots: plan.reused, instanceId, instanceStoreVolumes: instanceStore, ...locked });
  }

  // EC2's answer is checked, not assumed: only what it says it started is evidence (startedEvidence).
  const started = startedEvidence(outcome.output.Snapshots ?? [], plan.toSnapshot, volumes);
  for (const snapshot of started.evidence) {
    log.record('ec2:CreateSnapshots', snapshot.volumeId, 'done', `Started ${snapshot.snapshotId} of ${describeVolume({ ...snapshot, boot: volumes.some((v) => v.boot && v.volumeId === snapshot.volumeId) })}, tagged ${EVIDENCE_TAG_KEYS.incident}=${incident.key}.`);
  }
  for (const gap of started.missing) {
    log.record('ec2:CreateSnapshots', gap.volume.volumeId, 'skipped', `No evidence snapshot of ${describeVolume(gap.volume)}: ${gap.reason}.`);
  }
  logger.info('evidence snapshots started', { snapshotIds: started.evidence.map((s) => s.snapshotId), missing: started.missing.map((m) => m.volume.volumeId) });
  // Row 3za: each snapshot's sealed record, written right after CreateSnapshots answered: only
  // what it answered is recorded, so no snapshot someone else made can be.
  const unrecorded = await recordStartedEvidence(deps.records, started.evidence, outcome.output.Snapshots ?? [], { incident, instanceId, executionArn: input.execution?.executionArn, now: run.now }, log);
  const all = [...plan.reused, ...started.evidence];
  // What exists is locked first: a volume without evidence must not leave the others unlocked.
  const locked = await lockAll(all);
  if (unrecorded.length > 0) throw unrecordedEvidenceError(unrecorded);
  if (started.missing.length > 0) throw missingEvidenceError(started.missing, all);
  return finish('snapshotted', { snapshots: all, instanceId, instanceStoreVolumes: instanceStore, ...locked });
}

/**
 * The snapshots found by the incident's marks whose sealed record verifies (row 3za), one per volume
 * attached now (usable ones only: the others are never reused anyway), at most
 * MAX_RECORD_CHECKS_PER_VOLUME checked each; each other one is named in the action log as a claim
 * (those left unchecked in one line per volume) and left as it is.
 */
async function recordedEvidence(
  records: EvidenceRecords,
  found: readonly Snapshot[],
  where: { readonly incident: SnapshotInput['incident']; readonly instanceId: string; readonly volumeIds: ReadonlySet<string> },
  log: ResponderRun<SnapshotStatus>['log'],
): Promise<Snapshot[]> {
  const { incident, instanceId } = where;
  const usable = found.filter((s) => s.VolumeId !== undefined && where.volumeIds.has(s.VolumeId) && (s.State === 'pending' || s.State === 'completed'));
  const split = await firstRecordedOfEachVolume(records, usable, (s) => ({ incidentKey: incident.key, snapshotId: s.SnapshotId as string, volumeId: s.VolumeId as string, instanceId, account: incident.account, region: incident.region }));
  for (const { snapshot, reason } of split.unrecorded) {
    const { SnapshotId: snapshotId, VolumeId: volumeId } = snapshot as { SnapshotId: string; VolumeId: string };
    log.record(
      'ec2:DescribeSnapshots',
      snapshotId,
      'skipped',
      `${snapshotId} of ${volumeId} carries the description and tags of ${incident.key}'s evidence, but ${reason}: they are claims anyone allowed ec2:CreateSnapshot and ec2:CreateTags in ${incident.account} can make, so it is not reused as evidence; it is left as it is${split.recorded.some((r) => r.VolumeId === volumeId) ? '' : `, and ${volumeId} is snapshotted now`}. Check CloudTrail (CreateSnapshot, CreateSnapshots) for who made it.`,
    );
  }
  const unchecked = new Map<string, string[]>();
  for (const { snapshot, evidence } of split.unchecked) {
    if (evidence === undefined) unchecked.set(snapshot.VolumeId as string, [...(unchecked.get(snapshot.VolumeId as string) ?? []), snapshot.SnapshotId as string]);
  }
  // Row 2zi: the volume's own record may name its evidence past those checks (firstRecordedOfEachVolume).
  const reusedOf = (volumeId: string) => {
    const recorded = split.recorded.find((r) => r.VolumeId === volumeId);
    return recorded !== undefined ? `${recorded.SnapshotId as string}, which the volume's sealed record names, is its evidence.` : `${volumeId} is snapshotted now.`;
  };
  for (const [volumeId, ids] of unchecked) {
    log.record(
      'ec2:DescribeSnapshots',
      volumeId,
      'skipped',
      `${ids.length} more snapshot(s) of ${volumeId} carry the description and tags of ${incident.key}'s evidence; past the first ${MAX_RECORD_CHECKS_PER_VOLUME} none was checked against the records, nor reused: ${ids.slice(0, 50).join(', ')}${ids.length > 50 ? ` and ${ids.length - 50} more` : ''}. ${reusedOf(volumeId)}`,
    );
  }
  return split.recorded;
}

/** A snapshot CreateSnapshots started whose record could not be written, and why. */
interface UnrecordedEvidence {
  readonly snapshotId: string;
  readonly error: unknown;
}

/** Writes the sealed record of each snapshot CreateSnapshots started (row 3za); returns those whose write failed, each named in the action log. */
async function recordStartedEvidence(
  records: EvidenceRecords,
  started: readonly EvidenceSnapshot[],
  answered: readonly SnapshotInfo[],
  at: { readonly incident: SnapshotInput['incident']; readonly instanceId: string; readonly executionArn: string | undefined; readonly now: () => Date },
  log: ResponderRun<SnapshotStatus>['log'],
): Promise<UnrecordedEvidence[]> {
  const { incident, instanceId, executionArn } = at;
  const failed: UnrecordedEvidence[] = [];
  for (const snapshot of started) {
    const startTime = answered.find((info) => info.SnapshotId === snapshot.snapshotId)?.StartTime;
    try {
      const outcome = await records.save({
        incidentKey: incident.key,
        snapshotId: snapshot.snapshotId,
        volumeId: snapshot.volumeId,
        instanceId,
        account: incident.account,
        region: incident.region,
        ...(startTime instanceof Date && !Number.isNaN(startTime.getTime()) ? { startedAt: startTime.toISOString() } : {}),
        recordedAt: at.now().toISOString(),
        ...(executionArn !== undefined ? { executionArn } : {}),
      });
      log.record('dynamodb:PutItem', snapshot.snapshotId, outcome === 'saved' ? 'done' : 'already-done', `Sealed the record of ${snapshot.snapshotId} as ${incident.key}'s evidence of ${snapshot.volumeId}${outcome === 'exists' ? ' (written by an earlier delivery of this step; kept)' : ''}.`);
    } catch (error) {
      failed.push({ snapshotId: snapshot.snapshotId, error });
      log.record('dynamodb:PutItem', snapshot.snapshotId, 'skipped', `The record of ${snapshot.snapshotId} could not be written (${error instanceof Error ? error.message : String(error)}): it is kept, but not taken as evidence by a rerun nor by copy-evidence.`);
    }
  }
  return failed;
}

/**
 * The step's failure when a record could not be written: transient when any write was, so that the
 * state machine retries. A retry takes its volume again (the snapshot without a record is not
 * reused: nothing tells it from one someone else made), and leaves this one as it is.
 */
function unrecordedEvidenceError(unrecorded: readonly UnrecordedEvidence[]): ResponderFailedError | TransientResponderError {
  const ids = unrecorded.map((u) => u.snapshotId).join(', ');
  const message = `The evidence snapshots ${ids} were started, but their sealed records could not be written, so neither a rerun nor copy-evidence takes them as evidence: they are kept (never deleted); a rerun of the step snapshots their volumes again and records those`;
  const cause = unrecorded[0]?.error;
  return unrecorded.some((u) => u.error instanceof TransientResponderError) ? new TransientResponderError(message, { cause }) : new ResponderFailedError(message, { cause });
}

/** EC2's error code for a resource past its 50 tags (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html). */
const TAG_LIMIT_EXCEEDED = 'TagLimitExceeded';

/** True when CreateSnapshots was refused for the number of tags on the snapshots (sendMutating wraps EC2's error as the cause). */
function refusedForTooManyTags(error: unknown): boolean {
  return error instanceof ResponderFailedError && awsErrorCode(error.cause) === TAG_LIMIT_EXCEEDED;
}

/** The step's failure when CreateSnapshots' answer leaves a volume without evidence: it names the volumes, and the snapshots that exist. */
function missingEvidenceError(missing: readonly MissingEvidence[], taken: readonly EvidenceSnapshot[]): ResponderFailedError {
  const gaps = missing.map((m) => `no evidence snapshot of ${describeVolume(m.volume)}: ${m.reason}`).join('; ');
  const exists = taken.length > 0 ? `the evidence snapshots ${taken.map((s) => s.snapshotId).join(', ')} exist and are kept` : 'no evidence snapshot exists';
  return new ResponderFailedError(
    `CreateSnapshots did not preserve every volume: ${gaps}; ${exists}. Check the instance's volumes (a volume detached during the response is evidence too) and re-run the step: it reuses what exists and snapshots what is still attached`,
  );
}

/**
 * snapshot-volumes as the responder runtime runs it (lib/responders/runtime.ts): it takes evidence
 * without a grant, so only for the task a running playbook execution scheduled with exactly this
 * input (step-origin.ts); a direct invocation snapshots nothing.
 */
export const snapshotResponder = originCheckedStepResponder(
  snapshotOptionsSchema,
  { responder: SNAPSHOT_RESPONDER, nothingDone: 'no volume was snapshotted and no EC2 call was made' },
  snapshotVolumes,
);

/** What the snapshot-volumes Lambda is built from (module-scope in Lambda, injected by the local game day). */
export type SnapshotHandlerDeps = HandlerDeps<SnapshotDeps & StepOriginDeps>;

/** The snapshot-volumes Lambda handler: parse the input, preserve the evidence, return the result. */
export const createSnapshotVolumesHandler = (deps: SnapshotHandlerDeps): ResponderHandler<SnapshotResult> =>
  createResponderHandler(snapshotResponder, deps);
