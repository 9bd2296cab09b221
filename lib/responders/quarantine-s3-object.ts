/**
 * quarantine-s3-object: for a Malware Protection for S3 scan result with THREATS_FOUND, tag that
 * exact object version as infected (`firebreak:malware-scan=threats-found`, `firebreak:incident`),
 * keeping the owner's tags, and optionally copy it under `firebreak-quarantine/` (its own bucket, or
 * a quarantine bucket). The object is never deleted: a bucket policy denying reads of objects with
 * the infected tag (docs/responders/quarantine-s3-object.md) is what keeps people and applications
 * from it, and the tag is reversible (release-s3-object). The copy is made once and never over
 * anything already at its key (copyToQuarantine).
 *
 * Every other result status changes nothing. The object is S3's answer, not the event's: HeadObject
 * must find it (with the scanned ETag when the bucket is not versioned: an object replaced since the
 * scan is not the one that was scanned), and every call names the incident's account as the bucket
 * owner (ExpectedBucketOwner), since bucket names are global. S3 has no DryRun parameter: in dry-run
 * the reads are made and the writes are reported as "would" (cannot dry-run).
 *
 * S3 writes tags unconditionally and they name one incident, so the step first claims the object
 * version for its incident in the state table (s3-object-claims.ts), which DynamoDB writes
 * conditionally: release-s3-object takes the infected tag off only when no claim is left, and puts
 * it back when a claim appeared while it wrote. An object already tagged infected when read is
 * counted contained only once its tags were read again after the claim (holdAgainstRelease): a
 * release that wrote before the claim has then landed, and one that writes after it sees the claim.
 */
import { quarantineS3ObjectOptions } from '../playbooks/quarantine-s3-object-options';
import { CopyObjectCommand, GetObjectTaggingCommand, PutObjectTaggingCommand } from '@aws-sdk/client-s3';
import type { CopyObjectCommandOutput, S3Client } from '@aws-sdk/client-s3';
import { awsErrorCode, awsHttpStatus, isAccessDeniedAwsError, toResponderError } from '../aws/errors';
import type { S3Clients } from '../aws/clients/s3';
import type * as z from '../contracts/zod-mini';
import { QUARANTINE_S3_OBJECT } from '../contracts/responders';
import { TransientResponderError } from '../contracts/responder-errors';
import type { UntrustedText } from '../incident/model';
import { ActionLog } from './action-log';
import type { DeploymentEnvironment, EffectiveMode } from './effective-mode';
import { effectiveMode, forcedDryRunField } from './effective-mode';
import { isGameDayIncident } from './game-day';
import type { GrantReader } from './grants';
import type { IncidentLogger } from './logging';
import type { ResponderResult } from './model';
import { sendReadOnly } from './mutating';
import type { ResponderInput } from './responder-input';
import type { HandlerDeps, ResponderHandler } from './runtime';
import { createResponderHandler } from './runtime';
import type { QuarantineCopyRecord, QuarantineCopyRecords } from './quarantine-copy-records';
import { isCopyOf } from './quarantine-copy-records';
import { stepResponder } from './responder-input';
import type { ObjectTag, ScannedObject } from './s3-malware-object';
import { SET_ASIDE_RECORD_LIMIT, keptVersionId } from './s3-object-claims';
import type { ClaimAnswer, S3ObjectClaims, TagRoom } from './s3-object-claims';
import { clearObject, headObject, objectFields, objectTags } from './s3-object-clearance';
import type { ObjectRefusalCode } from './s3-object-clearance';
import {
  COPY_OBJECT_MAX_BYTES,
  MALWARE_OBJECT_TAGS,
  S3_OBJECT_TAG_LIMIT,
  THREATS_FOUND,
  bareETag,
  carriesInfectedTag,
  copySourceOf,
  describeObject,
  incidentMarkerOf,
  infectedTags,
  isGameDayObject,
  planInfectedTags,
  planQuarantineCopy,
  scannedObjectOf,
  taggingHeader,
  untrustedTags,
} from './s3-malware-object';
import type { TagPlan } from './s3-malware-object';

export const QUARANTINE_S3_OBJECT_RESPONDER = QUARANTINE_S3_OBJECT;
export const quarantineS3ObjectOptionsSchema = quarantineS3ObjectOptions;
export type QuarantineS3ObjectOptions = z.output<typeof quarantineS3ObjectOptionsSchema>;

export type QuarantineS3ObjectStatus = 'tagged' | 'already-tagged' | 'dry-run' | 'refused' | 'no-threats' | 'not-an-object' | 'not-found' | 'changed';

/** `version-not-named`: the input names no version, and S3 keeps versions of the object (row 15n); nothing was written. */
export type S3ObjectRefusalCode = ObjectRefusalCode | 'not-a-gameday-target' | 'version-not-named';

export interface QuarantineS3ObjectResult extends ResponderResult<QuarantineS3ObjectStatus> {
  readonly bucket?: string;
  /** The object key: the uploader's text. */
  readonly key?: UntrustedText;
  readonly versionId?: string;
  /** The quarantine copy made (or found, or that would be made). */
  readonly quarantineCopy?: {
    readonly bucket: string;
    readonly key: UntrustedText;
    readonly versionId?: string;
    /** `not-copied`: S3 refused the conditional copy (something is at the key) and it could not be shown to be this incident's copy. */
    readonly status: 'copied' | 'already-copied' | 'would-copy' | 'skipped' | 'not-copied';
    readonly reason?: string;
  };
  readonly refusal?: { readonly code: S3ObjectRefusalCode; readonly reason: string };
  /** The owner's tags taken off to make room for Firebreak's (S3 allows 10), kept in the claims record for release to write back: the uploader's text. */
  readonly setAsideTags?: readonly { readonly key: UntrustedText; readonly value: UntrustedText }[];
}

export interface QuarantineS3ObjectDeps {
  readonly clients: S3Clients;
  readonly logger: IncidentLogger;
  readonly grants: GrantReader;
  /** The quarantine copies made (state table, `s3copy#`): what a retried step reads before it copies. */
  readonly copies: QuarantineCopyRecords;
  /** The incidents holding each object version (state table, `s3claim#`): claimed before the tags are written. */
  readonly claims: Pick<S3ObjectClaims, 'claim'>;
  /** FIREBREAK_MODE. @default process.env */
  readonly environment?: DeploymentEnvironment;
  readonly now?: () => Date;
}

/** Tags the scanned object as infected and optionally copies it to quarantine. */
export async function quarantineS3Object(input: ResponderInput<QuarantineS3ObjectOptions>, deps: QuarantineS3ObjectDeps): Promise<QuarantineS3ObjectResult> {
  const now = deps.now ?? (() => new Date());
  const log = new ActionLog(now);
  const { incident, options } = input;
  const environment = deps.environment ?? process.env;
  let effective: EffectiveMode = effectiveMode(input.mode, environment);
  let where: Partial<QuarantineS3ObjectResult> = {};
  const finish = (status: QuarantineS3ObjectStatus, extra: Partial<QuarantineS3ObjectResult> = {}): QuarantineS3ObjectResult => {
    const result: QuarantineS3ObjectResult = {
      responder: QUARANTINE_S3_OBJECT_RESPONDER,
      incidentKey: incident.key,
      mode: effective.mode,
      status,
      idempotentReplay: status === 'already-tagged' && (extra.quarantineCopy === undefined || extra.quarantineCopy.status !== 'copied'),
      actions: log.actions,
      ...forcedDryRunField(effective),
      ...where,
      ...extra,
    };
    deps.logger.info('quarantine-s3-object finished', { status, bucket: result.bucket, versionId: result.versionId });
    return result;
  };

  const scanned = scannedObjectOf(incident);
  if (scanned.object === undefined) {
    log.record('firebreak:decide', incident.key, 'skipped', `Nothing to tag: ${scanned.reason}`);
    return finish('not-an-object');
  }
  const object = scanned.object;
  const target = describeObject(object);
  where = objectFields(object);
  if (object.resultStatus !== THREATS_FOUND) {
    log.record('firebreak:decide', target, 'skipped', `The scan result is ${object.resultStatus}, not ${THREATS_FOUND}: nothing is tagged or copied`);
    return finish('no-threats');
  }

  // 1-2. The containment guard cleared this execution for this very object; the object as S3 says, and its tags now.
  const clearance = await clearObject(input, object, 'contain', deps, log, now, { responder: QUARANTINE_S3_OBJECT_RESPONDER, optionsSchema: quarantineS3ObjectOptionsSchema });
  effective = clearance.effective;
  if (!clearance.cleared) return finish(clearance.status, clearance.status === 'refused' ? { refusal: clearance.refusal } : {});
  const { s3, current } = clearance;
  const mode = effective.mode;
  if ((isGameDayIncident(incident) || clearance.gameDay) && !isGameDayObject(current)) {
    const reason = `Game-day incident ${incident.key}: the object does not carry the tag firebreak:gameday-target=true in S3 now, so a drill may not change it; nothing was changed.`;
    log.record('firebreak:check-gameday-target', target, 'skipped', reason);
    return finish('refused', { refusal: { code: 'not-a-gameday-target', reason } });
  }
  // An input naming no version names the one version `null`: so its grant, its blast-radius hold
  // (malwareObjectGrantTarget) and its claims (keptVersionId). S3 answers a request naming no version
  // with the current one, which in a bucket with versioning is another object, whose containment no
  // hold counted (row 15n): a scan of such a bucket names its version. As release-s3-object refuses
  // such a release, before any claim or write, dry-run too.
  const currentVersion = keptVersionId(clearance.versionId);
  if (object.versionId === undefined && currentVersion !== undefined) {
    const reason = `The input names no version of the object, and S3 keeps versions of it (the current one is ${currentVersion}): its blast-radius hold and claims are the version null's, another object than the one S3 would tag. Nothing was changed; a scan result of this bucket names the version it scanned`;
    log.record('firebreak:decide', target, 'skipped', reason);
    return finish('refused', { refusal: { code: 'version-not-named', reason } });
  }

  // 3. The tags (PutObjectTagging replaces the set: the owner's tags are written back with ours, less any set aside for room).
  const plan = planInfectedTags(current, incident.key);
  // 3a. The claim first (enforce only: a dry-run writes nothing): a release that takes its own claim back
  // after this one leaves the tags on, or puts them back if its write lands after them. It records the owner's
  // tags set aside to make room before the write takes them off.
  let taggedAlready = true;
  let setAside: readonly ObjectTag[] = [];
  let retagged = false;
  let taggedByOthers = false;
  let copy: Awaited<ReturnType<typeof copyToQuarantine>> | undefined;
  // The owner's tags the claims record gave up at its bound (row 16s), named after every other action of the step (row 16t).
  const givenUp: ObjectTag[] = [];
  try {
    if (mode === 'enforce') {
      const claimed = await deps.claims.claim(object, incident.key, now().toISOString(), plan.kind !== 'already-tagged', roomOf(plan, current));
      taggedAlready = claimed.taggedAlready;
      recordClaim(log, target, `Claimed the object version for incident ${incident.key} (state table): a release takes the infected tag off only when no incident holds the version any more`, plan, claimed, givenUp);
    }
    // Firebreak's tags for this incident on a version no run of it claimed to tag were not written by Firebreak: the incident
    // key is a digest of what the event names, which the uploader knows, and anyone who may tag the object may write them. A
    // claim alone is no tag write: the run that found the tags on claimed too, and its retry (or a rescan) finds that claim.
    // The object is tagged infected all the same; it is not reported as this incident's earlier containment (a replay to dismiss).
    taggedByOthers = plan.kind === 'already-tagged' && !taggedAlready;
    if (taggedByOthers) {
      log.record('s3:PutObjectTagging', target, 'observed', `Found tagged infected for incident ${incident.key}, but not by Firebreak: no run of it wrote them (its uploader, or anyone who may tag it, did). Nothing written`);
    } else if (plan.kind === 'already-tagged') {
      log.record('s3:PutObjectTagging', target, 'already-done', `Already tagged infected for incident ${incident.key}`);
    } else if (mode === 'dry-run') {
      log.record('s3:PutObjectTagging', target, 'would-do', `Would tag the object ${infectedTags(incident.key).map((t) => `${t.Key}=${t.Value}`).join(', ')}, keeping its ${plan.left.length} own tag(s)${setAsideWords(plan, ', and would set aside')} (cannot dry-run: S3 has no DryRun parameter)`);
      recordSetAside(log, plan, 'would-do');
    } else {
      await putObjectTags(s3, object, plan.tagSet);
      log.record('s3:PutObjectTagging', target, 'done', `Tagged infected (${MALWARE_TAG_WORDS}) for incident ${incident.key}, keeping its ${plan.left.length} own tag(s)${setAsideWords(plan, ', and set aside')}`);
      recordSetAside(log, plan, 'done');
    }
    setAside = plan.kind === 'tag' ? plan.setAside : [];

    // 3b. Tagged infected already when read (before the claim): a release may have taken the tags off since.
    if (mode === 'enforce' && carriesInfectedTag(current)) {
      const held = await holdAgainstRelease(s3, object, current, { incidentKey: incident.key, log, claims: deps.claims, now, givenUp });
      retagged = held.kind === 'retagged';
      if (held.kind === 'retagged') setAside = held.setAside;
    }

    // 4. The quarantine copy, when the playbook asks for one.
    copy = options.quarantineCopy === undefined ? undefined : await copyToQuarantine(s3, object, options.quarantineCopy, clearance.size, { incidentKey: incident.key, mode, copies: deps.copies, clients: deps.clients, log, now });
  } finally {
    // Last, and on a throw too (the attempt's actions go to the incident record: attempt-actions.ts): the incident record keeps
    // a step's first RECORD_LIMITS.actions actions and the alert lists MAX_LISTED_ACTIONS, so up to 64 lines of the uploader's
    // choosing logged at the claim pushed the tag write, the set-aside tags release writes back and the copy out of both (row 16t).
    recordGivenUp(log, givenUp);
  }
  const tagged = retagged ? 'tagged' : plan.kind === 'already-tagged' ? 'already-tagged' : mode === 'dry-run' ? 'dry-run' : 'tagged';
  const status: QuarantineS3ObjectStatus = tagged === 'already-tagged' && copy?.status === 'copied' ? 'tagged' : tagged;
  return finish(status, {
    ...(copy !== undefined ? { quarantineCopy: copy } : {}),
    ...(taggedByOthers ? { idempotentReplay: false } : {}),
    ...(setAside.length > 0 && mode === 'enforce' ? { setAsideTags: untrustedTags(setAside) } : {}),
  });
}

const MALWARE_TAG_WORDS = 'firebreak:malware-scan=threats-found';

/** The claim's record of the tags a tagging sets aside (none: nothing to record, or an earlier quarantine's record to retire on a first tagging). */
function roomOf(plan: TagPlan, current: readonly ObjectTag[]): TagRoom | undefined {
  return plan.kind === 'tag' ? { setAside: plan.setAside, left: plan.left, fresh: !carriesInfectedTag(current) && incidentMarkerOf(current) === undefined } : undefined;
}

/**
 * The claim's action line (`lead`, then the tags it records before the write that sets them aside and the count of those the
 * record gave up at its bound), and the given-up tags kept in `givenUp` to be named after the step's other actions (row 16t).
 */
function recordClaim(log: ActionLog, target: string, lead: string, plan: TagPlan, claimed: ClaimAnswer, givenUp: ObjectTag[]): void {
  const recorded = plan.kind === 'tag' && plan.setAside.length > 0 ? ", recording in full the owner's tags it sets aside" : '';
  log.record('dynamodb:UpdateItem', target, 'done', `${lead}${recorded}${givenUpWords(claimed)}`);
  givenUp.push(...(claimed.droppedSetAsideTags ?? []));
}

/**
 * One line per tag set aside, so that the alert names each (its key first) whatever the object's key: the uploader's text,
 * JSON-escaped here, neutralized by the alert as every action line (alert-response.ts).
 */
function recordSetAside(log: ActionLog, plan: TagPlan, outcome: 'done' | 'would-do'): void {
  if (plan.kind !== 'tag') return;
  for (const tag of plan.setAside) log.record('firebreak:set-aside-tag', JSON.stringify(tag.Key), outcome, `value ${JSON.stringify(tag.Value)}: the owner's, off the object for room, kept in the state table for release to write back`);
}

/**
 * One line per tag the claims record gave up at its bound (row 16s): set aside by an earlier tagging, never written back,
 * now kept only in this step's result (the execution history), and in the alert and the incident record as far as their
 * listings go (the uploader's text, JSON-escaped as recordSetAside's). Logged after the step's other actions (row 16t).
 */
function recordGivenUp(log: ActionLog, givenUp: readonly ObjectTag[]): void {
  for (const tag of givenUp) log.record('firebreak:set-aside-tag', JSON.stringify(tag.Key), 'skipped', `value ${JSON.stringify(tag.Value)}: the owner's, set aside by an earlier tagging and never written back; no longer in the state table (its record keeps ${SET_ASIDE_RECORD_LIMIT} at most): only here`);
}

/** The claim's words for the tags the record gave up at its bound, counted where the step's first lines are kept (row 16t). */
const givenUpWords = (claimed: ClaimAnswer): string => {
  const count = claimed.droppedSetAsideTags?.length ?? 0;
  return count > 0 ? `; it gave up ${count} of the owner's tags earlier taggings set aside (the record keeps ${SET_ASIDE_RECORD_LIMIT} at most), each named after this step's other actions` : '';
};

/** `<lead> N of the owner's tags to make room` when the plan sets some aside, else nothing. */
const setAsideWords = (plan: TagPlan, lead: string): string =>
  plan.kind === 'tag' && plan.setAside.length > 0 ? `${lead} ${plan.setAside.length} of the owner's tags to make room (S3 allows ${S3_OBJECT_TAG_LIMIT} per object)` : '';

/** PutObjectTagging of the scanned version with `tagSet` (the whole set: S3 replaces it), its owner named. */
async function putObjectTags(s3: S3Client, object: ScannedObject, tagSet: readonly ObjectTag[]): Promise<void> {
  await sendReadOnly('s3:PutObjectTagging', () =>
    s3.send(
      new PutObjectTaggingCommand({
        Bucket: object.bucketName,
        Key: object.key,
        ...(object.versionId !== undefined ? { VersionId: object.versionId } : {}),
        ExpectedBucketOwner: object.account,
        Tagging: { TagSet: [...tagSet] },
      }),
    ),
  );
}

/**
 * The object carried the infected tag when this step read it, before its claim: a release-s3-object
 * run (of the incident its marker names; of this very incident, on a rescan) may have taken its own
 * claim back, found none left and written the owner's set back since that read. S3 has no
 * conditional tag write, so the step reads the tags again now that its claim is made: a release
 * whose write landed before is seen here, and one whose write lands after reads the claim after it
 * and puts the infected tags back (release-s3-object.ts). When the infected tag is gone, the step
 * tags the object again and answers as its last write left it, setting aside (and recording first)
 * as many of the owner's tags as a first tagging would when theirs leave no room.
 */
async function holdAgainstRelease(
  s3: S3Client,
  object: ScannedObject,
  read: readonly ObjectTag[],
  run: { readonly incidentKey: string; readonly log: ActionLog; readonly claims: Pick<S3ObjectClaims, 'claim'>; readonly now: () => Date; readonly givenUp: ObjectTag[] },
): Promise<{ readonly kind: 'held' } | { readonly kind: 'retagged'; readonly setAside: readonly ObjectTag[] }> {
  const { incidentKey, log } = run;
  const target = describeObject(object);
  const marker = incidentMarkerOf(read)?.Value;
  const releaser = marker === undefined ? 'a release' : `a release of incident ${marker}`;
  const now = await objectTags(s3, object);
  if (carriesInfectedTag(now)) {
    const holder = incidentMarkerOf(now)?.Value;
    log.record('s3:GetObjectTagging', target, 'observed', `Still tagged infected${holder !== undefined ? ` (for incident ${holder})` : ''} when read again after the claim: no release took the tag off before it`);
    return { kind: 'held' };
  }
  const taken = `The infected tag was taken off since this step first read the tags (by ${releaser}, or by someone else)`;
  const plan = planInfectedTags(now, incidentKey);
  if (plan.kind === 'already-tagged') return { kind: 'held' };
  // The owner's tags now leaving no room (a release wrote set-aside ones back): they are recorded again before the write.
  if (plan.setAside.length > 0) {
    const claimed = await run.claims.claim(object, incidentKey, run.now().toISOString(), true, roomOf(plan, now));
    recordClaim(log, target, `Claimed the object version again for incident ${incidentKey}`, plan, claimed, run.givenUp);
  }
  await putObjectTags(s3, object, plan.tagSet);
  log.record('s3:PutObjectTagging', target, 'done', `${taken}: tagged infected (${MALWARE_TAG_WORDS}) again for incident ${incidentKey}, keeping its ${plan.left.length} own tag(s)${setAsideWords(plan, ', and set aside')}`);
  recordSetAside(log, plan, 'done');
  return { kind: 'retagged', setAside: plan.setAside };
}

type CopyOutcome = NonNullable<QuarantineS3ObjectResult['quarantineCopy']>;

/**
 * Copies the exact scanned version under firebreak-quarantine/, once, and never over anything.
 *
 * A retried step reads the copy's record first (quarantine-copy-records.ts): the copy itself
 * cannot always be read (a quarantine bucket of another account; a bucket policy denying reads of
 * infected objects), and S3 answers 403, not 404, for a missing key to a role without
 * s3:ListBucket, so a probe of the key says nothing. The copy is conditional (If-None-Match: *):
 * whatever is already at the key (an earlier incident's copy, an object an uploader put there
 * first) is never overwritten, and S3's 412 is taken for this incident's copy only where the step
 * can read the key and finds the scanned content tagged infected (an earlier call whose answer
 * was lost); anywhere else the copy is reported as not made, for a person to look.
 */
async function copyToQuarantine(
  s3: S3Client,
  object: ScannedObject,
  destination: NonNullable<QuarantineS3ObjectOptions['quarantineCopy']>,
  size: number | undefined,
  run: { readonly incidentKey: string; readonly mode: 'dry-run' | 'enforce'; readonly copies: QuarantineCopyRecords; readonly clients: S3Clients; readonly log: ActionLog; readonly now: () => Date },
): Promise<CopyOutcome> {
  const { log } = run;
  const plan = planQuarantineCopy(object, destination);
  const target = describeObject(object);
  if (plan.kind === 'skip') {
    log.record('firebreak:quarantine-copy', target, 'skipped', `Not copied: ${plan.reason}`);
    return { bucket: destination.bucket ?? object.bucketName, key: { untrusted: '' }, status: 'skipped', reason: plan.reason };
  }
  // A quarantine bucket of another Region is written (and read) through that Region: S3 answers a request for a bucket sent to
  // another Region's endpoint 301 PermanentRedirect, and the copy would never be made (row 16zf). CopyObject reads its source anywhere.
  const elsewhere = plan.region !== object.region ? ` in ${plan.region}` : '';
  if (size !== undefined && size > COPY_OBJECT_MAX_BYTES) {
    const reason = `the object is ${size} bytes, past CopyObject's 5 GB (a multipart copy is not implemented): it is tagged, not copied`;
    log.record('firebreak:quarantine-copy', target, 'skipped', `Not copied: ${reason}`);
    return { bucket: plan.bucket, key: { untrusted: plan.key }, status: 'skipped', reason };
  }
  const first = await copyAt(s3, object, plan, plan.ownKey !== undefined, elsewhere, run);
  if (first.status !== 'not-copied' || plan.ownKey === undefined) return first;
  // The key is another copy's (row 16zg): the upload's own key beside it, never left uncopied for an earlier upload's copy.
  return copyAt(s3, object, { ...plan, key: plan.ownKey }, false, elsewhere, run);
}

/** One conditional copy of the scanned version to `plan.key` (`thenOwnKey`: a key taken is said, not reported, since the upload's own key follows). */
async function copyAt(
  s3: S3Client,
  object: ScannedObject,
  plan: { readonly bucket: string; readonly key: string; readonly owner: string; readonly region: string },
  thenOwnKey: boolean,
  elsewhere: string,
  run: { readonly incidentKey: string; readonly mode: 'dry-run' | 'enforce'; readonly copies: QuarantineCopyRecords; readonly clients: S3Clients; readonly log: ActionLog; readonly now: () => Date },
): Promise<CopyOutcome> {
  const { incidentKey, mode, copies, log } = run;
  const target = describeObject(object);
  const where = { bucket: plan.bucket, key: { untrusted: plan.key } };
  const copyName = `${describeObject({ bucketName: plan.bucket, key: plan.key })}${elsewhere}`;
  const copyKey = { bucket: plan.bucket, key: plan.key, owner: plan.owner };
  const recorded = await copies.get(copyKey);
  if (recorded !== undefined && isCopyOf(recorded, copyKey, incidentKey, object)) {
    log.record(
      'dynamodb:GetItem',
      copyName,
      'already-done',
      `Already copied there by this incident at ${recorded.copiedAt}${recorded.versionId !== undefined ? ` (version ${recorded.versionId})` : ''}, as its record says: not copied again`,
    );
    return { ...where, ...(recorded.versionId !== undefined ? { versionId: recorded.versionId } : {}), status: 'already-copied' };
  }
  if (mode === 'dry-run') {
    log.record('s3:CopyObject', copyName, 'would-do', `Would copy ${target} to ${copyName}, tagged infected, only if nothing is at that key yet (If-None-Match; cannot dry-run: S3 has no DryRun parameter)`);
    return { ...where, status: 'would-copy' };
  }
  const to = elsewhere === '' ? s3 : await run.clients.s3({ account: object.account, region: plan.region });
  let output: CopyObjectCommandOutput;
  try {
    output = await to.send(
      new CopyObjectCommand({
        Bucket: plan.bucket,
        Key: plan.key,
        CopySource: copySourceOf(object),
        // Only the scanned content: a version replaced in between fails the copy (412) instead of copying something else.
        ...(object.eTag !== undefined ? { CopySourceIfMatch: `"${object.eTag}"` } : {}),
        ExpectedSourceBucketOwner: object.account,
        ExpectedBucketOwner: plan.owner,
        MetadataDirective: 'COPY',
        TaggingDirective: 'REPLACE',
        Tagging: taggingHeader(infectedTags(incidentKey)),
        // Only where nothing is yet: an earlier copy (evidence of its own incident) or anyone's object at the key is never
        // overwritten (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html); IAM requires it too.
        IfNoneMatch: '*',
      }),
    );
  } catch (error) {
    // The conditional write's own answers: 409, another write to the key in progress, which S3 says to retry
    // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html, If-None-Match); 412, something is there.
    if (awsErrorCode(error) === 'ConditionalRequestConflict' || awsHttpStatus(error) === 409) {
      throw new TransientResponderError(`s3:CopyObject to ${copyName} met another write to that key in progress (409 ConditionalRequestConflict): the step is retried`, { cause: error });
    }
    if (recorded !== undefined && plan.owner !== object.account && isAccessDeniedAwsError(error)) return keyHeldByRecord(recorded, error, run, where, copyName, thenOwnKey);
    if (awsErrorCode(error) !== 'PreconditionFailed' && awsHttpStatus(error) !== 412) throw toResponderError(error, 's3:CopyObject');
    return keyTaken(to, object, plan, recorded, run, where, copyName, thenOwnKey);
  }
  log.record('s3:CopyObject', copyName, 'done', `Copied ${target} to ${copyName}${output.VersionId !== undefined ? ` (version ${output.VersionId})` : ''}, tagged infected; the original stays where it was`);
  const record: QuarantineCopyRecord = {
    ...copyKey,
    incidentKey,
    sourceBucket: object.bucketName,
    sourceKey: object.key,
    ...(object.versionId !== undefined ? { sourceVersionId: object.versionId } : {}),
    ...(object.eTag !== undefined ? { sourceETag: object.eTag } : {}),
    ...(output.VersionId !== undefined ? { versionId: output.VersionId } : {}),
    copiedAt: run.now().toISOString(),
  };
  try {
    await copies.put(record);
  } catch (error) {
    // The copy is made and stays made: a lost record only leaves a retry unable to tell (it then reports the copy not made, never a second one).
    log.record('dynamodb:PutItem', copyName, 'skipped', `The copy was not recorded (${error instanceof Error ? error.message : String(error)}): a retried step could not tell it is this incident's`);
  }
  return { ...where, ...(output.VersionId !== undefined ? { versionId: output.VersionId } : {}), status: 'copied' };
}

/**
 * S3 refused the copy with 412: something is at the key already (If-None-Match), or, without a
 * version id, the object was replaced since it was read (CopySourceIfMatch). It is this incident's
 * copy only when the step can read the key (its own account) and finds the scanned content
 * (the ETag) tagged infected: bytes and tags are then what this incident's copy would hold,
 * whoever wrote them. Anything else stays as it is and the copy is reported as not made.
 */
async function keyTaken(
  s3: S3Client,
  object: ScannedObject,
  plan: { readonly bucket: string; readonly key: string; readonly owner: string },
  recorded: QuarantineCopyRecord | undefined,
  run: { readonly log: ActionLog },
  where: { readonly bucket: string; readonly key: UntrustedText },
  copyName: string,
  thenOwnKey: boolean,
): Promise<CopyOutcome> {
  const { log } = run;
  const replaced = object.versionId === undefined ? ', or the object was replaced since it was read (the copy names no version)' : '';
  let seen: string;
  if (plan.owner !== object.account) {
    seen = `the key is in account ${plan.owner}'s bucket, which Firebreak's role may write to but cannot read, so what is there cannot be checked`;
  } else {
    const head = await headObject(s3, { Bucket: plan.bucket, Key: plan.key, ExpectedBucketOwner: plan.owner });
    if (head.kind === 'found' && object.eTag !== undefined && bareETag(head.head.ETag) === object.eTag) {
      const tags = await sendReadOnly('s3:GetObjectTagging', () => s3.send(new GetObjectTaggingCommand({ Bucket: plan.bucket, Key: plan.key, ExpectedBucketOwner: plan.owner })));
      if ((tags.TagSet ?? []).some((tag) => tag.Key === MALWARE_OBJECT_TAGS.scan.key && tag.Value === MALWARE_OBJECT_TAGS.scan.value)) {
        log.record('s3:CopyObject', copyName, 'already-done', `The scanned content (ETag ${object.eTag}), tagged infected, is already at ${copyName} (an earlier call of this step whose answer was lost, or an identical copy): kept as it is`);
        return { ...where, ...(head.head.VersionId !== undefined ? { versionId: head.head.VersionId } : {}), status: 'already-copied' };
      }
      seen = `an object with the scanned content but not tagged ${MALWARE_TAG_WORDS} is there (not Firebreak's copy: anyone the bucket lets read can read it)`;
    } else if (head.kind === 'found') {
      seen = `another object is there (ETag ${bareETag(head.head.ETag) ?? 'unknown'}, not the scanned ${object.eTag ?? 'content'})`;
    } else {
      seen = `S3 answered ${head.kind === 'forbidden' ? '403' : '404'} to HeadObject of the key (a bucket policy denying reads of infected objects denies Firebreak's role too; without s3:ListBucket a missing key answers 403)`;
    }
  }
  const holder = recorded !== undefined ? ` The state table records incident ${recorded.incidentKey}'s copy of version ${recorded.sourceVersionId ?? 'null'} (${recorded.copiedAt}) at that key.` : '';
  const reason =
    `something is already at the copy's key and is not overwritten: S3 refused the conditional copy with 412 (If-None-Match)${replaced}; ${seen}. ` +
    `This incident has no record of copying it (an earlier call whose answer was lost, an earlier incident's copy, or an object someone else wrote).${holder} ` +
    'The original stays tagged infected; check what is at that key';
  return notCopied(run.log, copyName, where, reason, thenOwnKey);
}

/** The copy not made at a taken key: `skipped` (for a person), or, when the upload's own key is tried next, only said (row 16zg). */
function notCopied(log: ActionLog, copyName: string, where: { readonly bucket: string; readonly key: UntrustedText }, reason: string, thenOwnKey: boolean): CopyOutcome {
  if (thenOwnKey) log.record('s3:CopyObject', copyName, 'observed', `Not copied there, copying to the upload's own key beside it: ${reason}`);
  else log.record('s3:CopyObject', copyName, 'skipped', `Not copied: ${reason}`);
  return { ...where, status: 'not-copied', reason };
}

/**
 * A copy to another account's quarantine bucket refused AccessDenied where the state table records
 * an earlier copy at the key (another incident's, or another upload's under the same key). The
 * documented bucket policy admits a copy's tags only on a key not yet tagged infected (`Null`
 * s3:ExistingObjectTag/firebreak:malware-scan, so a member account's role cannot retag its earlier
 * copies), and S3 authorizes CopyObject's Tagging header as s3:PutObjectTagging on the key: with
 * an earlier copy there, the copy is refused before If-None-Match is asked (security row 16za). It
 * is the same refusal as the 412 (nothing is overwritten), so it is reported the same way: the
 * copy not made, for a person to look, instead of failing the step, whose retries would meet it again.
 */
function keyHeldByRecord(
  recorded: QuarantineCopyRecord,
  error: unknown,
  run: { readonly log: ActionLog },
  where: { readonly bucket: string; readonly key: UntrustedText },
  copyName: string,
  thenOwnKey: boolean,
): CopyOutcome {
  const answer = error instanceof Error ? error.message : String(error);
  const reason =
    `something is already at the copy's key and is not overwritten: the state table records incident ${recorded.incidentKey}'s copy of version ${recorded.sourceVersionId ?? 'null'} (${recorded.copiedAt}) at that key, ` +
    `and account ${recorded.owner}'s quarantine bucket refused the copy (AccessDenied: ${answer}), as its policy admits a copy's tags only on a key not yet tagged infected. ` +
    'The original stays tagged infected; check what is at that key';
  return notCopied(run.log, copyName, where, reason, thenOwnKey);
}

/** quarantine-s3-object as the responder runtime runs it. */
export const quarantineS3ObjectResponder = stepResponder(quarantineS3ObjectOptionsSchema, quarantineS3Object);
export type QuarantineS3ObjectHandlerDeps = HandlerDeps<QuarantineS3ObjectDeps>;
export const createQuarantineS3ObjectHandler = (deps: QuarantineS3ObjectHandlerDeps): ResponderHandler<QuarantineS3ObjectResult> =>
  createResponderHandler(quarantineS3ObjectResponder, deps);
