/**
 * What both S3 object steps (quarantine-s3-object, release-s3-object) establish before they change
 * anything: the containment guard's grant for the very object, then the object as S3 says (found,
 * not replaced since the scan) and its tags now. A module of its own, as credential-targets.ts is
 * for the credential steps, so that release-s3-object does not bundle the quarantine step (its
 * module-scope responder keeps the tagging and copying code in any bundle that imports it).
 */
import { GetObjectTaggingCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import type { HeadObjectCommandOutput, S3Client } from '@aws-sdk/client-s3';
import type { S3Clients } from '../aws/clients/s3';
import { awsErrorCode, awsHttpStatus, toResponderError } from '../aws/errors';
import type { UntrustedText } from '../incident/model';
import type { ActionLog } from './action-log';
import type { DeploymentEnvironment, EffectiveMode } from './effective-mode';
import { effectiveMode, recordEffectiveMode } from './effective-mode';
import type { GrantReader, GrantRefusalCode } from './grants';
import { checkContainmentGrant, grantDryRunWhy, recordPausedGrant } from './grants';
import { sendReadOnly } from './mutating';
import type { ResponderInput } from './responder-input';
import type { ObjectTag, ScannedObject } from './s3-malware-object';
import { bareETag, describeObject, malwareObjectGrantTarget } from './s3-malware-object';
import { stepClaimOf } from './step-binding';
import type * as z from '../contracts/zod-mini';

/** What the clearance reads with: S3 where the object is, the grant store, the deployment's mode. */
export interface ObjectClearanceDeps {
  readonly clients: S3Clients;
  readonly grants: GrantReader;
  /** FIREBREAK_MODE. @default process.env */
  readonly environment?: DeploymentEnvironment;
}

/** S3's answers for an object or version that is not there (HeadObject answers a bare 404: NotFound). */
const NOT_THERE = new Set(['NotFound', 'NoSuchKey', 'NoSuchVersion', 'NoSuchBucket']);

/** Why an S3 object step did not act: the containment guard's refusal, or S3's 403 to HeadObject of the object. */
export type ObjectRefusalCode = GrantRefusalCode | 'head-object-forbidden';

/**
 * S3's answer to HeadObject: the object, none (404), or `forbidden` (403), which does not say
 * whether the object is there. S3 answers a read of a missing object 404 only to a caller with
 * s3:ListBucket on the bucket and 403 to any other
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html, Permissions), and
 * Firebreak's roles have no s3:ListBucket (listing every bucket of the account is more than a
 * scanned object needs): a 403 is "missing, or denied".
 */
export type ObjectHead = { readonly kind: 'found'; readonly head: HeadObjectCommandOutput } | { readonly kind: 'not-found' } | { readonly kind: 'forbidden' };

/** HeadObject, as S3 answers it (found, not found, or forbidden). */
export async function headObject(s3: S3Client, input: { Bucket: string; Key: string; VersionId?: string; ExpectedBucketOwner: string }): Promise<ObjectHead> {
  try {
    return { kind: 'found', head: await s3.send(new HeadObjectCommand(input)) };
  } catch (error) {
    if (NOT_THERE.has(awsErrorCode(error) ?? '')) return { kind: 'not-found' };
    // A HEAD error has no body: the SDK names a 403 only by its status (its name is Unknown).
    if (awsHttpStatus(error) === 403) return { kind: 'forbidden' };
    throw toResponderError(error, 's3:HeadObject');
  }
}

/** The object's current tags (GetObjectTagging on the exact version). */
export async function objectTags(s3: S3Client, object: ScannedObject): Promise<ObjectTag[]> {
  const output = await sendReadOnly('s3:GetObjectTagging', () =>
    s3.send(new GetObjectTaggingCommand({ Bucket: object.bucketName, Key: object.key, ...(object.versionId !== undefined ? { VersionId: object.versionId } : {}), ExpectedBucketOwner: object.account })),
  );
  return (output.TagSet ?? []).flatMap((tag) => (tag.Key !== undefined && tag.Value !== undefined ? [{ Key: tag.Key, Value: tag.Value }] : []));
}

/**
 * Where the object is now, as S3 says: found (with its size), gone, replaced since the scan, or
 * unknown (S3's 403): a person must look, since an infected object may still be there untagged.
 */
export async function findScannedObject(
  s3: S3Client,
  object: ScannedObject,
  log: ActionLog,
): Promise<
  | { readonly found: true; readonly size?: number; readonly versionId?: string; readonly eTag?: string }
  | { readonly found: false; readonly status: 'not-found' | 'changed' }
  | { readonly found: false; readonly status: 'refused'; readonly refusal: { readonly code: 'head-object-forbidden'; readonly reason: string } }
> {
  const target = describeObject(object);
  const answer = await headObject(s3, { Bucket: object.bucketName, Key: object.key, ...(object.versionId !== undefined ? { VersionId: object.versionId } : {}), ExpectedBucketOwner: object.account });
  if (answer.kind === 'not-found') {
    log.record('s3:HeadObject', target, 'observed', `S3 has no such object in account ${object.account} (deleted since the scan, or never there): nothing to tag`);
    return { found: false, status: 'not-found' };
  }
  if (answer.kind === 'forbidden') {
    const reason =
      `S3 answered HeadObject with 403 Forbidden, which does not say whether the object is there: either it was deleted since the scan ` +
      `(S3 answers 403, not 404, for a missing object to a caller without s3:ListBucket on the bucket, and Firebreak's roles have none), ` +
      `or access to it is denied (a bucket policy, an SCP, or a bucket of that name not owned by account ${object.account}). ` +
      'Nothing was tagged or copied: check whether the object is still there, and contain it by hand if it is';
    log.record('s3:HeadObject', target, 'skipped', reason);
    return { found: false, status: 'refused', refusal: { code: 'head-object-forbidden', reason } };
  }
  const { head } = answer;
  const eTag = bareETag(head.ETag);
  if (object.eTag !== undefined && eTag !== undefined && eTag !== object.eTag) {
    log.record('s3:HeadObject', target, 'observed', `The object's ETag is ${eTag}, not the scanned ${object.eTag}: it was replaced since the scan (the new upload gets its own scan); nothing changed`);
    return { found: false, status: 'changed' };
  }
  log.record('s3:HeadObject', target, 'observed', `Found${head.ContentLength !== undefined ? `, ${head.ContentLength} bytes` : ''}${eTag !== undefined ? `, ETag ${eTag}` : ''}`);
  return { found: true, ...(head.ContentLength !== undefined ? { size: head.ContentLength } : {}), ...(head.VersionId !== undefined ? { versionId: head.VersionId } : {}), ...(eTag !== undefined ? { eTag } : {}) };
}

/** The result fields that name the object (its key quoted as untrusted). */
export function objectFields(object: ScannedObject): { bucket: string; key: UntrustedText; versionId?: string } {
  return { bucket: object.bucketName, key: { untrusted: object.key }, ...(object.versionId !== undefined ? { versionId: object.versionId } : {}) };
}

/** What both S3 object steps establish before they change anything. */
export type ObjectClearance =
  | {
      readonly cleared: true;
      readonly effective: EffectiveMode;
      readonly gameDay: boolean;
      /** When the containment guard cleared this execution (its grant's time): a release takes back no claim made since. */
      readonly clearedAt: string;
      readonly s3: S3Client;
      readonly current: readonly ObjectTag[];
      readonly size?: number;
      /** The version S3 answered HeadObject with (`x-amz-version-id`; `null` in a bucket whose versioning is suspended, none in one never versioned). */
      readonly versionId?: string;
      /** The object's ETag as HeadObject answered it (without quotes): the upload in S3 now. */
      readonly eTag?: string;
    }
  | { readonly cleared: false; readonly effective: EffectiveMode; readonly status: 'refused'; readonly refusal: { readonly code: ObjectRefusalCode; readonly reason: string } }
  | { readonly cleared: false; readonly effective: EffectiveMode; readonly status: 'not-found' | 'changed' };

/**
 * The containment guard's grant of `kind` for this very object (the mode it allows), then the
 * object as S3 says (found, not replaced since the scan) and its tags now; every step recorded.
 */
export async function clearObject(
  input: ResponderInput<unknown>,
  object: ScannedObject,
  kind: 'contain' | 'release',
  deps: ObjectClearanceDeps,
  log: ActionLog,
  now: () => Date,
  /** The step's responder and options schema: the grant clears only its playbook's step, with those options. */
  step: { readonly responder: string; readonly optionsSchema: z.core.$ZodType },
): Promise<ObjectClearance> {
  const { incident } = input;
  const environment = deps.environment ?? process.env;
  const target = describeObject(object);
  let effective = effectiveMode(input.mode, environment);
  const grant = await checkContainmentGrant(
    { executionArn: input.execution?.executionArn, incident, instanceId: malwareObjectGrantTarget(incident)!, kind, step: stepClaimOf(step.responder, input, step.optionsSchema, environment) },
    deps.grants,
    now(),
  );
  if (!grant.allowed) {
    log.record('firebreak:check-grant', target, 'skipped', grant.reason);
    recordEffectiveMode(log, target, effective);
    return { cleared: false, effective, status: 'refused', refusal: { code: grant.code, reason: grant.reason } };
  }
  log.record('firebreak:check-grant', target, 'observed', grant.reason);
  recordPausedGrant(log, target, grant);
  effective = effectiveMode(input.mode, environment, { mode: grant.mode, why: grantDryRunWhy(grant, kind === 'contain' ? 'execution' : 'release') });
  recordEffectiveMode(log, target, effective);
  const s3 = await deps.clients.s3({ account: object.account, region: object.region });
  const found = await findScannedObject(s3, object, log);
  if (!found.found) return found.status === 'refused' ? { cleared: false, effective, status: 'refused', refusal: found.refusal } : { cleared: false, effective, status: found.status };
  const current = await objectTags(s3, object);
  log.record('s3:GetObjectTagging', target, 'observed', `${current.length} tag(s): ${current.map((tag) => tag.Key).join(', ') || 'none'}`);
  return { cleared: true, effective, gameDay: grant.grant.gameDay, clearedAt: grant.grant.grantedAt, s3, current, ...(found.size !== undefined ? { size: found.size } : {}), ...(found.versionId !== undefined ? { versionId: found.versionId } : {}), ...(found.eTag !== undefined ? { eTag: found.eTag } : {}) };
}
