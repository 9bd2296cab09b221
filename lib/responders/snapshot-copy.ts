/**
 * copy-evidence (forensics): copy the incident's evidence snapshots out of the member account into
 * the forensic account, re-encrypted with the forensic account's KMS key, and keep a chain of
 * custody for each copy (snapshot-custody.ts). Calls, per evidence snapshot:
 *
 * 1. DescribeSnapshots of the source: its canonical JSON and SHA-256 go in the custody record,
 *    sealed in the state table as the intent, status `sharing`, before anything is shared (a run
 *    that ends between the share and the copy leaves a record, which its rerun follows);
 * 2. in the member account, ModifySnapshotAttribute createVolumePermission add [forensic account]:
 *    shares the source with that account only (never `all`); a share EC2 refuses in a way that
 *    proves none was made (access denied, no such snapshot, an invalid request such as an aws/ebs
 *    snapshot's) seals the record `share-refused` with the error, and a rerun seals `sharing` again
 *    before it tries; for a drill, the instance's opt-in
 *    tag is read again from EC2 here, and a drill no longer opted in is refused before any copy
 *    (the share withdrawn and recorded, the record sealed `withdrawn`, or `refused-copy-kept` for a
 *    copy already started, which stays in the forensic account for the drill's owner to remove);
 * 3. in the forensic account, through the forensic role, CopySnapshot with `Encrypted: true` and
 *    the forensic `KmsKeyId`, tagged with the incident and the source;
 * 4. DescribeSnapshots of the copy: its canonical JSON and SHA-256 go in the custody record,
 *    sealed again, status `pending`;
 * 5. the copy confirmed: while the forensic account reports it `pending` the step throws
 *    `EvidencePendingError` (the state machine retries); once `completed`, ModifySnapshotAttribute
 *    createVolumePermission remove [forensic account] and the record sealed `completed` with the
 *    copy's final DescribeSnapshots hash; once `error` (or gone), sealed `failed` with EC2's reason,
 *    the source and its share kept, and the step fails with `EvidenceCopyFailedError`.
 *
 * A source with a custody record is never copied again: the record (verified) says what is left to
 * do. CopySnapshot needs a completed source (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-copy-snapshot.html),
 * and snapshots take minutes, a first full snapshot of a large volume much longer. The responder
 * never sleeps: while a source or a copy is `pending` it throws `EvidencePendingError`, and the
 * compiled step retries on the wait schedule of the action (`retryWhileWaiting`, a Step Functions
 * Retry), so the wait costs one state transition per attempt and no Lambda time.
 *
 * No evidence destroyed: nothing here deletes or unlocks a snapshot; the only permission taken away
 * is the forensic account's own share, once it holds a completed copy or when a drill is refused
 * mid-copy, each time through `removeShare` and recorded in the custody record with its reason. A
 * copy that fails leaves the source where it is (locked if the snapshot step locked it) and fails
 * the step with `EvidenceCopyFailedError` naming it, after the custody of the other copies is
 * written.
 */
import type { EC2Client, Snapshot, Tag } from '@aws-sdk/client-ec2';
import { CopySnapshotCommand, DescribeSnapshotsCommand, ModifySnapshotAttributeCommand } from '@aws-sdk/client-ec2';
import type { Ec2Clients } from '../aws/clients/ec2';
import { partitionForRegion } from '../aws/clients/member-role';
import { describeInstance, tagRecord } from '../aws/describe-instance';
import { awsErrorCode, isAccessDeniedAwsError, toResponderError } from '../aws/errors';
import { DEPLOYMENT_ENV } from '../contracts/environment';
import { FirebreakError } from '../contracts/errors';
import { EvidencePendingError, ResponderFailedError, TransientResponderError } from '../contracts/responder-errors';
import { RESPONDER_NAMES } from '../contracts/responders';
import { SECURITY_ENV, SECURITY_TAGS } from '../contracts/security';
import { copyEvidenceOptions } from '../playbooks/instance-options';
import { ActionLog } from './action-log';
import type { DeploymentEnvironment } from './effective-mode';
import { effectiveMode, forcedDryRunField, recordEffectiveMode } from './effective-mode';
import { isPlaceholderInstanceId } from './instance-state';
import { gameDayRefusal, isGameDayIncident } from './game-day';
import type { IncidentLogger } from './logging';
import type { ResponderResult } from './model';
import type { MutationOutcome } from './mutating';
import { sendMutating, sendReadOnly } from './mutating';
import type { ResponderInput } from './responder-input';
import type { HandlerDeps, ResponderHandler } from './runtime';
import { createResponderHandler } from './runtime';
import type { StepOriginDeps } from './step-origin';
import { originCheckedStepResponder } from './step-origin';
import type { CustodyConfirmation, CustodyRecord, CustodyStore, ReadCustody, ShareRefusal, ShareRemoval, ShareRemovalReason } from './snapshot-custody';
import { CustodyRecordUnreadableError, custodyStatus, snapshotReport, withShareRefusal } from './snapshot-custody';
import { EVIDENCE_TAG_KEYS, FORENSIC_COPY_TAG_KEYS, attachedEbsVolumes, evidenceSnapshotDescription, truncateText, withoutFirebreakMarks } from './snapshot-plan';
import { findEvidenceSnapshots, findSnapshotsByDescription, volumesSharedOutsideDrill } from './snapshot-reads';
import { actingTarget } from '../incident/finding-account';
import type { EvidenceRecords } from './evidence-record';
import { MAX_RECORD_CHECKS_PER_VOLUME, firstRecordedOfEachVolume } from './evidence-record';

export const COPY_RESPONDER = RESPONDER_NAMES.copyEvidence;

/** The step options (`with:` of a `copy-evidence` step). */
export const copyEvidenceOptionsSchema = copyEvidenceOptions;
export type CopyEvidenceOptions = { readonly waitMinutes: number };
export type CopyEvidenceInput = ResponderInput<CopyEvidenceOptions>;

export { FORENSIC_COPY_TAG_KEYS } from './snapshot-plan';

/** The forensic account, its role and key: the deployment's configuration, never the input's. */
export interface ForensicTarget {
  readonly accountId: string;
  readonly roleName: string;
  readonly kmsKeyArn: string;
  /** Sent as `ExternalId` when assuming the role: the deployment's, which the forensic role's trust then requires. @default none */
  readonly externalId?: string;
}

/** One or more copies failed; every source is kept (never deleted), and the message names them. */
export class EvidenceCopyFailedError extends FirebreakError {
  override readonly name = 'EvidenceCopyFailedError';
}

const ACCOUNT_ID = /^\d{12}$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:(\d{12}):key\/[A-Za-z0-9-]+$/;

/** The forensic target from the Lambda environment, checked (the stack validated it at synth too), with the deployment's ExternalId if any. */
export function forensicTargetFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): ForensicTarget {
  const accountId = env[SECURITY_ENV.forensicAccountId] ?? '';
  const roleName = env[SECURITY_ENV.forensicRoleName] ?? '';
  const kmsKeyArn = env[SECURITY_ENV.forensicKmsKeyArn] ?? '';
  const key = KMS_KEY_ARN.exec(kmsKeyArn);
  if (!ACCOUNT_ID.test(accountId) || roleName === '' || key === null || key[1] !== accountId) {
    throw new ResponderFailedError(
      `copy-evidence needs ${SECURITY_ENV.forensicAccountId} (12 digits), ${SECURITY_ENV.forensicRoleName} and ${SECURITY_ENV.forensicKmsKeyArn} (a key ARN of that same account); the deployment sets them from forensicAccountId, forensicRoleName and forensicKmsKeyArn`,
    );
  }
  const externalId = env[DEPLOYMENT_ENV.memberRoleExternalId]?.trim();
  return { accountId, roleName, kmsKeyArn, ...(externalId ? { externalId } : {}) };
}

export type CopyStatus = 'copied' | 'already-copied' | 'dry-run' | 'no-evidence' | 'skipped-sample' | 'not-an-instance' | 'refused';

/** One evidence snapshot and its forensic copy. */
export interface EvidenceCopy {
  readonly sourceSnapshotId: string;
  readonly sourceVolumeId: string;
  readonly copySnapshotId?: string;
  /** copied now; already-copied by an earlier run; would-copy in dry-run; failed (the source is kept); refused: a drill refused after this copy started (the copy kept in the forensic account). */
  readonly outcome: 'copied' | 'already-copied' | 'would-copy' | 'would-be-denied' | 'failed' | 'refused';
  readonly detail: string;
  /** The chain of custody (enforce): the record as sealed in the state table. */
  readonly custody?: Omit<CustodyRecord, 'source' | 'copy' | 'confirmed'> & {
    readonly sourceSha256: string;
    /** The copy as DescribeSnapshots reported it right after CopySnapshot (usually pending); absent before any copy. */
    readonly copySha256?: string;
    /** The confirmation: the copy's final state, and the hash of its final DescribeSnapshots answer. */
    readonly confirmed?: { readonly at: string; readonly copyState: CustodyConfirmation['copyState']; readonly copySha256?: string; readonly reason?: string };
    readonly verified: boolean;
  };
}

export interface CopyEvidenceResult extends ResponderResult<CopyStatus> {
  readonly instanceId?: string;
  readonly forensicAccount?: string;
  readonly kmsKeyId?: string;
  readonly copies: readonly EvidenceCopy[];
}

export interface CopyEvidenceDeps {
  /** EC2 in the incident's account (the member role). */
  readonly clients: Ec2Clients;
  /** EC2 in the forensic account, through the forensic role. */
  readonly forensic: Ec2Clients;
  readonly custody: CustodyStore;
  /** snapshot-volumes' sealed record of each evidence snapshot (evidence-record.ts): only a source one names is copied. */
  readonly evidence: Pick<EvidenceRecords, 'verify' | 'recordedSnapshotOf'>;
  readonly target: ForensicTarget;
  readonly logger: IncidentLogger;
  /** The deployment's environment (FIREBREAK_MODE). @default process.env */
  readonly environment?: DeploymentEnvironment;
  readonly now?: () => Date;
}

/** The exact ModifySnapshotAttribute input that gives the forensic account, and it only, createVolumePermission on one source (add), or takes it away (remove). */
function permissionInput(operation: 'add' | 'remove', snapshotId: string, forensicAccount: string, dryRun: boolean) {
  return { SnapshotId: snapshotId, Attribute: 'createVolumePermission' as const, OperationType: operation, UserIds: [forensicAccount], ...(dryRun ? { DryRun: true } : {}) };
}

/** The exact ModifySnapshotAttribute input that shares one source with the forensic account only. */
export function shareInput(snapshotId: string, forensicAccount: string, dryRun: boolean) {
  return permissionInput('add', snapshotId, forensicAccount, dryRun);
}

/** The exact ModifySnapshotAttribute input that takes the forensic account's share of one source away again (once its copy completed, or a drill was refused mid-copy). */
export function unshareInput(snapshotId: string, forensicAccount: string, dryRun: boolean) {
  return permissionInput('remove', snapshotId, forensicAccount, dryRun);
}

/** The exact CopySnapshot input of one source, in the forensic account. */
export function copyInput(source: { snapshotId: string; account: string; region: string }, incidentKey: string, kmsKeyArn: string, dryRun: boolean) {
  const tags: Tag[] = [
    { Key: EVIDENCE_TAG_KEYS.incident, Value: truncateText(incidentKey, 256) },
    { Key: EVIDENCE_TAG_KEYS.evidence, Value: 'true' },
    { Key: FORENSIC_COPY_TAG_KEYS.sourceSnapshot, Value: source.snapshotId },
    { Key: FORENSIC_COPY_TAG_KEYS.sourceAccount, Value: source.account },
  ];
  return {
    SourceSnapshotId: source.snapshotId,
    SourceRegion: source.region,
    // Re-encrypted with the forensic account's key, whatever the source was (or was not) encrypted with.
    Encrypted: true,
    KmsKeyId: kmsKeyArn,
    Description: truncateText(`Firebreak forensic copy of ${source.snapshotId} (${source.account}) for ${incidentKey}`, 255),
    TagSpecifications: [{ ResourceType: 'snapshot' as const, Tags: tags }],
    ...(dryRun ? { DryRun: true } : {}),
  };
}

/** One snapshot as DescribeSnapshots reports it now (the custody record's evidence). */
async function describeOne(ec2: EC2Client, snapshotId: string, api: string): Promise<Snapshot> {
  const output = await sendReadOnly(api, () => ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] })));
  const found = output.Snapshots?.find((s) => s.SnapshotId === snapshotId);
  if (!found) throw new ResponderFailedError(`${api} did not describe ${snapshotId}`);
  return found;
}

/** A copy as the forensic account reports it now; undefined when it no longer exists. */
async function describeCopy(forensic: EC2Client, snapshotId: string): Promise<Snapshot | undefined> {
  try {
    const output = await forensic.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }));
    return output.Snapshots?.find((s) => s.SnapshotId === snapshotId);
  } catch (error) {
    if (awsErrorCode(error) === 'InvalidSnapshot.NotFound') return undefined;
    throw toResponderError(error, 'ec2:DescribeSnapshots');
  }
}

/**
 * Whether a forensic-account snapshot is what `copyInput` makes of the source (pure): its tags, its
 * description, encrypted with the forensic key, owned by the forensic account. Tags are claims there
 * too (anyone who may tag snapshots in the forensic account can write `firebreak:source-snapshot`),
 * so a snapshot that only carries the source id is never recorded as the source's copy.
 */
export function isCopyOf(snapshot: Snapshot, expected: ReturnType<typeof copyInput>, forensicAccount: string): boolean {
  const tags = new Map((snapshot.Tags ?? []).map((t) => [t.Key, t.Value]));
  const expectedTags = expected.TagSpecifications.flatMap((spec) => spec.Tags);
  return (
    snapshot.OwnerId === forensicAccount &&
    snapshot.Encrypted === true &&
    snapshot.KmsKeyId === expected.KmsKeyId &&
    snapshot.Description === expected.Description &&
    expectedTags.every((t) => tags.get(t.Key) === t.Value)
  );
}

/** The forensic copies an earlier run made, by source snapshot id: only snapshots `isCopyOf` the source (copies in `error` are not evidence). */
async function existingCopies(forensic: EC2Client, sources: readonly string[], expected: (sourceId: string) => ReturnType<typeof copyInput>, forensicAccount: string): Promise<Map<string, Snapshot>> {
  const output = await sendReadOnly('ec2:DescribeSnapshots', () =>
    forensic.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: `tag:${FORENSIC_COPY_TAG_KEYS.sourceSnapshot}`, Values: [...sources] }] })),
  );
  const copies = new Map<string, Snapshot>();
  for (const snapshot of output.Snapshots ?? []) {
    const source = snapshot.Tags?.find((t) => t.Key === FORENSIC_COPY_TAG_KEYS.sourceSnapshot)?.Value;
    if (source === undefined || !sources.includes(source) || snapshot.State === 'error' || snapshot.SnapshotId === undefined) continue;
    if (isCopyOf(snapshot, expected(source), forensicAccount)) copies.set(source, snapshot);
  }
  return copies;
}

/** Why a share or a copy failed, in words a responder can act on (the AWS-managed key, a key policy). */
export function copyFailureAdvice(code: string | undefined, encrypted: boolean | undefined): string {
  if (encrypted === true) {
    return (
      'A snapshot encrypted with the AWS-managed EBS key (aws/ebs) cannot be shared with another account at all, and one under a customer key ' +
      'can be copied only when that key\'s policy lets the forensic account use it (kms:Decrypt, kms:DescribeKey, kms:CreateGrant, kms:ReEncrypt*): ' +
      're-encrypt the source with a shareable customer key in the member account, or add the forensic account to the key policy, then re-run the step.'
    );
  }
  return code === 'UnauthorizedOperation' || code === 'AccessDenied'
    ? 'Check the member role (ModifySnapshotAttribute on evidence snapshots) and the forensic role (CopySnapshot, the forensic key).'
    : 'Check the error; the step can be re-run (it reuses what was done).';
}

/** Copies the incident's evidence snapshots to the forensic account with their chain of custody (or says, in dry-run, whether it could). */
export async function copyEvidence(input: CopyEvidenceInput, deps: CopyEvidenceDeps): Promise<CopyEvidenceResult> {
  const { incident } = input;
  const now = deps.now ?? (() => new Date());
  const log = new ActionLog(now);
  const effective = effectiveMode(input.mode, deps.environment ?? process.env);
  const mode = effective.mode;
  const target = deps.target;
  const finish = (status: CopyStatus, copies: readonly EvidenceCopy[], instanceId?: string): CopyEvidenceResult => {
    deps.logger.info('copy-evidence finished', { status, copies: copies.length, mode });
    return {
      responder: COPY_RESPONDER,
      incidentKey: incident.key,
      mode,
      idempotentReplay: status === 'already-copied',
      ...forcedDryRunField(effective),
      actions: log.actions,
      status,
      copies,
      forensicAccount: target.accountId,
      kmsKeyId: target.kmsKeyArn,
      ...(instanceId !== undefined ? { instanceId } : {}),
    };
  };

  const resource = incident.resource;
  if (resource.kind !== 'ec2-instance') {
    log.record('firebreak:evidence', resource.kind, 'skipped', `The incident concerns a ${resource.kind} resource, not an EC2 instance: no evidence snapshots to copy.`);
    return finish('not-an-instance', []);
  }
  const instanceId = resource.instanceId;
  recordEffectiveMode(log, instanceId, effective);
  if (incident.sample || isPlaceholderInstanceId(instanceId)) {
    log.record('firebreak:evidence', instanceId, 'skipped', 'Not copied: a sample finding or a placeholder instance id; no AWS call was made.');
    return finish('skipped-sample', [], instanceId);
  }

  if (target.accountId === incident.account) {
    // A copy in the incident's own account is within reach of whoever controls that account: no custody.
    throw new ResponderFailedError(
      `copy-evidence refuses to copy the evidence of ${instanceId}: the forensic account ${target.accountId} is the incident's own account, so the copies would stay within reach of whoever controls it. Set forensicAccountId to an account of its own. Nothing was shared or copied.`,
    );
  }

  // Row 9i: no grant holds this step, so the client factory itself refuses the security account for another account's finding.
  const member = await deps.clients.ec2(actingTarget(incident));
  // Only the member account's own snapshots tagged as this incident's evidence of this instance.
  const tagged = (await findEvidenceSnapshots(member, incident.key, instanceId)).filter(
    (s) => s.SnapshotId !== undefined && s.OwnerId === incident.account && s.Tags?.some((t) => t.Key === EVIDENCE_TAG_KEYS.evidence && t.Value === 'true'),
  );
  // The tags are claims (anyone with ec2:CreateTags in the member account can write them on any
  // snapshot). A source must carry the description and every tag snapshot-volumes writes (a
  // description cannot be changed after creation): a tagged backup is left as it is. (The start
  // time, which snapshot-volumes also checks before it reuses a snapshot, decides which snapshot
  // stands for the disk now; the copy is of what that step kept, and the volume check below is
  // what keeps another disk out.)
  const marked: Snapshot[] = [];
  for (const snapshot of tagged) {
    const reason = withoutFirebreakMarks(snapshot, incident, instanceId);
    if (reason === undefined) {
      marked.push(snapshot);
      continue;
    }
    const id = snapshot.SnapshotId as string;
    log.record(
      'ec2:DescribeSnapshots',
      id,
      'skipped',
      `${id}${snapshot.VolumeId !== undefined ? ` of ${snapshot.VolumeId}` : ''} carries the tags of ${incident.key}, but ${reason}: not evidence snapshot-volumes took, so neither shared nor copied; left as it is.`,
    );
  }
  const candidates = marked.filter((s) => s.State === 'pending' || s.State === 'completed');
  // Row 3x: the tags are claims the other way too. Anyone allowed ec2:CreateTags or ec2:DeleteTags
  // on a snapshot of the member account (a lock keeps a snapshot from deletion, not its tags from
  // change) retags the evidence, and the search above no longer finds it: the step answered
  // `copied` for the rest, or `no-evidence`, and the disk never left the account. snapshot-volumes'
  // description, fixed at creation, still finds it: such a snapshot fails the step, named.
  const stripped = strippedEvidence(await findSnapshotsByDescription(member, evidenceSnapshotDescription(incident)), marked, incident, instanceId);
  // And a source must be a snapshot of a volume EC2 shows attached to the instance: not another
  // volume's (a database's) dressed as this incident's evidence. In enforce the volumes are read
  // even with no source found: each must have its evidence (row 3x).
  const attached =
    candidates.length > 0 || stripped.length > 0 || mode === 'enforce' ? await attachedVolumeIds(member, instanceId, incident.account) : { volumeIds: new Set<string>(), detail: '', tags: {} };
  // A drill copies disks only of an instance EC2 shows opted in now, as snapshot-volumes took them:
  // the copy waits hours for its sources, and an owner who took the tag off meanwhile took it out.
  const expectedCopy = (sourceId: string) => copyInput({ snapshotId: sourceId, account: incident.account, region: incident.region }, incident.key, target.kmsKeyArn, false);
  const refuseDrill = async (why: string, known?: ReadonlyMap<string, Snapshot>): Promise<CopyEvidenceResult> => {
    log.record('firebreak:check-gameday-target', instanceId, 'skipped', why);
    // A share made while it was opted in (a custody record names every share, written before it) is
    // taken back and recorded: left, its disks would stay shared with the forensic account, nothing
    // removing it once refused. A record still `sharing` may have a copy its run made before it
    // ended (CopySnapshot answered, the record not yet written): the forensic account's copies
    // (`known`, or read now) say so, and the record names that copy rather than "no copy made".
    const copiesOf = async (sources: readonly string[]): Promise<ReadonlyMap<string, Snapshot>> =>
      known ?? existingCopies(await deps.forensic.ec2({ account: target.accountId, region: incident.region }), sources, expectedCopy, target.accountId);
    const kept = mode === 'enforce' ? await withdrawDrillShares({ deps, log, member, mode, now, instanceId }, candidates, incident.key, copiesOf) : [];
    return finish('refused', kept, instanceId);
  };
  const notATarget = candidates.length > 0 ? gameDayRefusal(incident, instanceId, attached.tags) : undefined;
  if (notATarget !== undefined) return refuseDrill(notATarget);
  const { usable: ofInstance, foreign } = evidenceOfInstance(candidates, attached.volumeIds);
  // Row 1zg: a drill copies out only disks its opted-in instance holds alone. A snapshot of a
  // Multi-Attach volume that an instance outside the drill also has attached (one taken before row
  // 1zf, one CreateSnapshots took of a volume attached after snapshot-volumes read the instance, or
  // one tagged since) is production's disk: it is read here, where the copy happens, not taken on
  // the word of the step before.
  const sharedOutside =
    isGameDayIncident(incident) && ofInstance.length > 0 ? await volumesSharedOutsideDrill(member, instanceId, [...new Set(ofInstance.map((s) => s.VolumeId as string))]) : new Map<string, string[]>();
  const drillable = ofInstance.filter((s) => !sharedOutside.has(s.VolumeId as string));
  const withheld = ofInstance.filter((s) => !drillable.includes(s));
  // Row 3za: the description and tags are claims, made as easily before snapshot-volumes ran (which
  // then reused them) or after its snapshot was deleted: only a source whose sealed record
  // snapshot-volumes wrote when CreateSnapshots answered is shared and copied. Any other is named
  // and kept; a volume left without a recorded source fails the step below (`missing`).
  const records = await firstRecordedOfEachVolume(deps.evidence, drillable, (s) => ({
    incidentKey: incident.key,
    snapshotId: s.SnapshotId as string,
    volumeId: s.VolumeId as string,
    instanceId,
    account: incident.account,
    region: incident.region,
  }));
  // A later source of a volume whose recorded evidence started first goes on to row 3y's rule (never
  // copied, named with both start times); one past the checks' bound is named as unchecked.
  const outsideDrill = [...records.recorded, ...records.unchecked.flatMap((u) => (u.evidence !== undefined ? [u.snapshot] : []))];
  const unrecorded = [
    ...records.unrecorded,
    ...records.unchecked.flatMap((u) =>
      u.evidence === undefined ? [{ snapshot: u.snapshot, reason: `it was not checked against snapshot-volumes' records (at most ${MAX_RECORD_CHECKS_PER_VOLUME} of a volume are, earliest first, and none of those was recorded)` }] : [],
    ),
  ];
  for (const { snapshot, reason } of unrecorded) {
    log.record(
      'ec2:ModifySnapshotAttribute',
      snapshot.SnapshotId as string,
      'skipped',
      `${snapshot.SnapshotId as string} of ${snapshot.VolumeId as string} (started ${startedAt(snapshot)}) carries this incident's description and tags, but ${reason}: those are claims anyone allowed ec2:CreateSnapshot and ec2:CreateTags in ${incident.account} can make, so it is neither shared nor copied, and kept. Check CloudTrail (CreateSnapshot, CreateSnapshots, CreateTags) for who made it: one Firebreak's member role took is evidence whose record was never written (a failed write, or taken before records existed), to copy by hand.`,
    );
  }
  // Row 3y: snapshot-volumes takes one snapshot per volume and reuses it on every rerun, so of two
  // sources of one volume the later was not its: someone allowed ec2:CreateSnapshot and
  // ec2:CreateTags made it (the disk after the malware on the isolated instance wiped it), with
  // Firebreak's description and tags. Only the earliest of each volume is shared and copied.
  const { earliest: usable, later } = earliestOfEachVolume(outsideDrill);
  for (const { snapshot, earlier } of later) {
    log.record(
      'ec2:ModifySnapshotAttribute',
      snapshot.SnapshotId as string,
      'skipped',
      `${snapshot.SnapshotId as string} of ${snapshot.VolumeId as string} (started ${startedAt(snapshot)}) carries this incident's marks, but ${earlier.SnapshotId as string} of the same volume started earlier (${startedAt(earlier)}): snapshot-volumes takes one snapshot per volume and reuses it, so the later one is not its (someone allowed ec2:CreateSnapshot and ec2:CreateTags in ${incident.account} made it). It is neither shared nor copied, and kept: check CloudTrail (CreateSnapshot, CreateTags) for who made it.`,
    );
  }
  const sharedWith = (s: Snapshot): string => {
    const others = sharedOutside.get(s.VolumeId as string) ?? [];
    return `its volume ${s.VolumeId as string} is also attached to ${others.join(', ')}, which ${others.length === 1 ? 'does' : 'do'} not carry the tag ${SECURITY_TAGS.gameDayTarget.key}=${SECURITY_TAGS.gameDayTarget.value} in EC2 now`;
  };
  for (const snapshot of withheld) {
    log.record('ec2:ModifySnapshotAttribute', snapshot.SnapshotId as string, 'skipped', `Game-day incident ${incident.key}: ${snapshot.SnapshotId as string} is not shared nor copied, and kept: ${sharedWith(snapshot)}, so a drill may not copy it out.`);
  }
  // A share an earlier run made (before row 1zf, or before the other instance attached the disk) is
  // taken back and recorded, as for a drill no longer opted in: left, production's disk would stay
  // shared with the forensic account.
  const withheldCopies: EvidenceCopy[] =
    withheld.length > 0 && mode === 'enforce'
      ? await withdrawDrillShares(
          { deps, log, member, mode, now, instanceId },
          withheld,
          incident.key,
          async (sources) => existingCopies(await deps.forensic.ec2({ account: target.accountId, region: incident.region }), sources, expectedCopy, target.accountId),
          sharedWith,
        )
      : [];
  // Row 3x: every volume of the instance has its evidence, or the step says which has none (the
  // snapshot deleted, the volume attached since the snapshot step). A drill's volume shared with an
  // instance outside it has none by design (row 1zf), and a drill no longer opted in copies nothing.
  const unrecordedIds = new Set(unrecorded.map((u) => u.snapshot.SnapshotId));
  const missing =
    mode === 'enforce' ? await volumesWithoutEvidence(member, incident, instanceId, attached, [...ofInstance.filter((s) => !unrecordedIds.has(s.SnapshotId)), ...stripped.map((s) => s.snapshot)]) : [];
  if (ofInstance.length > 0 && usable.length === 0 && foreign.length === 0 && stripped.length === 0 && missing.length === 0) return finish('refused', withheldCopies, instanceId);
  log.record('ec2:DescribeSnapshots', instanceId, 'observed', `${usable.length} evidence snapshot(s) of ${instanceId} for ${incident.key}: ${usable.map((s) => `${s.SnapshotId} (${s.State})`).join(', ') || 'none'}.`);
  const copies: EvidenceCopy[] = [...withheldCopies];
  const failures: string[] = [];
  /**
   * Failures about snapshots anyone allowed ec2:CreateSnapshot or ec2:CreateTags may make many of
   * (row 8n): named after the rest, those of a volume attached to the instance first (the likeliest
   * to be its evidence retagged), earliest first.
   */
  const claimed: { why: string; attached: boolean; started: number }[] = [];
  const claim = (snapshot: Snapshot, why: string) =>
    claimed.push({ why, attached: attached.volumeIds.has(snapshot.VolumeId ?? ''), started: snapshot.StartTime instanceof Date ? snapshot.StartTime.getTime() : Number.POSITIVE_INFINITY });
  for (const snapshot of foreign) {
    const sourceId = snapshot.SnapshotId as string;
    const volumeId = snapshot.VolumeId ?? 'unknown-volume';
    const why = `${sourceId} is a snapshot of ${volumeId}, which EC2 does not show attached to ${instanceId} (${attached.detail}): it carries this incident's evidence tags, but tags are claims, so it is neither shared nor copied. It is kept; check who tagged it.`;
    log.record('ec2:ModifySnapshotAttribute', sourceId, 'skipped', why);
    copies.push({ sourceSnapshotId: sourceId, sourceVolumeId: volumeId, outcome: 'failed', detail: `not a volume of ${instanceId}` });
    claim(snapshot, why);
  }
  for (const { snapshot, reason } of stripped) {
    const sourceId = snapshot.SnapshotId as string;
    const volumeId = snapshot.VolumeId ?? 'unknown-volume';
    // Row 3y: what EC2 shows cannot tell the two apart, so the step says both, and what decides.
    const why = `${sourceId} of ${volumeId} carries the description snapshot-volumes gave this incident's evidence (${JSON.stringify(snapshot.Description)}, started ${startedAt(snapshot)}), but not its tags (${reason}): either Firebreak's evidence whose tags someone in ${incident.account} changed (a lock keeps a snapshot from deletion, not its tags from change), or a snapshot someone made with that description (ec2:CreateSnapshot, or ec2:CopySnapshot of any snapshot). It is neither shared nor copied, and kept (the member role shares only snapshots tagged ${EVIDENCE_TAG_KEYS.evidence}=true). Put Firebreak's tags back and re-run the step only once CloudTrail shows Firebreak's member role took it (CreateSnapshots) and who changed its tags (CreateTags, DeleteTags); otherwise it is not evidence Firebreak took: do not tag it as evidence, find who made it.`;
    log.record('ec2:ModifySnapshotAttribute', sourceId, 'skipped', why);
    copies.push({ sourceSnapshotId: sourceId, sourceVolumeId: volumeId, outcome: 'failed', detail: "carries the evidence description but not Firebreak's tags: not copied" });
    claim(snapshot, why);
  }
  for (const volumeId of missing) {
    const all = unrecorded.filter((u) => u.snapshot.VolumeId === volumeId).map((u) => u.snapshot.SnapshotId as string);
    // Named by id up to a bound (row 8n): anyone allowed ec2:CreateSnapshot can make them by the thousand.
    const claimsOf = all.length > 10 ? [...all.slice(0, 10), `${all.length - 10} more`] : all;
    const why =
      claimsOf.length > 0
        ? `${volumeId} is attached to ${instanceId}, but no evidence snapshot of it for ${incident.key} that snapshot-volumes recorded exists in ${incident.account}: ${claimsOf.join(', ')} carr${claimsOf.length === 1 ? 'ies' : 'y'} this incident's description and tags but no sealed record of snapshot-volumes (row 3za: made with them by someone allowed ec2:CreateSnapshot and ec2:CreateTags, before the snapshot step or after its evidence was deleted; or Firebreak's whose record was never written). Nothing of it is copied: check CloudTrail (CreateSnapshot, CreateSnapshots, DeleteSnapshot, UnlockSnapshot), and snapshot it by hand if it is evidence.`
        : `${volumeId} is attached to ${instanceId}, but no evidence snapshot of it for ${incident.key} exists in ${incident.account} (none carries this incident's tags or snapshot-volumes' description for it): its evidence snapshot was deleted (where no lock held it, or after its lock was removed), or the volume was attached after the snapshot step. Nothing of it is copied: check CloudTrail (DeleteSnapshot, UnlockSnapshot, AttachVolume), and snapshot it by hand if it is evidence.`;
    log.record('ec2:CopySnapshot', volumeId, 'skipped', why);
    failures.push(why);
  }
  const claims = claimed.sort((a, b) => Number(b.attached) - Number(a.attached) || a.started - b.started).map((c) => c.why);
  const notCopied = (): EvidenceCopyFailedError => {
    const done = copies.filter((c) => c.outcome === 'copied' || c.outcome === 'already-copied').map((c) => `${c.sourceSnapshotId} → ${c.copySnapshotId}`);
    // Row 8n: this step's own failures come first, and the snapshots anyone may make by the hundred
    // (one carrying this incident's description or tags) are named only so far: Step Functions cuts
    // a Cause at 32,768 characters, and the alert lost the rest and the copies made, named last.
    return new EvidenceCopyFailedError(
      `${failures.length + claims.length} of ${candidates.length - later.length - unrecorded.length + stripped.length + missing.length} evidence snapshot(s) not copied to the forensic account ${target.accountId}; no source was deleted. ${boundedFailures(failures, claims)}${done.length > 0 ? ` Copied, custody recorded: ${done.join(', ')}.` : ''}`,
    );
  };
  if (usable.length === 0) {
    if (failures.length + claims.length > 0) throw notCopied();
    log.record('ec2:CopySnapshot', instanceId, 'skipped', mode === 'dry-run' ? 'No evidence snapshot exists yet (in dry-run none was taken): nothing to copy.' : 'No evidence snapshot to copy (the snapshot step took none).');
    return finish(mode === 'dry-run' ? 'dry-run' : 'no-evidence', [], instanceId);
  }
  const pending = usable.filter((s) => s.State === 'pending');
  if (pending.length > 0 && mode === 'enforce') {
    // CopySnapshot needs a completed source: the state machine waits and retries (retryWhileWaiting).
    throw new EvidencePendingError(
      `${pending.length} of ${usable.length} evidence snapshot(s) still pending (${pending.map((s) => `${s.SnapshotId} ${s.Progress ?? ''}`.trim()).join(', ')}): CopySnapshot needs a completed source; the step waits and retries. Nothing was shared or copied yet; the sources are kept.`,
    );
  }

  const forensic = await deps.forensic.ec2({ account: target.accountId, region: incident.region });
  const forensicRoleArn = `arn:${partitionForRegion(incident.region)}:iam::${target.accountId}:role/${target.roleName}`;
  const flow: CopyFlow = { incident, instanceId, mode, deps, log, now, member, forensic, forensicRoleArn, execution: input.execution?.executionArn };
  const stillPending: string[] = [];
  const already = await existingCopies(
    forensic,
    usable.map((s) => s.SnapshotId as string),
    expectedCopy,
    target.accountId,
  );

  for (const source of usable) {
    const sourceId = source.SnapshotId as string;
    // The custody record is the authority: a source with one is never copied again, only confirmed.
    const stored = await deps.custody.get(incident.key, sourceId);
    const copy = stored !== undefined ? await followCopy(flow, source, stored, already.get(sourceId)) : await startCopy(flow, source, already.get(sourceId));
    // The drill's instance lost its opt-in between a share and its copy: no source is copied now.
    if (copy.refused !== undefined) return refuseDrill(copy.refused, already);
    copies.push(copy.copy);
    if (copy.failure !== undefined) failures.push(copy.failure);
    if (copy.pending !== undefined) stillPending.push(copy.pending);
  }

  if (stillPending.length > 0) {
    // The copies EC2 accepted are not evidence until the forensic account reports them completed:
    // the state machine waits and retries (the same retrier as the sources'); the rerun reads the
    // custody records and copies nothing again.
    throw new EvidencePendingError(
      `${stillPending.length} forensic cop${stillPending.length === 1 ? 'y' : 'ies'} still pending in ${target.accountId} (${stillPending.join(', ')}): custody recorded as pending; the step waits and retries, confirming each copy before it seals its custody and removes the share. Nothing is copied twice; the sources are kept.${failures.length + claims.length > 0 ? ` Already failed: ${boundedFailures(failures, claims)}` : ''}`,
    );
  }
  if (failures.length + claims.length > 0) throw notCopied();
  const status: CopyStatus = mode === 'dry-run' ? 'dry-run' : copies.every((c) => c.outcome === 'already-copied') ? 'already-copied' : 'copied';
  return finish(status, copies, instanceId);
}

/**
 * The forensic account's share of each source a drill shared (its custody record says so, written
 * before the share, its share not yet removed), taken away once the instance is no longer opted
 * in, through `removeShare` as every other removal, and recorded in the custody record: a
 * reviewer reading it sees the share taken back, and why. A copy already started (its record
 * `pending`, or a record still `sharing` or `share-refused` whose copy an interrupted run made: the
 * forensic account's copies, `copiesOf`, read once, only then) is never deleted: its record is
 * sealed `refused-copy-kept`, naming it, and it is returned for the result, whose alert tells the
 * drill's owner to remove it by hand in the forensic account. A record with no copy is sealed
 * `withdrawn`.
 */
async function withdrawDrillShares(
  flow: ShareFlow,
  sources: readonly Snapshot[],
  incidentKey: string,
  copiesOf: (sources: readonly string[]) => Promise<ReadonlyMap<string, Snapshot>>,
  /** Why each source's share is withdrawn, when not "the instance was no longer opted in" (row 1zg: a shared disk). */
  whyOf?: (source: Snapshot) => string,
): Promise<EvidenceCopy[]> {
  const { deps, log } = flow;
  const account = deps.target.accountId;
  const kept: EvidenceCopy[] = [];
  let copies: ReadonlyMap<string, Snapshot> | undefined;
  for (const source of sources) {
    const sourceId = source.SnapshotId as string;
    let stored: ReadCustody | undefined;
    try {
      stored = await deps.custody.get(incidentKey, sourceId);
    } catch (error) {
      if (!(error instanceof CustodyRecordUnreadableError)) throw error;
      // An item that is no custody record says nothing about the share: the removal is sent anyway,
      // and nothing is sealed over the item.
      const unshare = await removeShare(flow, sourceId, 'drill-refused', whyOf?.(source));
      log.record('dynamodb:PutItem', sourceId, 'skipped', `${error.message} (${unshare.detail})`);
      continue;
    }
    if (stored === undefined) continue;
    // An untrusted record's word that the share is gone is not taken: the removal is sent anyway.
    if (stored.verdict.valid && stored.record.unshare?.removed === true) {
      // Withdrawn by an earlier run: nothing sent again, and a copy it left is named again.
      if (custodyStatus(stored.record) === 'refused-copy-kept') kept.push(keptCopy(stored.record, account));
      continue;
    }
    const unshare = await removeShare(flow, sourceId, 'drill-refused', whyOf?.(source));
    if (!stored.verdict.valid) {
      // Taking a permission away is safe on any word; sealing a record that failed verification is not.
      log.record('dynamodb:PutItem', sourceId, 'skipped', `The custody record of ${sourceId} is NOT TRUSTED (${stored.verdict.reason}): not sealed again over it (${unshare.detail}). Check the state table by hand.`);
      continue;
    }
    const record = stored.record;
    const status = custodyStatus(record);
    // No copy recorded yet. A run that ended between CopySnapshot and its pending record left a copy
    // the record does not name: recorded now, never "no copy made".
    const uncopied = status === 'sharing' || status === 'share-refused';
    copies ??= uncopied ? await copiesOf(sources.map((s) => s.SnapshotId as string)) : undefined;
    const made = uncopied ? copies?.get(sourceId) : undefined;
    const started = made !== undefined || status === 'pending' || status === 'refused-copy-kept';
    const withdrawn = unshare.removed && uncopied && made === undefined;
    const copyFields =
      made !== undefined
        ? { copySnapshotId: made.SnapshotId as string, copy: snapshotReport(made), copiedAt: copyStartedAt(made, flow.now), status: 'refused-copy-kept' as const }
        : started
          ? { status: 'refused-copy-kept' as const }
          : withdrawn
            ? { status: 'withdrawn' as const }
            : {};
    const next = await deps.custody.replace({ ...record, ...copyFields, unshare }, stored.revision);
    if (next.outcome === 'conflict') throw new TransientResponderError(`the custody record of ${sourceId} changed while its share was being withdrawn; the step is retried and records it`);
    const copyId = next.record.copySnapshotId ?? '';
    const what = started
      ? ` refused-copy-kept: the drill was refused after its copy ${copyId}${made !== undefined ? ` (made by an interrupted run, found by its tags in ${account})` : ''} started; the copy is kept in ${account} (evidence is never deleted) for the drill's owner to remove by hand`
      : withdrawn
        ? ' withdrawn (no copy made)'
        : '';
    log.record('dynamodb:PutItem', sourceId, 'done', `Custody of ${sourceId} updated and sealed${what}: ${unshare.detail}`);
    if (started) kept.push(keptCopy(next.record, account));
  }
  return kept;
}

/** A copy a refused drill leaves in the forensic account, as the result names it (the alert tells the drill's owner to remove it by hand there). */
function keptCopy(record: CustodyRecord, forensicAccount: string): EvidenceCopy {
  const copyId = record.copySnapshotId;
  return {
    sourceSnapshotId: record.sourceSnapshotId,
    sourceVolumeId: record.sourceVolumeId,
    ...(copyId !== undefined ? { copySnapshotId: copyId } : {}),
    outcome: 'refused',
    detail: `drill refused after its copy started: the copy ${copyId ?? '(none named)'} is kept in ${forensicAccount} (evidence is never deleted); remove it by hand there`,
    custody: custodySummary(record, true),
  };
}

/** When EC2 says a snapshot started, for the messages (ISO 8601), or `an unknown time`. */
function startedAt(snapshot: Snapshot): string {
  return snapshot.StartTime instanceof Date ? snapshot.StartTime.toISOString() : 'an unknown time';
}

/**
 * The sources split by volume (pure, row 3y): `earliest`, the one of each volume that started first
 * (ties by snapshot id), in the order given; `later`, every other, with the earlier one of its
 * volume. snapshot-volumes takes one snapshot per volume and reuses it on every rerun, so a later
 * source of a volume is one someone else made with Firebreak's description and tags.
 */
export function earliestOfEachVolume(sources: readonly Snapshot[]): { earliest: Snapshot[]; later: { snapshot: Snapshot; earlier: Snapshot }[] } {
  const time = (s: Snapshot) => (s.StartTime instanceof Date ? s.StartTime.getTime() : Number.POSITIVE_INFINITY);
  const first = new Map<string, Snapshot>();
  for (const source of sources) {
    const volumeId = source.VolumeId as string;
    const known = first.get(volumeId);
    if (known === undefined || time(source) < time(known) || (time(source) === time(known) && (source.SnapshotId as string) < (known.SnapshotId as string))) first.set(volumeId, source);
  }
  const earliest = sources.filter((s) => first.get(s.VolumeId as string) === s);
  const later = sources.filter((s) => first.get(s.VolumeId as string) !== s).map((snapshot) => ({ snapshot, earlier: first.get(snapshot.VolumeId as string) as Snapshot }));
  return { earliest, later };
}

/** At most this many failures about snapshots anyone may make (`claims`) are named whole in the step's error (row 8n); the rest by id, up to CLAIM_IDS_NAMED. */
const CLAIMS_NAMED = 5;
const CLAIM_IDS_NAMED = 50;

/**
 * The failures as the step's error says them (pure, row 8n): this step's own (a copy that failed, a
 * volume without evidence: at most one per attached volume) whole and first, then at most
 * CLAIMS_NAMED of the failures about snapshots that carry this incident's description or tags, then
 * the ids of the next CLAIM_IDS_NAMED and a count of the rest. Each is in the step's action log whole.
 */
export function boundedFailures(failures: readonly string[], claims: readonly string[]): string {
  const named = claims.slice(0, CLAIMS_NAMED);
  const rest = claims.slice(CLAIMS_NAMED);
  const ids = rest.slice(0, CLAIM_IDS_NAMED).map((why) => /^\S+/.exec(why)?.[0] ?? '?');
  const more =
    rest.length > 0
      ? ` And ${rest.length} more not named here, each a snapshot carrying this incident's description or tags that is neither shared nor copied (the step's action log names each, with why): ${ids.join(', ')}${rest.length > ids.length ? ` and ${rest.length - ids.length} more` : ''}.`
      : '';
  return [...failures, ...named].join(' ') + more;
}

/**
 * The member account's snapshots with snapshot-volumes' description for this incident that the
 * tags no longer mark as its evidence of this instance (pure, row 3x): usable (pending or
 * completed), owned by the account, and not among the sources found by the tags. The description
 * is fixed at creation and names the incident (one instance per incident key), so such a snapshot
 * is the incident's evidence retagged since, or one made to look like it (which needs
 * ec2:CreateSnapshot on a volume): either way a person must look, and it is not shared.
 */
export function strippedEvidence(
  described: readonly Snapshot[],
  sources: readonly Snapshot[],
  incident: { readonly key: string; readonly findingType: string; readonly account: string },
  instanceId: string,
): { snapshot: Snapshot; reason: string }[] {
  const found = new Set(sources.map((s) => s.SnapshotId));
  return described.flatMap((snapshot) => {
    if (snapshot.SnapshotId === undefined || found.has(snapshot.SnapshotId) || snapshot.OwnerId !== incident.account) return [];
    if (snapshot.State !== 'pending' && snapshot.State !== 'completed') return [];
    if (snapshot.Description !== evidenceSnapshotDescription(incident)) return [];
    return [{ snapshot, reason: withoutFirebreakMarks(snapshot, incident, instanceId) ?? 'EC2 no longer finds it by them' }];
  });
}

/**
 * The volumes EC2 shows attached to the instance that no evidence snapshot stands for (row 3x):
 * none found by the tags, none by the description. For a drill, none when the instance is no
 * longer opted in (nothing is copied then), and not a volume also attached to an instance outside
 * the drill, which snapshot-volumes leaves out by design (row 1zf; one more read, only then).
 */
async function volumesWithoutEvidence(
  member: EC2Client,
  incident: CopyEvidenceInput['incident'],
  instanceId: string,
  attached: { readonly volumeIds: ReadonlySet<string>; readonly tags: Readonly<Record<string, string>> },
  evidence: readonly Snapshot[],
): Promise<string[]> {
  const covered = new Set(evidence.map((s) => s.VolumeId));
  const missing = [...attached.volumeIds].filter((volumeId) => !covered.has(volumeId));
  if (missing.length === 0 || !isGameDayIncident(incident)) return missing;
  if (gameDayRefusal(incident, instanceId, attached.tags) !== undefined) return [];
  const outside = await volumesSharedOutsideDrill(member, instanceId, missing);
  return missing.filter((volumeId) => !outside.has(volumeId));
}

/** The tagged snapshots split by what EC2 says (pure): `usable`, of a volume attached to the instance; `foreign`, of any other volume. */
export function evidenceOfInstance(snapshots: readonly Snapshot[], attachedVolumeIds: ReadonlySet<string>): { usable: Snapshot[]; foreign: Snapshot[] } {
  const usable = snapshots.filter((s) => s.VolumeId !== undefined && attachedVolumeIds.has(s.VolumeId));
  return { usable, foreign: snapshots.filter((s) => !usable.includes(s)) };
}

/** The EBS volumes EC2 shows attached to the instance now (none when EC2 knows no such instance), and those words for a refusal. */
async function attachedVolumeIds(member: EC2Client, instanceId: string, account: string): Promise<{ volumeIds: ReadonlySet<string>; detail: string; tags: Readonly<Record<string, string>> }> {
  const lookup = await describeInstance(member, instanceId, { notFound: 'not-found-or-malformed', account });
  if (!lookup.found) return { volumeIds: new Set(), detail: lookup.code, tags: {} };
  const volumeIds = attachedEbsVolumes(lookup.instance).map((v) => v.volumeId);
  return { volumeIds: new Set(volumeIds), detail: volumeIds.length > 0 ? `its volumes: ${volumeIds.join(', ')}` : 'it has no EBS volume attached', tags: tagRecord(lookup.instance.Tags) };
}

/** What one source's copy comes to in this run: its result entry, and why it failed, is still pending, or the drill was refused. */
interface SourceOutcome {
  readonly copy: EvidenceCopy;
  readonly failure?: string;
  readonly pending?: string;
  /** A drill's instance no longer opted in between the share and the copy: nothing is copied. */
  readonly refused?: string;
}

/** What the per-source steps share. */
interface CopyFlow {
  readonly incident: CopyEvidenceInput['incident'];
  readonly instanceId: string;
  readonly mode: ResponderResult['mode'];
  readonly deps: CopyEvidenceDeps;
  readonly log: ActionLog;
  readonly now: () => Date;
  readonly member: EC2Client;
  readonly forensic: EC2Client;
  readonly forensicRoleArn: string;
  readonly execution: string | undefined;
}

/** What taking a share back needs (no forensic client: a drill refused before any copy has none). */
type ShareFlow = Pick<CopyFlow, 'deps' | 'log' | 'member' | 'mode' | 'now' | 'instanceId'>;

/** A source with no custody record: in enforce, record the intent, then share it and copy it; in dry-run, say whether it could. */
async function startCopy(flow: CopyFlow, source: Snapshot, earlier: Snapshot | undefined): Promise<SourceOutcome> {
  if (flow.mode !== 'enforce') return rehearseCopy(flow, source);
  const { incident, deps, log, member } = flow;
  const target = deps.target;
  const sourceId = source.SnapshotId as string;
  // The intent, sealed before the source is shared: a run that ends between the share and the copy
  // (a timeout, a throttled CopySnapshot) leaves a record that its rerun follows and a refused
  // drill's withdrawal finds, never a share no record names.
  const sourceNow = await describeOne(member, sourceId, 'ec2:DescribeSnapshots');
  const intent: CustodyRecord = {
    incidentKey: incident.key,
    instanceId: flow.instanceId,
    sourceAccount: incident.account,
    region: incident.region,
    sourceVolumeId: source.VolumeId ?? 'unknown-volume',
    sourceSnapshotId: sourceId,
    source: snapshotReport(sourceNow),
    forensicAccount: target.accountId,
    kmsKeyId: target.kmsKeyArn,
    copiedBy: { ...(flow.execution !== undefined ? { executionArn: flow.execution } : {}), responder: COPY_RESPONDER, forensicRoleArn: flow.forensicRoleArn },
    status: 'sharing',
  };
  const saved = await deps.custody.saveIfAbsent(intent);
  if (saved.outcome === 'exists') {
    // Another run recorded it between our read and our write, and shares and copies it now.
    throw new TransientResponderError(`another run recorded the custody of ${sourceId} first; the step is retried and follows that record (nothing is shared or copied twice)`);
  }
  log.record('dynamodb:PutItem', sourceId, 'done', `Custody of ${sourceId} recorded as sharing and sealed before the share (source SHA-256 ${intent.source.sha256}).`);
  return shareAndCopy(flow, source, saved.record, 1, earlier, false);
}

/**
 * A source whose custody record says `sharing`: share it (again, when an interrupted run did: EC2
 * keeps one permission per account) and copy it, or take over the copy an interrupted run made;
 * record custody as pending over `revision`, then confirm. `inherited`: the `sharing` intent was
 * sealed by an earlier (or a concurrent) run, which may have shared before it ended, so a refusal
 * now does not prove that no share exists.
 */
async function shareAndCopy(flow: CopyFlow, source: Snapshot, record: CustodyRecord, revision: number | undefined, earlier: Snapshot | undefined, inherited: boolean): Promise<SourceOutcome> {
  const { incident, mode, deps, log, forensic } = flow;
  const target = deps.target;
  const sourceId = source.SnapshotId as string;
  const volumeId = record.sourceVolumeId;
  const failed = (why: string): SourceOutcome => ({ copy: { sourceSnapshotId: sourceId, sourceVolumeId: volumeId, outcome: 'failed', detail: why, custody: custodySummary(record, true) }, failure: why });

  let copyId = earlier?.SnapshotId;
  let copiedAt = copyStartedAt(earlier, flow.now);
  if (copyId !== undefined) {
    // CopySnapshot answered, then the run ended before the copy was recorded: the copy is this
    // source's (tagged by the forensic role at creation); record it now rather than copy again.
    log.record('ec2:CopySnapshot', sourceId, 'already-done', `Copied earlier to ${copyId} in ${target.accountId} (found by its firebreak:source-snapshot tag); its custody record named no copy yet and is completed now, the copy time being the copy's StartTime.`);
  } else {
    const shared = await shareSource(flow, source);
    if ('failed' in shared) {
      // Only an answer that proves EC2 made no share says so in the record; after any other (a
      // dropped connection) EC2 may have shared, and the record stays `sharing` for the rerun.
      if (shared.refusal === undefined) return failed(`${shared.failed} Its custody record stays sharing: EC2's answer does not prove that no share was made, and a rerun resumes it.`);
      const shareRefusals = withShareRefusal(record.shareRefusals, flow.now().toISOString(), shared.refusal);
      // A refusal proves only that this call changed nothing. Under an intent an earlier run sealed,
      // that run may have shared before it ended: the record stays `sharing`, the refusal kept in it.
      const next = await deps.custody.replace({ ...record, status: inherited ? 'sharing' : 'share-refused', shareRefusals }, revision);
      if (next.outcome === 'conflict') throw new TransientResponderError(`the custody record of ${sourceId} changed while its refused share was being recorded; the step is retried and follows that record`);
      const attempt = shareRefusals.at(-1)?.attempt ?? 1;
      if (inherited) {
        const why = `${shared.failed} Its custody record stays sharing (refusal ${attempt} recorded): EC2 made no share now, but an earlier run that recorded the intent may have shared ${sourceId} before it ended, so that share may still exist; a rerun resumes it.`;
        log.record('dynamodb:PutItem', sourceId, 'done', `Custody of ${sourceId} kept sharing and sealed with refusal ${attempt} (${shared.refusal.name}): an earlier run recorded this intent and may have shared before it ended, so the refusal does not prove that no share exists.`);
        return { copy: { sourceSnapshotId: sourceId, sourceVolumeId: volumeId, outcome: 'failed', detail: why, custody: custodySummary(next.record, true) }, failure: why };
      }
      log.record('dynamodb:PutItem', sourceId, 'done', `Custody of ${sourceId} sealed share-refused (${shared.refusal.name}, refusal ${attempt}): EC2 made no share. A rerun seals the intent again and tries the share again.`);
      return { copy: { sourceSnapshotId: sourceId, sourceVolumeId: volumeId, outcome: 'failed', detail: shared.failed, custody: custodySummary(next.record, true) }, failure: shared.failed };
    }
    log.record('ec2:ModifySnapshotAttribute', sourceId, 'done', `Shared ${sourceId} (createVolumePermission) with the forensic account ${target.accountId} only.`);
    // A drill copies only while its instance is opted in: the tag is read again between the share
    // and the copy, the last moment before the disk leaves the member account.
    const refused = await drillNoLongerOptedIn(flow);
    if (refused !== undefined) return { copy: { sourceSnapshotId: sourceId, sourceVolumeId: volumeId, outcome: 'failed', detail: 'drill refused mid-copy' }, refused };

    copiedAt = flow.now().toISOString();
    let copied;
    try {
      copied = await sendMutating(mode, 'ec2:CopySnapshot', (dryRun) =>
        forensic.send(new CopySnapshotCommand(copyInput({ snapshotId: sourceId, account: incident.account, region: incident.region }, incident.key, target.kmsKeyArn, dryRun))),
      );
    } catch (error) {
      if (error instanceof TransientResponderError) throw error;
      const why = `Copying ${sourceId} into ${target.accountId} failed (${error instanceof Error ? error.message : String(error)}). ${copyFailureAdvice(awsErrorCode((error as { cause?: unknown }).cause), source.Encrypted)} The source ${sourceId} is kept, shared with ${target.accountId} only (its custody record says sharing).`;
      log.record('ec2:CopySnapshot', sourceId, 'skipped', why);
      return failed(why);
    }
    copyId = copied.outcome === 'done' ? copied.output.SnapshotId : undefined;
    if (copyId === undefined) throw new ResponderFailedError(`ec2:CopySnapshot of ${sourceId} answered without a snapshot id`);
    log.record('ec2:CopySnapshot', sourceId, 'done', `Copied ${sourceId} to ${copyId} in ${target.accountId}, encrypted with ${target.kmsKeyArn}.`);
  }

  // What EC2 reports of the copy, now: the custody record's evidence.
  const copyNow = await describeOne(forensic, copyId, 'ec2:DescribeSnapshots');
  const pending: CustodyRecord = { ...record, copySnapshotId: copyId, copy: snapshotReport(copyNow), copiedAt, status: 'pending' };
  const saved = await deps.custody.replace(pending, revision);
  if (saved.outcome === 'conflict') {
    // Another run changed the record first; the copy is found again by its tags on the retry.
    throw new TransientResponderError(`the custody record of ${sourceId} changed while its copy ${copyId} was being recorded; the step is retried and follows that record`);
  }
  log.record('dynamodb:PutItem', sourceId, 'done', `Custody of ${sourceId} → ${copyId} recorded as pending and sealed (source SHA-256 ${pending.source.sha256}, copy SHA-256 ${pending.copy?.sha256 ?? ''}).`);
  return confirmCopy(flow, source, saved.record, (revision ?? 0) + 1, copyNow, 'copied');
}

/** Why a drill may no longer be copied (its instance not opted in in EC2 now), or undefined; no call for a real incident. */
async function drillNoLongerOptedIn(flow: CopyFlow): Promise<string | undefined> {
  if (!isGameDayIncident(flow.incident)) return undefined;
  const lookup = await describeInstance(flow.member, flow.instanceId, { notFound: 'not-found-or-malformed', account: flow.incident.account });
  return gameDayRefusal(flow.incident, flow.instanceId, lookup.found ? tagRecord(lookup.instance.Tags) : {});
}

/**
 * EC2 error codes that prove a ModifySnapshotAttribute changed nothing: besides access denied, no
 * such snapshot and an invalid request (an aws/ebs snapshot cannot be shared: InvalidParameter),
 * which EC2 checks before it acts. Any other failure (a dropped connection, an error without a
 * code) may come after a share EC2 made.
 */
const NO_SHARE_MADE_CODES = new Set(['InvalidSnapshot.NotFound', 'InvalidSnapshot.Malformed', 'InvalidParameter', 'InvalidParameterValue', 'InvalidParameterCombination', 'MissingParameter']);

/**
 * Whether a failed share's SDK error proves that EC2 made no share (pure): access denied, no such
 * snapshot, or a request EC2 rejected as invalid, answered to the SDK's first attempt. After a retried
 * attempt (`$metadata.attempts` over 1) the refusal speaks for that attempt only: an earlier one whose
 * answer was lost (a 5xx, a reset connection, which the SDK retries on its own) may have shared.
 */
export function shareProvedRefused(error: unknown): boolean {
  const attempts = (error as { $metadata?: { attempts?: unknown } } | null | undefined)?.$metadata?.attempts;
  if (typeof attempts === 'number' && attempts > 1) return false;
  const code = awsErrorCode(error);
  return isAccessDeniedAwsError(error) || (code !== undefined && NO_SHARE_MADE_CODES.has(code));
}

/**
 * Shares a source with the forensic account only (createVolumePermission add, through sendMutating):
 * EC2's answer, or why it refused (logged; the source kept), with the error's name and message
 * (bounded) when it proves no share was made. A transient error is thrown for the state machine's
 * retry.
 */
async function shareSource(flow: ShareFlow, source: Snapshot): Promise<{ readonly shared: MutationOutcome<unknown> } | { readonly failed: string; readonly refusal?: ShareRefusal['error'] }> {
  const { deps, log, member, mode } = flow;
  const account = deps.target.accountId;
  const sourceId = source.SnapshotId as string;
  try {
    return { shared: await sendMutating<unknown>(mode, 'ec2:ModifySnapshotAttribute', (dryRun) => member.send(new ModifySnapshotAttributeCommand(shareInput(sourceId, account, dryRun)))) };
  } catch (error) {
    if (error instanceof TransientResponderError) throw error;
    const cause = (error as { cause?: unknown }).cause;
    const why = `Sharing ${sourceId} with ${account} failed (${error instanceof Error ? error.message : String(error)}). ${copyFailureAdvice(awsErrorCode(cause), source.Encrypted)} The source ${sourceId} is kept.`;
    log.record('ec2:ModifySnapshotAttribute', sourceId, 'skipped', why);
    if (!shareProvedRefused(cause)) return { failed: why };
    // EC2's words, cut as the copy's own texts are: a record is no place for an unbounded message.
    return { failed: why, refusal: { name: truncateText(awsErrorCode(cause) ?? 'Error', 128), message: truncateText(cause instanceof Error ? cause.message : String(cause), 500) } };
  }
}

/** When a copy the forensic account holds was started, as its record gives it: its StartTime, or now. */
function copyStartedAt(copy: Snapshot | undefined, now: () => Date): string {
  return copy?.StartTime !== undefined ? new Date(copy.StartTime).toISOString() : now().toISOString();
}

/** Dry-run: the share dry-run (EC2 checks the permission), the copy said to be impossible before a share, the removal dry-run; nothing recorded. */
async function rehearseCopy(flow: CopyFlow, source: Snapshot): Promise<SourceOutcome> {
  const { mode, deps, log, member } = flow;
  const target = deps.target;
  const sourceId = source.SnapshotId as string;
  const volumeId = source.VolumeId ?? 'unknown-volume';
  const sent = await shareSource(flow, source);
  if ('failed' in sent) return { copy: { sourceSnapshotId: sourceId, sourceVolumeId: volumeId, outcome: 'failed', detail: sent.failed }, failure: sent.failed };
  const { shared } = sent;
  if (shared.outcome === 'done') throw new ResponderFailedError(`ec2:ModifySnapshotAttribute shared ${sourceId} outside enforce mode`);
  const word = shared.outcome === 'would-do' ? 'would-do' : 'would-be-denied';
  log.record('ec2:ModifySnapshotAttribute', sourceId, word, shared.outcome === 'would-do' ? `Would have shared ${sourceId} with ${target.accountId} only (EC2 answered DryRunOperation).` : `Would have been denied sharing ${sourceId}: ${shared.message}`);
  log.record('ec2:CopySnapshot', sourceId, 'skipped', `Cannot dry-run: CopySnapshot in ${target.accountId} needs the source shared first, and in dry-run it is not. In enforce it would be copied re-encrypted with ${target.kmsKeyArn}.`);
  const unshared = await sendMutating(mode, 'ec2:ModifySnapshotAttribute', (dryRun) => member.send(new ModifySnapshotAttributeCommand(unshareInput(sourceId, target.accountId, dryRun))));
  log.record(
    'ec2:ModifySnapshotAttribute',
    sourceId,
    unshared.outcome === 'would-be-denied' ? 'would-be-denied' : 'would-do',
    unshared.outcome === 'would-be-denied'
      ? `Would have been denied removing ${target.accountId}'s share of ${sourceId} once its copy completes: ${unshared.message}`
      : `Would remove ${target.accountId}'s share of ${sourceId} (createVolumePermission remove) once its copy completes (EC2 answered DryRunOperation).`,
  );
  return { copy: { sourceSnapshotId: sourceId, sourceVolumeId: volumeId, outcome: shared.outcome === 'would-do' ? 'would-copy' : 'would-be-denied', detail: 'dry-run' } };
}

/** A source with a custody record: never copied again; an interrupted share resumed, a pending copy confirmed, a completed one's share removal retried, a failed, withdrawn or untrusted one reported. */
async function followCopy(flow: CopyFlow, source: Snapshot, stored: ReadCustody, earlier?: Snapshot): Promise<SourceOutcome> {
  const { deps, log, mode } = flow;
  const sourceId = source.SnapshotId as string;
  const record = stored.record;
  const base = { sourceSnapshotId: sourceId, sourceVolumeId: record.sourceVolumeId, ...(record.copySnapshotId !== undefined ? { copySnapshotId: record.copySnapshotId } : {}) };
  if (!stored.verdict.valid) {
    const why = `The custody record of ${sourceId} is NOT TRUSTED (${stored.verdict.reason}): nothing copied again, confirmed or unshared on its word; the source ${sourceId} is kept. Check the state table and the forensic account's snapshots by hand.`;
    log.record('dynamodb:GetItem', sourceId, 'skipped', why);
    return { copy: { ...base, outcome: 'failed', detail: `custody record not trusted: ${stored.verdict.reason}`, custody: custodySummary(record, false) }, failure: why };
  }
  const status = custodyStatus(record);
  if (status === 'withdrawn') {
    const why = `The share of ${sourceId} was withdrawn before any copy (${record.unshare?.detail ?? 'no detail recorded'}): it is not shared or copied again automatically (its custody record says withdrawn). The source ${sourceId} is kept; copy it by hand if it is needed.`;
    log.record('ec2:CopySnapshot', sourceId, 'skipped', why);
    return { copy: { ...base, outcome: 'failed', detail: 'share withdrawn before any copy', custody: custodySummary(record, true) }, failure: why };
  }
  if (status === 'refused-copy-kept') {
    // Terminal: no run confirms this copy, so none would remove the share on completion. A withdrawal
    // EC2 refused is tried again here too, whether or not the instance is opted in again.
    let kept = record;
    if (mode === 'enforce' && record.unshare?.removed !== true) {
      const unshare = await removeShare(flow, sourceId, 'drill-refused');
      const next = await deps.custody.replace({ ...record, unshare }, stored.revision);
      if (next.outcome === 'conflict') throw new TransientResponderError(`the custody record of ${sourceId} changed while its share was being withdrawn; the step is retried and follows that record`);
      log.record('dynamodb:PutItem', sourceId, 'done', `Custody of ${sourceId} (refused-copy-kept) updated and sealed: ${unshare.detail}`);
      kept = next.record;
    }
    const why = `The drill was refused after the copy ${kept.copySnapshotId ?? '(none named)'} of ${sourceId} started (${kept.unshare?.detail ?? 'no detail recorded'}): that copy is kept in ${deps.target.accountId} (evidence is never deleted) and is not confirmed nor copied again automatically (its custody record says refused-copy-kept). Remove it by hand there once it is no longer needed. The source ${sourceId} is kept.`;
    log.record('ec2:CopySnapshot', sourceId, 'skipped', why);
    return { copy: { ...base, outcome: 'failed', detail: 'drill refused after its copy started; the copy kept', custody: custodySummary(kept, true) }, failure: why };
  }
  if (status === 'sharing' || status === 'share-refused') {
    const last = record.shareRefusals?.at(-1);
    const earlierRefusal = status === 'share-refused' ? `EC2 refused the share of ${sourceId} earlier (${last?.error.name ?? 'unknown'} at ${last?.at ?? 'unknown'}, refusal ${last?.attempt ?? '?'})` : undefined;
    if (mode !== 'enforce') {
      log.record('ec2:ModifySnapshotAttribute', sourceId, 'skipped', `${earlierRefusal ?? `A run recorded the intent to share ${sourceId} and ended before its copy was recorded`}; in dry-run it is not resumed.`);
      return { copy: { ...base, outcome: 'would-copy', detail: `custody ${status} (dry-run: not resumed)`, custody: custodySummary(record, true) } };
    }
    if (earlierRefusal !== undefined) {
      // `share-refused` says no share exists: the intent is sealed again before the share is tried, so
      // that a run ending after this share leaves `sharing`, as the first attempt would.
      const intent = await deps.custody.replace({ ...record, status: 'sharing' }, stored.revision);
      if (intent.outcome === 'conflict') throw new TransientResponderError(`the custody record of ${sourceId} changed while its share was being tried again; the step is retried and follows that record`);
      log.record('dynamodb:PutItem', sourceId, 'done', `${earlierRefusal}: custody sealed sharing again before the share is tried again (the refusals kept in the record).`);
      return shareAndCopy(flow, source, intent.record, (stored.revision ?? 0) + 1, earlier, false);
    }
    log.record('dynamodb:GetItem', sourceId, 'observed', `A run recorded the intent to share ${sourceId} and ended before its copy was recorded (custody record verified, sharing): resumed, the share reused.`);
    return shareAndCopy(flow, source, record, stored.revision, earlier, true);
  }
  if (status === 'failed') {
    const why = `The forensic copy of ${sourceId} (${record.copySnapshotId ?? 'no copy'}) failed earlier: ${record.confirmed?.reason ?? 'no reason recorded'}. It is not copied again automatically (its custody record says failed): fix the cause, then copy it by hand. The source ${sourceId} is kept, shared with ${deps.target.accountId} only.`;
    log.record('ec2:CopySnapshot', sourceId, 'skipped', why);
    return { copy: { ...base, outcome: 'failed', detail: `copy failed: ${record.confirmed?.reason ?? 'no reason recorded'}`, custody: custodySummary(record, true) }, failure: why };
  }
  if (status === 'completed') {
    log.record('ec2:CopySnapshot', sourceId, 'already-done', `Copied earlier to ${record.copySnapshotId ?? ''} in ${deps.target.accountId}, confirmed completed ${record.confirmed?.at ?? ''}; custody record verified (seal and hashes hold).`);
    if (record.unshare?.removed === true || mode !== 'enforce') {
      return { copy: { ...base, outcome: 'already-copied', detail: 'custody verified', custody: custodySummary(record, true) } };
    }
    // The share removal failed last time: try it again.
    const unshare = await removeShare(flow, sourceId, 'copy-completed');
    const next = await deps.custody.replace({ ...record, unshare }, stored.revision);
    log.record('dynamodb:PutItem', sourceId, next.outcome === 'saved' ? 'done' : 'skipped', next.outcome === 'saved' ? `Custody of ${sourceId} updated and sealed: ${unshare.detail}` : 'Another run updated the custody record first; left as it is.');
    return { copy: { ...base, outcome: 'already-copied', detail: `custody verified; ${unshare.detail}`, custody: custodySummary(next.record, true) } };
  }
  if (mode !== 'enforce') {
    log.record('ec2:DescribeSnapshots', sourceId, 'skipped', `Copied earlier to ${record.copySnapshotId ?? ''}, custody pending; in dry-run it is not confirmed nor sealed, and no share is removed.`);
    return { copy: { ...base, outcome: 'already-copied', detail: 'custody pending (dry-run: not confirmed)', custody: custodySummary(record, true) } };
  }
  log.record('ec2:CopySnapshot', sourceId, 'already-done', `Copied earlier to ${record.copySnapshotId ?? ''} in ${deps.target.accountId}; custody record verified, pending: confirming the copy (not copying again).`);
  return confirmCopy(flow, source, record, stored.revision, undefined, 'copied');
}

/**
 * A pending custody record: what the forensic account reports of the copy now decides it.
 * Completed: seal the record completed with that final DescribeSnapshots answer and hash, and remove
 * the forensic account's share of the source. Error (or gone): seal it failed with EC2's reason; the
 * source and its share are kept. Pending: still waiting (the caller throws EvidencePendingError).
 */
async function confirmCopy(flow: CopyFlow, source: Snapshot, record: CustodyRecord, revision: number | undefined, known: Snapshot | undefined, done: EvidenceCopy['outcome']): Promise<SourceOutcome> {
  const { deps, log, forensic } = flow;
  const target = deps.target;
  const sourceId = source.SnapshotId as string;
  const copyId = record.copySnapshotId;
  // Sealed pending only with its copy (shareAndCopy): a record without one was not written by this responder.
  if (copyId === undefined) throw new ResponderFailedError(`the custody record of ${sourceId} is pending but names no copy; nothing confirmed or unshared on its word`);
  const base = { sourceSnapshotId: sourceId, sourceVolumeId: record.sourceVolumeId, copySnapshotId: copyId };
  const copyNow = known ?? (await describeCopy(forensic, copyId));
  const state = copyNow?.State;
  if (state === 'pending') {
    log.record('ec2:DescribeSnapshots', copyId, 'observed', `The copy ${copyId} of ${sourceId} is pending${copyNow?.Progress ? ` (${copyNow.Progress})` : ''}: custody stays pending until it completes; the share stays meanwhile (an unshare now would fail the copy).`);
    return { copy: { ...base, outcome: done, detail: 'custody pending: the copy is not completed yet', custody: custodySummary(record, true) }, pending: `${copyId} of ${sourceId}${copyNow?.Progress ? ` ${copyNow.Progress}` : ''}` };
  }
  const at = flow.now().toISOString();
  if (state === 'completed' && copyNow !== undefined) {
    const unshare = await removeShare(flow, sourceId, 'copy-completed');
    const confirmed: CustodyConfirmation = { at, copyState: 'completed', copy: snapshotReport(copyNow) };
    const next = await deps.custody.replace({ ...record, status: 'completed', confirmed, unshare }, revision);
    if (next.outcome === 'conflict') return confirmedElsewhere(flow, source);
    log.record('dynamodb:PutItem', sourceId, 'done', `Custody of ${sourceId} → ${copyId} sealed completed (final copy SHA-256 ${confirmed.copy?.sha256 ?? ''}); ${unshare.detail}`);
    return { copy: { ...base, outcome: done, detail: `custody completed; ${unshare.detail}`, custody: custodySummary(next.record, true) } };
  }
  const reason =
    copyNow === undefined
      ? `the copy ${copyId} no longer exists in ${target.accountId}`
      : `the copy ${copyId} ended in state ${state ?? 'unknown'}${copyNow.StateMessage ? `: ${copyNow.StateMessage}` : ''}`;
  const why = `The forensic copy of ${sourceId} failed: ${reason}. ${copyFailureAdvice(undefined, source.Encrypted)} The source ${sourceId} is kept, and its share with ${target.accountId} is kept for a copy by hand.`;
  const unshare: ShareRemoval = { removed: false, at, detail: `share of ${sourceId} with ${target.accountId} kept: the copy failed, and a copy by hand needs it (remove it with ModifySnapshotAttribute once done)` };
  const confirmed: CustodyConfirmation = { at, copyState: copyNow === undefined ? 'missing' : 'error', ...(copyNow !== undefined ? { copy: snapshotReport(copyNow) } : {}), reason };
  const next = await deps.custody.replace({ ...record, status: 'failed', confirmed, unshare }, revision);
  if (next.outcome === 'conflict') return confirmedElsewhere(flow, source);
  log.record('ec2:DescribeSnapshots', copyId, 'observed', why);
  log.record('dynamodb:PutItem', sourceId, 'done', `Custody of ${sourceId} → ${copyId} sealed failed (${reason}).`);
  return { copy: { ...base, outcome: 'failed', detail: `copy failed: ${reason}`, custody: custodySummary(next.record, true) }, failure: why };
}

/**
 * Another run sealed the record between our read and our write: report what it sealed. Only a
 * verified `completed` record is "completed by another run"; any other status (a drill that run
 * refused, `refused-copy-kept`, a failure) is followed as a rerun follows it, never read as completed.
 */
async function confirmedElsewhere(flow: CopyFlow, source: Snapshot): Promise<SourceOutcome> {
  const sourceId = source.SnapshotId as string;
  const stored = await flow.deps.custody.get(flow.incident.key, sourceId);
  if (stored === undefined) throw new ResponderFailedError(`the custody record of ${sourceId} changed while it was being confirmed and then disappeared`);
  if (custodyStatus(stored.record) === 'pending') throw new TransientResponderError(`the custody record of ${sourceId} changed while it was being confirmed; the step is retried`);
  if (custodyStatus(stored.record) !== 'completed' || !stored.verdict.valid) return followCopy(flow, source, stored);
  const record = stored.record;
  return { copy: { sourceSnapshotId: sourceId, sourceVolumeId: record.sourceVolumeId, copySnapshotId: record.copySnapshotId, outcome: 'already-copied', detail: 'custody completed by another run', custody: custodySummary(record, true) } };
}

/**
 * Removes the forensic account's createVolumePermission from a source (sendMutating, as every
 * mutating call), because its copy completed or a drill was refused mid-copy; says so, or why it
 * could not, with that reason, for the custody record. A transient error is thrown (the step is
 * retried and removes it then); any other is recorded as not removed (a rerun tries again).
 */
async function removeShare(flow: ShareFlow, sourceId: string, reason: ShareRemovalReason, drillWhy?: string): Promise<ShareRemoval> {
  const { deps, log, member, mode } = flow;
  const account = deps.target.accountId;
  const at = flow.now().toISOString();
  const drill = reason === 'drill-refused';
  const { key, value } = SECURITY_TAGS.gameDayTarget;
  const because = drill ? (drillWhy ?? `the drill's instance ${flow.instanceId} was no longer opted in (${key}=${value}) mid-copy`) : 'the copy having completed';
  try {
    await sendMutating(mode, 'ec2:ModifySnapshotAttribute', (dryRun) => member.send(new ModifySnapshotAttributeCommand(unshareInput(sourceId, account, dryRun))));
  } catch (error) {
    if (error instanceof TransientResponderError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    const detail = drill
      ? `share of ${sourceId} with ${account} NOT withdrawn (${message}), ${because}: a rerun of the step tries again; or remove it by hand (createVolumePermission remove)`
      : `share of ${sourceId} with ${account} NOT removed (${message}): it grants only ${account}, which holds the copy; a rerun of the step tries again`;
    log.record('ec2:ModifySnapshotAttribute', sourceId, 'skipped', detail);
    return { removed: false, at, detail, reason };
  }
  const detail = drill ? `share of ${sourceId} with ${account} withdrawn (createVolumePermission remove): ${because}` : `share of ${sourceId} with ${account} removed (createVolumePermission remove), ${because}`;
  log.record(
    'ec2:ModifySnapshotAttribute',
    sourceId,
    'done',
    drill ? `Withdrew ${account}'s share of ${sourceId} (createVolumePermission remove): ${because}; nothing more is copied.` : `Removed ${account}'s createVolumePermission on ${sourceId}: the copy completed, so the source is private again.`,
  );
  return { removed: true, at, detail, reason };
}

/** The custody record as the result and the alert carry it: the hashes, not the whole reports. */
function custodySummary(record: CustodyRecord, verified: boolean): NonNullable<EvidenceCopy['custody']> {
  const { source, copy, confirmed, ...rest } = record;
  return {
    ...rest,
    status: custodyStatus(record),
    sourceSha256: source.sha256,
    ...(copy !== undefined ? { copySha256: copy.sha256 } : {}),
    ...(confirmed !== undefined ? { confirmed: { at: confirmed.at, copyState: confirmed.copyState, ...(confirmed.copy ? { copySha256: confirmed.copy.sha256 } : {}), ...(confirmed.reason !== undefined ? { reason: confirmed.reason } : {}) } } : {}),
    verified,
  };
}

/**
 * copy-evidence as the responder runtime runs it: only for the task a running playbook execution
 * scheduled with exactly this input (step-origin.ts); a direct invocation shares and copies nothing.
 */
export const copyEvidenceResponder = originCheckedStepResponder(
  copyEvidenceOptionsSchema,
  { responder: COPY_RESPONDER, nothingDone: 'no snapshot was shared or copied and no EC2 call was made' },
  copyEvidence,
);

/** What the copy-evidence Lambda is built from. */
export type CopyEvidenceHandlerDeps = HandlerDeps<CopyEvidenceDeps & StepOriginDeps>;

/** The copy-evidence Lambda handler: parse the input, copy the evidence, return the result. */
export const createCopyEvidenceHandler = (deps: CopyEvidenceHandlerDeps): ResponderHandler<CopyEvidenceResult> => createResponderHandler(copyEvidenceResponder, deps);
