/**
 * release-s3-object: takes Firebreak's infected tags (`firebreak:malware-scan`, `firebreak:incident`)
 * off the object again, for a scan an investigation found to be a false positive, keeping every tag
 * of the owner's. quarantine-s3-object only ever added those two keys to the owner's set, so
 * removing them restores the set it found. Tags naming another incident stay (that incident is
 * still open). The quarantine copy is evidence and stays: Firebreak never deletes an object.
 * Runs under a `release` grant of the containment guard, like release-instance.
 *
 * The incidents holding the object version are its claims in the state table (s3-object-claims.ts),
 * not its one `firebreak:incident` tag: the release takes back its own incident's claim (refused when
 * the version was claimed since the containment guard cleared this release: the approver was not
 * asked about that containment), takes the infected tag off only when no claim is left, and reads
 * the claims again after its tag write. S3 writes tags unconditionally, so a quarantine that claimed
 * the version while this step wrote would otherwise be undone by it: the step then puts the
 * infected tags back.
 */
import { releaseS3ObjectOptions } from '../playbooks/release-s3-object-options';
import { DeleteObjectTaggingCommand, PutObjectTaggingCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3Clients } from '../aws/clients/s3';
import type * as z from '../contracts/zod-mini';
import { RELEASE_S3_OBJECT } from '../contracts/responders';
import type { UntrustedText } from '../incident/model';
import { ActionLog } from './action-log';
import type { DeploymentEnvironment, EffectiveMode } from './effective-mode';
import { effectiveMode, forcedDryRunField } from './effective-mode';
import type { GrantReader } from './grants';
import type { IncidentLogger } from './logging';
import type { ResponderResult } from './model';
import { sendReadOnly } from './mutating';
import type { ResponderInput } from './responder-input';
import type { HandlerDeps, ResponderHandler } from './runtime';
import { createResponderHandler } from './runtime';
import { stepResponder } from './responder-input';
import { clearObject, objectFields } from './s3-object-clearance';
import type { ObjectRefusalCode } from './s3-object-clearance';
import type { ObjectTag, ScannedObject } from './s3-malware-object';
import type { TagPlan, TagRestore } from './s3-malware-object';
import { describeObject, isGameDayObject, MALWARE_OBJECT_TAGS, planInfectedTags, planRestore, planUntag, S3_OBJECT_TAG_LIMIT, scannedObjectOf, tagWords, untrustedTags } from './s3-malware-object';
import { isGameDayIncident } from './game-day';
import { SECURITY_TAGS } from '../contracts/security';
import type { ObjectVersionClaims, S3ObjectClaims } from './s3-object-claims';
import { holderOf, keptVersionId } from './s3-object-claims';

export const RELEASE_S3_OBJECT_RESPONDER = RELEASE_S3_OBJECT;
export const releaseS3ObjectOptionsSchema = releaseS3ObjectOptions;
export type ReleaseS3ObjectOptions = z.output<typeof releaseS3ObjectOptionsSchema>;

/** `held`: this incident's claim is taken back, and the object stays tagged infected for the other incidents holding it (`holders`). */
export type ReleaseS3ObjectStatus = 'untagged' | 'held' | 'not-tagged' | 'dry-run' | 'refused' | 'not-an-object' | 'not-found' | 'changed';

export interface ReleaseS3ObjectResult extends ResponderResult<ReleaseS3ObjectStatus> {
  readonly bucket?: string;
  readonly key?: UntrustedText;
  readonly versionId?: string;
  /** The other incidents holding the object version, for which it stays tagged infected (`held`; a dry-run that would leave it so). */
  readonly holders?: readonly string[];
  /** `claimed-since-cleared`: the version was claimed after the containment guard cleared this release; it stays tagged. */
  /** `not-a-gameday-target`: a drill's release of an object that does not opt in to game days in S3 now; nothing was written. */
  /** `version-not-named`: the release names no version, and S3 says the object has one (a versioned bucket); nothing was written. */
  /** `claims-of-another-upload`: the claims on the version `null` are another upload's than the one in S3 now (row 16w); it stays tagged. */
  readonly refusal?: {
    readonly code: ObjectRefusalCode | 'not-a-gameday-target' | 'version-not-named' | 'tagged-by-another-incident' | 'claimed-since-cleared' | 'claims-of-another-upload';
    readonly reason: string;
  };
  /**
   * The owner's tags quarantine set aside to make room (from the claims record): `restored`, written back with the owner's
   * others; `not-restored`, the object's tags changed since, so they stay in the record for a person (the uploader's text).
   */
  readonly setAsideTags?: { readonly status: 'restored' | 'not-restored'; readonly tags: readonly { readonly key: UntrustedText; readonly value: UntrustedText }[] };
  /** The owner's tags an earlier first tagging of the version set aside and no release wrote back: never written back, kept in the record for a person (row 16q). */
  readonly earlierSetAsideTags?: readonly { readonly key: UntrustedText; readonly value: UntrustedText }[];
}

export interface ReleaseS3ObjectDeps {
  readonly clients: S3Clients;
  readonly logger: IncidentLogger;
  readonly grants: GrantReader;
  /** The incidents holding each object version (state table, `s3claim#`). */
  readonly claims: Pick<S3ObjectClaims, 'get' | 'takeBack' | 'forgetRestored'>;
  /** FIREBREAK_MODE. @default process.env */
  readonly environment?: DeploymentEnvironment;
  readonly now?: () => Date;
}

/** Removes the incident's infected tags from the object, keeping the owner's. */
export async function releaseS3Object(input: ResponderInput<ReleaseS3ObjectOptions>, deps: ReleaseS3ObjectDeps): Promise<ReleaseS3ObjectResult> {
  const now = deps.now ?? (() => new Date());
  const log = new ActionLog(now);
  const { incident } = input;
  const environment = deps.environment ?? process.env;
  let effective: EffectiveMode = effectiveMode(input.mode, environment);
  let where: Partial<ReleaseS3ObjectResult> = {};
  const finish = (status: ReleaseS3ObjectStatus, extra: Partial<ReleaseS3ObjectResult> = {}): ReleaseS3ObjectResult => {
    const result: ReleaseS3ObjectResult = {
      responder: RELEASE_S3_OBJECT_RESPONDER,
      incidentKey: incident.key,
      mode: effective.mode,
      status,
      idempotentReplay: status === 'not-tagged',
      actions: log.actions,
      ...forcedDryRunField(effective),
      ...where,
      ...extra,
    };
    deps.logger.info('release-s3-object finished', { status, bucket: result.bucket, versionId: result.versionId });
    return result;
  };

  const scanned = scannedObjectOf(incident);
  if (scanned.object === undefined) {
    log.record('firebreak:decide', incident.key, 'skipped', `Nothing to release: ${scanned.reason}`);
    return finish('not-an-object');
  }
  const object = scanned.object;
  const target = describeObject(object);
  where = objectFields(object);

  const clearance = await clearObject(input, object, 'release', deps, log, now, { responder: RELEASE_S3_OBJECT_RESPONDER, optionsSchema: releaseS3ObjectOptionsSchema });
  effective = clearance.effective;
  if (!clearance.cleared) return finish(clearance.status, clearance.status === 'refused' ? { refusal: clearance.refusal } : {});
  const { s3, current } = clearance;
  // A drill releases only objects that opt in, as S3 says now (the tags just read), as quarantine-s3-object and
  // release-instance do: its approval says [GAME DAY], and a rehearsal must never take the infected tag off (nor
  // write the claims of) a real object, one an analyst tagged infected by hand or one back in production since.
  if ((isGameDayIncident(incident) || clearance.gameDay) && !isGameDayObject(current)) {
    const reason = `Game-day incident ${incident.key}: the object does not carry the tag ${SECURITY_TAGS.gameDayTarget.key}=${SECURITY_TAGS.gameDayTarget.value} in S3 now, so a drill may not release it; nothing was changed.`;
    log.record('firebreak:check-gameday-target', target, 'skipped', reason);
    return finish('refused', { refusal: { code: 'not-a-gameday-target', reason } });
  }
  // The claims are kept per version (s3ObjectClaimKey): a release that names no version of an object S3 keeps versions of
  // would read and take back the claims item of "no version", which no quarantine of that version wrote, and so find no
  // other incident holding it. It names the version and is started again; before any claim or tag write, dry-run too.
  const currentVersion = keptVersionId(clearance.versionId);
  if (object.versionId === undefined && currentVersion !== undefined) {
    const reason = `The release names no version of the object, and S3 keeps versions of it (the current one is ${currentVersion}): the incidents holding a version are recorded for that version, so this release could not see them. Nothing was changed; start the release again with --version-id ${currentVersion} (or the version the scan's alert names)`;
    log.record('firebreak:decide', target, 'skipped', reason);
    return finish('refused', { refusal: { code: 'version-not-named', reason } });
  }
  const plan = planUntag(current, incident.key);
  if (plan.kind === 'not-tagged' || plan.kind === 'marker-only') await takeBackUntagged(object, incident.key, clearance.clearedAt, effective.mode, deps.claims, log);
  if (plan.kind === 'not-tagged') {
    log.record('s3:PutObjectTagging', target, 'already-done', 'The object carries no Firebreak infected tag: nothing to take off');
    return finish('not-tagged');
  }
  if (plan.kind === 'marker-only') {
    log.record(
      'firebreak:decide',
      target,
      'skipped',
      `The object no longer carries the infected tag (${MALWARE_OBJECT_TAGS.scan.key}=${MALWARE_OBJECT_TAGS.scan.value}): someone changed its tags since quarantine, and nothing blocks it any more. Its ${MALWARE_OBJECT_TAGS.incident.key} marker stays: Firebreak rewrites the tags only of an object still tagged infected; remove the marker by hand if wanted`,
    );
    // Not a replay of this release: someone else took the infected tag off.
    return finish('not-tagged', { idempotentReplay: false });
  }
  // The object carries the infected tag, naming this incident or another: the claims decide who holds it.
  const otherMarker = plan.kind === 'other-incident' ? plan.incidentKey : undefined;
  const refuseOtherMarker = (): ReleaseS3ObjectResult => {
    const reason = `The object's infected tag names incident ${otherMarker}, not ${incident.key}, and no release of that incident took its claim back: that incident is still open, its tags stay`;
    log.record('firebreak:decide', target, 'skipped', reason);
    return finish('refused', { refusal: { code: 'tagged-by-another-incident', reason } });
  };
  // The claims of the version `null` are one upload's (objectETag, row 16u), and a release names no ETag (`firebreak release`
  // names the bucket and key): a claim of an upload replaced between that step's read of the object and its claim retires the
  // claims of the upload in S3 now and holds it itself, so no claim left is not no incident holding the upload in S3 (row 16w).
  const { eTag: uploadETag } = clearance;
  const refuseAnotherUpload = (claimed: ObjectVersionClaims, taken: boolean): ReleaseS3ObjectResult | undefined => {
    if (claimed.objectETag === undefined || uploadETag === undefined || claimed.objectETag === uploadETag) return undefined;
    const reason =
      `The state table's claims on the object are another upload's (ETag ${claimed.objectETag}), not the one in S3 now (ETag ${uploadETag}): an incident of an upload replaced since claimed it after the current upload's incidents and retired their claims, so no claim left does not mean that no incident holds this upload. ` +
      `${taken ? `Incident ${incident.key}'s claim is taken back; the` : 'The'} infected tags stay on. To release the upload in S3 now, start an on-demand scan of it (GuardDuty SendObjectMalwareScan): its incident claims this upload, and that incident's release takes the tags off; or a person checks the object and takes them off by hand`;
    log.record('firebreak:decide', target, 'skipped', reason);
    return finish('refused', { refusal: { code: 'claims-of-another-upload', reason } });
  };
  if (effective.mode === 'dry-run') {
    const read = await deps.claims.get(object);
    const others = read.claims.filter((holder) => holder !== incident.key);
    if (others.length > 0) {
      log.record('dynamodb:UpdateItem', target, 'would-do', `Would take back incident ${incident.key}'s claim on the object version; it would stay tagged infected: ${holdersWords(others)}`);
      return finish('dry-run', { holders: others });
    }
    if (otherMarker !== undefined && !read.releasedClaims.includes(otherMarker)) return refuseOtherMarker();
    const anotherUpload = refuseAnotherUpload(read, false);
    if (anotherUpload !== undefined) return anotherUpload;
    const restore = planRestore(ownerTagsOf(current), read.setAsideTags ?? [], read.leftTags);
    log.record(tagApiOf(restore.tagSet), target, 'would-do', `Would take the infected tags off, keeping ${ownerTagsOf(current).length} tag(s) of the owner's${restoreWords(restore, 'would write back')} (cannot dry-run: S3 has no DryRun parameter)`);
    recordKept(log, target, restore, read.earlierSetAsideTags);
    return finish('dry-run', setAsideField(restore, read.earlierSetAsideTags));
  }

  const taken = await deps.claims.takeBack(object, incident.key, clearance.clearedAt);
  if (taken.kind === 'claimed-since') {
    const reason =
      `The object version was claimed again at ${taken.claims.lastClaimAt ?? 'an unknown time'}${taken.claims.lastClaimBy !== undefined ? ` by incident ${taken.claims.lastClaimBy}` : ''}, ` +
      `after the containment guard cleared this release (${clearance.clearedAt}): the approval was not given on that containment. Nothing was written; the object stays tagged infected. A new release (and approval) is needed`;
    log.record('dynamodb:UpdateItem', target, 'skipped', reason);
    return finish('refused', { refusal: { code: 'claimed-since-cleared', reason } });
  }
  const others = taken.left.claims.filter((holder) => holder !== incident.key);
  if (others.length > 0) {
    log.record('dynamodb:UpdateItem', target, 'done', `Took back incident ${incident.key}'s claim on the object version; it stays tagged infected: ${holdersWords(others)}, and its tags come off with the last one's release`);
    return finish('held', { holders: others });
  }
  log.record('dynamodb:UpdateItem', target, 'done', `Took back incident ${incident.key}'s claim on the object version: no other incident holds it`);
  if (otherMarker !== undefined && !taken.left.releasedClaims.includes(otherMarker)) return refuseOtherMarker();
  const anotherUpload = refuseAnotherUpload(taken.left, true);
  if (anotherUpload !== undefined) return anotherUpload;

  // The owner's tags quarantine set aside to make room come from the claims record (the take-back's ALL_NEW), never from the input.
  const tagSet = ownerTagsOf(current);
  const restore = planRestore(tagSet, taken.left.setAsideTags ?? [], taken.left.leftTags);
  await writeTags(s3, object, restore.tagSet);
  log.record(
    tagApiOf(restore.tagSet),
    target,
    'done',
    `Took the infected tags${otherMarker !== undefined ? ` (marked for incident ${otherMarker}, whose release took its claim back)` : ''} of incident ${incident.key} off, keeping ${tagSet.length} tag(s) of the owner's${restoreWords(restore, 'wrote back')}; the quarantine copy (if any) stays as evidence`,
  );
  // Written back: out of the record (after the write: a crash in between leaves them there, never lost).
  if (restore.restored.length > 0 && !(await deps.claims.forgetRestored(object, restore.restored, taken.left.lastClaimAt))) {
    log.record('dynamodb:UpdateItem', target, 'skipped', 'The tags written back stay in the record: the version was claimed again since the take-back');
  }
  recordKept(log, target, restore, taken.left.earlierSetAsideTags);

  // S3 wrote the tags unconditionally: a quarantine that claimed the version since the take-back may have tagged it before this write landed.
  const after = await deps.claims.get(object);
  const holder = holderOf(after);
  if (holder === undefined) return finish('untagged', setAsideField(restore, taken.left.earlierSetAsideTags));
  const reason = `${after.claims.length === 1 ? `Incident ${after.claims[0]}` : `Incidents ${after.claims.join(', ')}`} claimed the object version while this release ran (after it took its claim back, before it read the claims again): the infected tags are back on; a new release (and approval) is needed`;
  // As quarantine left it: the set-aside tags off again (they would pass S3's 10 with Firebreak's two), still in the record.
  // Room made as the holder's quarantine makes it from the same owner's tags (and recorded by its claim): nine of them and
  // Firebreak's two would be refused, leaving the object untagged while the holder counts it contained (row 16p). Never
  // `already-tagged`: the owner's tags hold none of Firebreak's keys.
  const putBack = planInfectedTags(tagSet, holder) as Extract<TagPlan, { kind: 'tag' }>;
  await writeTags(s3, object, putBack.tagSet);
  log.record(
    's3:PutObjectTagging',
    target,
    'done',
    `Tagged infected again for incident ${holder}, keeping ${putBack.left.length} tag(s) of the owner's${putBack.setAside.length > 0 ? ` (setting aside ${tagWords(putBack.setAside)} for room, as its quarantine does)` : ''}: ${reason}`,
  );
  return finish('refused', { refusal: { code: 'claimed-since-cleared', reason } });
}

/**
 * The object carries no infected tag (never tagged, or someone took it off): nothing to untag, but
 * this incident's claim is taken back all the same (enforce only), so that it does not keep a later
 * incident's tags on after that incident's release. A claim made since this release was cleared stays.
 */
async function takeBackUntagged(object: ScannedObject, incidentKey: string, clearedAt: string, mode: 'dry-run' | 'enforce', claims: Pick<S3ObjectClaims, 'takeBack'>, log: ActionLog): Promise<void> {
  if (mode !== 'enforce') return;
  const taken = await claims.takeBack(object, incidentKey, clearedAt);
  const target = describeObject(object);
  if (taken.kind === 'claimed-since') {
    log.record('dynamodb:UpdateItem', target, 'skipped', `Incident ${incidentKey}'s claim on the object version stays: the version was claimed again at ${taken.claims.lastClaimAt ?? 'an unknown time'}, after this release was cleared (${clearedAt})`);
    return;
  }
  log.record('dynamodb:UpdateItem', target, 'done', `Took back incident ${incidentKey}'s claim on the object version (it carries no infected tag)`);
}

/** `, and <verb> the N owner's tag(s) quarantine set aside: "k"="v", ...` (JSON-escaped: the uploader's text; the alert neutralizes the line), or nothing. */
function restoreWords(restore: TagRestore, verb: string): string {
  return restore.restored.length > 0 ? `, and ${verb} the ones quarantine set aside: ${tagWords(restore.restored)}` : '';
}

/** The set-aside tags the record keeps (for a person), named in the alert: the last tagging's not written back, and earlier ones'. */
function recordKept(log: ActionLog, target: string, restore: TagRestore, earlier: readonly ObjectTag[] = []): void {
  if (restore.kept.length > 0) {
    log.record('firebreak:restore-tags', target, 'skipped', `Not written back over tags changed since, nor as a set S3 refuses (more than ${S3_OBJECT_TAG_LIMIT} tags, a key twice; they stay in the state table's record): the owner's tags quarantine set aside to make room, ${tagWords(restore.kept)}`);
  }
  if (earlier.length > 0) {
    log.record('firebreak:restore-tags', target, 'skipped', `Never written back (the owner's tags changed since; they stay in the state table's record until a person clears them): the owner's tags an earlier quarantine of the version set aside, ${tagWords(earlier)}`);
  }
}

/** The result's account of the set-aside tags, when the record holds some. */
function setAsideField({ restored, kept }: TagRestore, earlier: readonly ObjectTag[] = []): Pick<ReleaseS3ObjectResult, 'setAsideTags' | 'earlierSetAsideTags'> {
  const tags = [...restored, ...kept];
  return {
    ...(tags.length === 0 ? {} : { setAsideTags: { status: kept.length > 0 ? 'not-restored' : 'restored', tags: untrustedTags(tags) } }),
    ...(earlier.length > 0 ? { earlierSetAsideTags: untrustedTags(earlier) } : {}),
  };
}

/** "incident X holds it" / "incidents X, Y hold it". */
function holdersWords(holders: readonly string[]): string {
  return holders.length === 1 ? `incident ${holders[0]} holds it` : `incidents ${holders.join(', ')} hold it`;
}

/** The owner's tags: the object's without Firebreak's two (whichever incident its marker names). */
function ownerTagsOf(current: readonly ObjectTag[]): ObjectTag[] {
  return current.filter((tag) => tag.Key !== MALWARE_OBJECT_TAGS.scan.key && tag.Key !== MALWARE_OBJECT_TAGS.incident.key);
}

/** An empty set is written by DeleteObjectTagging: PutObjectTagging needs at least the TagSet element. */
const tagApiOf = (tagSet: readonly ObjectTag[]): 's3:DeleteObjectTagging' | 's3:PutObjectTagging' => (tagSet.length === 0 ? 's3:DeleteObjectTagging' : 's3:PutObjectTagging');

/** Writes `tagSet` as the version's whole tag set (DeleteObjectTagging for none), its owner named. */
async function writeTags(s3: S3Client, object: ScannedObject, tagSet: readonly ObjectTag[]): Promise<void> {
  const base = { Bucket: object.bucketName, Key: object.key, ...(object.versionId !== undefined ? { VersionId: object.versionId } : {}), ExpectedBucketOwner: object.account };
  await sendReadOnly(tagApiOf(tagSet), () => (tagSet.length === 0 ? s3.send(new DeleteObjectTaggingCommand(base)) : s3.send(new PutObjectTaggingCommand({ ...base, Tagging: { TagSet: [...tagSet] } }))));
}

/** release-s3-object as the responder runtime runs it. */
export const releaseS3ObjectResponder = stepResponder(releaseS3ObjectOptionsSchema, releaseS3Object);
export type ReleaseS3ObjectHandlerDeps = HandlerDeps<ReleaseS3ObjectDeps>;
export const createReleaseS3ObjectHandler = (deps: ReleaseS3ObjectHandlerDeps): ResponderHandler<ReleaseS3ObjectResult> => createResponderHandler(releaseS3ObjectResponder, deps);
