/**
 * release-s3-object: takes Firebreak's infected tags (`firebreak:malware-scan`, `firebreak:incident`)
 * off the object again, for a scan an investigation found to be a false positive, keeping every tag
 * of the owner's. quarantine-s3-object only ever added those two keys to the owner's set, so
 * removing them restores the set it found. Tags naming another incident stay (that incident is
 * still open). The quarantine copy is evidence and stays: Firebreak never deletes an object.
 * Runs under a `release` grant of the containment guard, like release-instance.
 *
 * S3 writes tags unconditionally: a quarantine of the object that reads the tags between this
 * step's read and its write would be undone by it. quarantine-s3-object, finding the object tagged,
 * waits out this function's timeout (RELEASE_S3_OBJECT_TIMEOUT_SECONDS) and tags it again if the
 * tag went: keep this step's read and write within one invocation, with no wait in between.
 */
import { releaseS3ObjectOptions } from '../playbooks/release-s3-object-options';
import { DeleteObjectTaggingCommand, PutObjectTaggingCommand } from '@aws-sdk/client-s3';
import type { S3Clients } from '../aws/clients/s3';
import type * as z from '../contracts/zod-mini';
import { RESPONDER_NAMES } from '../contracts/responders';
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
import { describeObject, MALWARE_OBJECT_TAGS, planUntag, scannedObjectOf } from './s3-malware-object';

export const RELEASE_S3_OBJECT_RESPONDER = RESPONDER_NAMES.releaseS3Object;
export const releaseS3ObjectOptionsSchema = releaseS3ObjectOptions;
export type ReleaseS3ObjectOptions = z.output<typeof releaseS3ObjectOptionsSchema>;

export type ReleaseS3ObjectStatus = 'untagged' | 'not-tagged' | 'dry-run' | 'refused' | 'not-an-object' | 'not-found' | 'changed';

export interface ReleaseS3ObjectResult extends ResponderResult<ReleaseS3ObjectStatus> {
  readonly bucket?: string;
  readonly key?: UntrustedText;
  readonly versionId?: string;
  readonly refusal?: { readonly code: ObjectRefusalCode | 'tagged-by-another-incident'; readonly reason: string };
}

export interface ReleaseS3ObjectDeps {
  readonly clients: S3Clients;
  readonly logger: IncidentLogger;
  readonly grants: GrantReader;
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
  const plan = planUntag(current, incident.key);
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
  if (plan.kind === 'other-incident') {
    const reason = `The object's infected tag names incident ${plan.incidentKey}, not ${incident.key}: that incident is still open, its tags stay`;
    log.record('firebreak:decide', target, 'skipped', reason);
    return finish('refused', { refusal: { code: 'tagged-by-another-incident', reason } });
  }
  const base = { Bucket: object.bucketName, Key: object.key, ...(object.versionId !== undefined ? { VersionId: object.versionId } : {}), ExpectedBucketOwner: object.account };
  // An empty set is written by DeleteObjectTagging: PutObjectTagging needs at least the TagSet element.
  const api = plan.tagSet.length === 0 ? 's3:DeleteObjectTagging' : 's3:PutObjectTagging';
  if (effective.mode === 'dry-run') {
    log.record(api, target, 'would-do', `Would take the infected tags off, keeping ${plan.tagSet.length} tag(s) of the owner's (cannot dry-run: S3 has no DryRun parameter)`);
    return finish('dry-run');
  }
  await sendReadOnly(api, () =>
    plan.tagSet.length === 0 ? s3.send(new DeleteObjectTaggingCommand(base)) : s3.send(new PutObjectTaggingCommand({ ...base, Tagging: { TagSet: [...plan.tagSet] } })),
  );
  log.record(api, target, 'done', `Took the infected tags of incident ${incident.key} off, keeping ${plan.tagSet.length} tag(s) of the owner's; the quarantine copy (if any) stays as evidence`);
  return finish('untagged');
}

/** release-s3-object as the responder runtime runs it. */
export const releaseS3ObjectResponder = stepResponder(releaseS3ObjectOptionsSchema, releaseS3Object);
export type ReleaseS3ObjectHandlerDeps = HandlerDeps<ReleaseS3ObjectDeps>;
export const createReleaseS3ObjectHandler = (deps: ReleaseS3ObjectHandlerDeps): ResponderHandler<ReleaseS3ObjectResult> => createResponderHandler(releaseS3ObjectResponder, deps);
