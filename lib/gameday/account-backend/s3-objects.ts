/**
 * The scenario's S3 objects (`environment.s3Objects`): created by the operator (bucket, versioning,
 * an SSE-KMS key as the bucket's default encryption when an object asks, the object with its tags,
 * then the bucket's policy when an object gives one),
 * read back after the run (the object version's tags, the quarantine copies under
 * firebreak-quarantine/) for the `s3Objects` expectation and the digest, and deleted by cleanup()
 * (each object's version, its quarantine copies, the buckets prepare() created; the keys are
 * scheduled for deletion with the others).
 */
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectTaggingCommand,
  ListObjectVersionsCommand,
  PutBucketEncryptionCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { bareETag, QUARANTINE_PREFIX } from '../../responders/s3-malware-object';
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
  /** SSE-KMS: the key it is encrypted with. */
  readonly kmsKeyArn?: string;
}

/** One scenario object after the run. */
export interface InspectedS3Object {
  /** The scenario's version's tags (undefined: the version is gone). */
  readonly tags?: Readonly<Record<string, string>>;
  /** Versions under firebreak-quarantine/ of its bucket that are copies of it (same ETag). */
  readonly quarantineCopies: number;
}

/** Creates every bucket (once, versioned when any of its objects asks; SSE-KMS by default when any asks) and every object. */
export async function createS3Objects(context: BackendContext, environment: EnvironmentDocument): Promise<Record<string, ResolvedS3Object>> {
  const entries = Object.entries(environment.s3Objects);
  if (entries.length === 0) return {};
  const s3 = await context.clients.s3();
  const buckets = new Map<string, { versioned: boolean; kms: boolean }>();
  for (const [, object] of entries) {
    const seen = buckets.get(object.bucket) ?? { versioned: false, kms: false };
    buckets.set(object.bucket, { versioned: seen.versioned || object.versioned, kms: seen.kms || object.encryption === 'SSE-KMS' });
  }
  const bucketKeys = new Map<string, string>();
  for (const [bucket, { versioned, kms }] of buckets) {
    try {
      await s3.send(new CreateBucketCommand({ Bucket: bucket, ...(context.region !== 'us-east-1' ? { CreateBucketConfiguration: { LocationConstraint: context.region as never } } : {}) }));
      context.created.push({ kind: 'bucket', id: bucket });
    } catch (error) {
      if (errorCode(error) !== 'BucketAlreadyOwnedByYou') throw new EnvironmentSetupError(`cannot create bucket ${bucket}: ${errorText(error)}`, { cause: error });
    }
    if (versioned) await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    if (kms) {
      const key = await (await context.clients.environmentKms()).send(new CreateKeyCommand({ Description: `Firebreak game day ${context.runId}: SSE-KMS of ${bucket}`, KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT' }));
      const arn = key.KeyMetadata?.Arn;
      if (arn === undefined) throw new EnvironmentSetupError(`cannot create the SSE-KMS key of bucket ${bucket}: CreateKey answered no ARN`);
      context.created.push({ kind: 'environment-key', id: arn });
      await s3.send(new PutBucketEncryptionCommand({ Bucket: bucket, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: arn } }] } }));
      bucketKeys.set(bucket, arn);
    }
  }
  const resolved: Record<string, ResolvedS3Object> = {};
  for (const [name, object] of entries) {
    const tagging = new URLSearchParams(Object.entries(object.tags)).toString();
    const kmsKeyArn = object.encryption === 'SSE-KMS' ? bucketKeys.get(object.bucket) : undefined;
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: object.bucket,
        Key: object.key,
        Body: object.body,
        ...(tagging !== '' ? { Tagging: tagging } : {}),
        ...(kmsKeyArn !== undefined ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: kmsKeyArn } : { ServerSideEncryption: 'AES256' }),
      }),
    );
    resolved[name] = { bucket: object.bucket, key: object.key, versionId: put.VersionId ?? 'null', eTag: (bareETag(put.ETag) ?? ''), ...(kmsKeyArn !== undefined ? { kmsKeyArn } : {}) };
  }
  // After the objects: a policy that denies reads (DenyReadingInfectedObjects) binds what the run does, not the setup.
  const policies = new Map<string, string>();
  for (const [name, object] of entries) {
    const policy = object.bucketPolicy;
    if (policy === undefined) continue;
    if ('file' in policy) throw new EnvironmentSetupError(`s3Objects.${name}.bucketPolicy: ${policy.file} was not read: load the scenario with the scenario loader, which reads it`);
    policies.set(object.bucket, JSON.stringify(policy));
  }
  for (const [bucket, policy] of policies) {
    try {
      await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policy }));
    } catch (error) {
      throw new EnvironmentSetupError(`cannot put the policy of bucket ${bucket}: ${errorText(error)}`, { cause: error });
    }
  }
  return resolved;
}

/**
 * Deletes each scenario object's version and its quarantine copies (the responders' work on it),
 * then the buckets prepare() created (a bucket it found already there stays). Never throws: each
 * problem is in the report.
 */
export async function deleteS3Objects(
  context: BackendContext,
  objects: Readonly<Record<string, ResolvedS3Object>>,
  attempt: (resource: string, run: () => Promise<unknown>) => Promise<void>,
): Promise<void> {
  const created = context.created.filter((resource) => resource.kind === 'bucket').map((resource) => resource.id);
  if (Object.keys(objects).length === 0 && created.length === 0) return;
  let s3: S3Client;
  try {
    s3 = await context.clients.s3();
  } catch (error) {
    await attempt('S3 client', () => Promise.reject(error));
    return;
  }
  for (const object of Object.values(objects)) {
    const copies = await s3.send(new ListObjectVersionsCommand({ Bucket: object.bucket, Prefix: QUARANTINE_PREFIX })).catch(() => ({ Versions: [] }));
    const versions = [
      { Key: object.key, VersionId: object.versionId },
      ...(copies.Versions ?? []).filter((version) => (bareETag(version.ETag) ?? '') === object.eTag).map((version) => ({ Key: version.Key ?? '', VersionId: version.VersionId ?? 'null' })),
    ];
    for (const version of versions) {
      await attempt(`s3://${object.bucket}/${version.Key} (version ${version.VersionId})`, async () => {
        try {
          await s3.send(new DeleteObjectCommand({ Bucket: object.bucket, Key: version.Key, VersionId: version.VersionId, ExpectedBucketOwner: context.account }));
        } catch (error) {
          // Gone already (a scenario may replace or delete it): nothing left to delete.
          if (!['NoSuchKey', 'NoSuchVersion', 'NotFound'].includes(errorCode(error))) throw error;
        }
      });
    }
  }
  for (const bucket of [...created].reverse()) await attempt(`bucket ${bucket}`, () => s3.send(new DeleteBucketCommand({ Bucket: bucket, ExpectedBucketOwner: context.account })));
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
  return (answer.Versions ?? []).filter((version) => (bareETag(version.ETag) ?? '') === object.eTag).length;
}
