/**
 * The scenario's S3 objects (`environment.s3Objects`): created by the operator (bucket, versioning,
 * the object with its tags), and read back after the run (the object version's tags, the
 * quarantine copies under firebreak-quarantine/) for the `s3Objects` expectation and the digest.
 */
import { CreateBucketCommand, GetObjectTaggingCommand, ListObjectVersionsCommand, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { QUARANTINE_PREFIX } from '../../responders/s3-malware-object';
import type { EnvironmentDocument } from '../scenario';
import type { BackendContext } from './context';
import { EnvironmentSetupError, errorCode, errorText } from './context';

/** One scenario object as the account stored it: what `${s3Objects.<name>.…}` references resolve to. */
export interface ResolvedS3Object {
  readonly bucket: string;
  readonly key: string;
  /** `null` in a bucket without versioning. */
  readonly versionId: string;
  readonly eTag: string;
}

/** One scenario object after the run. */
export interface InspectedS3Object {
  /** The scenario's version's tags (undefined: the version is gone). */
  readonly tags?: Readonly<Record<string, string>>;
  /** Versions under firebreak-quarantine/ of its bucket that are copies of it (same ETag). */
  readonly quarantineCopies: number;
}

/** Creates every bucket (once, versioned when any of its objects asks) and every object. */
export async function createS3Objects(context: BackendContext, environment: EnvironmentDocument): Promise<Record<string, ResolvedS3Object>> {
  const entries = Object.entries(environment.s3Objects);
  if (entries.length === 0) return {};
  const s3 = await context.clients.s3();
  const buckets = new Map<string, boolean>();
  for (const [, object] of entries) buckets.set(object.bucket, (buckets.get(object.bucket) ?? false) || object.versioned);
  for (const [bucket, versioned] of buckets) {
    try {
      await s3.send(new CreateBucketCommand({ Bucket: bucket, ...(context.region !== 'us-east-1' ? { CreateBucketConfiguration: { LocationConstraint: context.region as never } } : {}) }));
    } catch (error) {
      if (errorCode(error) !== 'BucketAlreadyOwnedByYou') throw new EnvironmentSetupError(`cannot create bucket ${bucket}: ${errorText(error)}`, { cause: error });
    }
    if (versioned) await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  }
  const resolved: Record<string, ResolvedS3Object> = {};
  for (const [name, object] of entries) {
    const tagging = new URLSearchParams(Object.entries(object.tags)).toString();
    const put = await s3.send(new PutObjectCommand({ Bucket: object.bucket, Key: object.key, Body: object.body, ...(tagging !== '' ? { Tagging: tagging } : {}) }));
    resolved[name] = { bucket: object.bucket, key: object.key, versionId: put.VersionId ?? 'null', eTag: (put.ETag ?? '').replace(/^"|"$/g, '') };
  }
  return resolved;
}

/** Each scenario object's tags and quarantine copies now. */
export async function inspectS3Objects(context: BackendContext, objects: Readonly<Record<string, ResolvedS3Object>>): Promise<Record<string, InspectedS3Object>> {
  const names = Object.keys(objects);
  if (names.length === 0) return {};
  const s3 = await context.clients.s3();
  const inspected: Record<string, InspectedS3Object> = {};
  for (const name of names.sort()) {
    const object = objects[name]!;
    inspected[name] = { ...(await tagsOf(s3, object)), quarantineCopies: await copiesOf(s3, object) };
  }
  return inspected;
}

async function tagsOf(s3: S3Client, object: ResolvedS3Object): Promise<{ tags?: Record<string, string> }> {
  try {
    const answer = await s3.send(new GetObjectTaggingCommand({ Bucket: object.bucket, Key: object.key, ...(object.versionId !== 'null' ? { VersionId: object.versionId } : {}) }));
    return { tags: Object.fromEntries((answer.TagSet ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? ''])) };
  } catch (error) {
    if (['NoSuchKey', 'NoSuchVersion', 'NotFound'].includes(errorCode(error))) return {};
    throw error;
  }
}

async function copiesOf(s3: S3Client, object: ResolvedS3Object): Promise<number> {
  const answer = await s3.send(new ListObjectVersionsCommand({ Bucket: object.bucket, Prefix: QUARANTINE_PREFIX }));
  return (answer.Versions ?? []).filter((version) => (version.ETag ?? '').replace(/^"|"$/g, '') === object.eTag).length;
}
