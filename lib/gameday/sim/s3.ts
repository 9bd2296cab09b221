/**
 * Amazon S3, as the malware-object responders and the game day's setup call it: buckets with an
 * owner and versioning, object versions with their tags (at most 10), HeadObject, Get/Put/Delete
 * ObjectTagging (per version), CopyObject of an exact version with CopySourceIfMatch and a replaced
 * tag set, PutObject, GetObject, ListObjectVersions; CopyObject and PutObject take If-None-Match (`*`: 412
 * when the key has a current version). Every call is authorized as IAM does for S3: the API is
 * not the IAM action (HeadObject needs s3:GetObject, a call naming a VersionId the *Version
 * action), and ExpectedBucketOwner is checked (403 AccessDenied). HeadObject and GetObjectTagging
 * of an object or version that is not there answer 404 only to a caller IAM allows s3:ListBucket
 * on the bucket, 403 AccessDenied to any other, as S3 does. A bucket policy (PutBucketPolicy) is
 * evaluated with the caller's identity policies on every call on the bucket and its objects
 * (policy-enforcement.ts). Another account's request is allowed only when both its identity
 * policy and the bucket policy allow it; a bucket without a policy answers its own account only.
 * SSE-KMS (PutBucketEncryption's default key, PutObject's ServerSideEncryption aws:kms): S3 uses
 * the key with the caller's permissions, through S3 and with the object's ARN as the encryption
 * context, kms:GenerateDataKey to write and kms:Decrypt to read a copy's source; a key that is not
 * enabled fails the call (KMS.DisabledException), as in S3
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html).
 * DeleteObject (of a version) and DeleteBucket are for the game-day backend's cleanup.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html
 */
import { createHash } from 'node:crypto';
import { inputOf } from './call';
import type { ApiHandler, SimCall } from './call';
import { SimulatedServiceError } from './errors';
import type { PolicyDocument } from './iam-policy';
import type { ObjectVersionRecord } from './s3-state';
import type { SimWorld } from './world';

type Input = Record<string, unknown>;
const str = (input: Input, key: string): string | undefined => (typeof input[key] === 'string' ? (input[key] as string) : undefined);

const TAG_LIMIT = 10;

/**
 * A bucket policy as PutBucketPolicy takes it, or S3's MalformedPolicy: JSON with a Statement of
 * statements each with an Effect, a Principal and resources of this bucket only ("Policy has
 * invalid resource": https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-policies.html).
 */
export function parseBucketPolicy(bucket: string, text: string): PolicyDocument {
  const malformed = (message: string) => new SimulatedServiceError('MalformedPolicy', message, 400);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw malformed('This policy contains invalid Json');
  }
  const statement = (parsed as { Statement?: unknown } | null)?.Statement;
  const statements = Array.isArray(statement) ? (statement as unknown[]) : statement !== undefined ? [statement] : [];
  if (statements.length === 0) throw malformed('Missing required field Statement');
  const own = (resource: unknown) => typeof resource === 'string' && (resource === `arn:aws:s3:::${bucket}` || resource.startsWith(`arn:aws:s3:::${bucket}/`));
  for (const entry of statements) {
    const { Effect, Principal, NotPrincipal, Resource, NotResource } = (entry ?? {}) as Record<string, unknown>;
    if (Effect !== 'Allow' && Effect !== 'Deny') throw malformed('Invalid effect');
    if (Principal === undefined && NotPrincipal === undefined) throw malformed('Missing required field Principal');
    const resources = [Resource ?? NotResource].flat();
    if (resources.length === 0 || !resources.every(own)) throw malformed('Policy has invalid resource');
  }
  return parsed as PolicyDocument;
}

/** The object ARN IAM authorizes on. */
export function s3ObjectArn(bucket: string, key: string): string {
  return `arn:aws:s3:::${bucket}/${key}`;
}

export function s3Handlers(world: SimWorld): Record<string, ApiHandler> {
  const state = world.s3;
  const bucketOf = (call: SimCall, name: string | undefined, expectedOwner: string | undefined, head = false, anyRegion = false) => {
    const bucket = name === undefined ? undefined : state.buckets.get(name);
    if (!bucket) throw new SimulatedServiceError(head ? 'NotFound' : 'NoSuchBucket', `The specified bucket does not exist: ${String(name)}`, 404);
    // A request goes to the bucket's own Region (a copy's source excepted: CopyObject goes to the destination's); S3 answers
    // another Region's endpoint 301 and the SDK follows no redirect (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingRouting.html).
    if (!anyRegion && bucket.region !== call.region) {
      throw new SimulatedServiceError('PermanentRedirect', `The bucket you are attempting to access must be addressed using the specified endpoint (bucket ${bucket.name} is in ${bucket.region}, not ${call.region})`, 301);
    }
    if (expectedOwner !== undefined && expectedOwner !== bucket.account) throw new SimulatedServiceError('AccessDenied', 'Access Denied (ExpectedBucketOwner does not own the bucket)', 403);
    // Another account reaches a bucket only through its policy: with one, the authorization has
    // already asked both the caller's identity policy and the bucket policy (policy-enforcement.ts);
    // without one, nothing of the bucket's account allows it.
    if (bucket.account !== call.account && bucket.policy === undefined) throw new SimulatedServiceError('AccessDenied', `Access Denied (bucket ${bucket.name} belongs to another account and has no policy)`, 403);
    return bucket;
  };
  /** True when IAM allows the caller s3:ListBucket on the bucket (a denial is an answer here, not an error). */
  const mayList = (call: SimCall, bucket: string): boolean => {
    try {
      call.authorize('s3:ListBucket', `arn:aws:s3:::${bucket}`);
      return true;
    } catch (error) {
      if (error instanceof SimulatedServiceError) return false;
      throw error;
    }
  };
  /**
   * The object version a call names. `head` and `read` are HeadObject and the GET APIs: for an
   * object or version that is not there S3 answers 404 only to a caller allowed s3:ListBucket on
   * the bucket, and 403 AccessDenied to any other, which cannot tell "not there" from "not yours"
   * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html, Permissions).
   */
  const objectOf = (call: SimCall, input: Input, answer: 'head' | 'read' | 'write' = 'write', copySource = false): ObjectVersionRecord => {
    const head = answer === 'head';
    const bucket = bucketOf(call, str(input, 'Bucket'), str(input, 'ExpectedBucketOwner'), head, copySource);
    const key = str(input, 'Key') ?? '';
    const versionId = str(input, 'VersionId');
    const found = state.find(bucket.name, key, versionId);
    if (!found) {
      if (answer !== 'write' && !mayList(call, bucket.name)) throw new SimulatedServiceError('AccessDenied', 'Access Denied', 403);
      if (head) throw new SimulatedServiceError('NotFound', 'Not Found', 404);
      throw versionId !== undefined ? new SimulatedServiceError('NoSuchVersion', 'The specified version does not exist.', 404) : new SimulatedServiceError('NoSuchKey', 'The specified key does not exist.', 404);
    }
    return found;
  };
  const authorizeOn = (call: SimCall, iamAction: string, bucket: string, key: string) => call.authorize(iamAction, s3ObjectArn(bucket, key));
  const tagSetOf = (record: ObjectVersionRecord) => [...record.tags].map(([Key, Value]) => ({ Key, Value }));
  const tagsFrom = (list: unknown): Map<string, string> => {
    const sent = (list as { Key?: string; Value?: string }[] | undefined) ?? [];
    const tags = new Map(sent.map((tag) => [tag.Key ?? '', tag.Value ?? '']));
    // S3 refuses a key twice (API_PutObjectTagging); a Map would keep the last value.
    if (tags.size < sent.length) throw new SimulatedServiceError('InvalidTag', 'Cannot provide multiple Tags with the same key', 400);
    if (tags.size > TAG_LIMIT) throw new SimulatedServiceError('BadRequest', 'Object tags cannot be greater than 10', 400);
    return tags;
  };
  /** Uses an SSE-KMS key through S3 as the caller (the authorization sees kms:ViaService and the encryption context). */
  const useKey = (call: SimCall, iamAction: 'kms:Decrypt' | 'kms:GenerateDataKey', keyArn: string) => {
    const key = world.kmsKeys.get(keyArn);
    if (!key) throw new SimulatedServiceError('KMS.NotFoundException', `Invalid keyId ${keyArn}`, 400);
    try {
      call.authorize(iamAction, key.arn);
    } catch (error) {
      // S3 answers a denied key use in its own words: 403 AccessDenied naming the KMS action.
      if (error instanceof SimulatedServiceError && error.httpStatus < 500) throw new SimulatedServiceError('AccessDenied', error.message, 403, { cause: error });
      throw error;
    }
    if (key.state !== 'Enabled') throw new SimulatedServiceError('KMS.DisabledException', `${key.arn} is ${key.state.toLowerCase()}.`, 400);
    return key.arn;
  };
  /** The key a write encrypts with: the request's aws:kms key, else the bucket's default SSE-KMS key, else none (SSE-S3). */
  const writeKeyOf = (call: SimCall, input: Input, bucketDefault: string | undefined): string | undefined => {
    const requested = input.ServerSideEncryption === 'aws:kms' ? (str(input, 'SSEKMSKeyId') ?? bucketDefault) : input.ServerSideEncryption === undefined ? bucketDefault : undefined;
    if (requested === undefined) return undefined;
    const arn = requested.startsWith('arn:') ? requested : `arn:aws:kms:${call.region}:${call.account}:key/${requested}`;
    return useKey(call, 'kms:GenerateDataKey', arn);
  };
  /**
   * A conditional write's If-None-Match: `*` only, and only onto a key with no current version, else
   * 412 PreconditionFailed (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html).
   * Checked after authorization, as S3 answers a request it would not allow with 403 first.
   */
  const ifNoneMatch = (input: Input, bucket: string, key: string) => {
    const condition = str(input, 'IfNoneMatch');
    if (condition === undefined) return;
    if (condition !== '*') throw new SimulatedServiceError('NotImplemented', 'A header you provided implies functionality that is not implemented (If-None-Match takes only *)', 501);
    if (state.find(bucket, key) !== undefined) throw new SimulatedServiceError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412);
  };
  const encryptionOf = (record: ObjectVersionRecord) => (record.kmsKeyArn !== undefined ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: record.kmsKeyArn } : { ServerSideEncryption: 'AES256' });
  let kmsUploads = 0;
  /**
   * A single-part upload's ETag: the MD5 of its content without SSE-KMS, and not that with it, as S3 says of objects encrypted
   * by SSE-C or SSE-KMS (https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html, ETag): a scenario that names the MD5
   * of such an upload in its scan result would find another ETag in AWS (row 16x). Another for each upload (S3 documents no
   * relation to the content), from a counter so that seeded runs stay the same.
   */
  const uploadETagOf = (body: string, kmsKeyArn: string | undefined): string => {
    if (kmsKeyArn === undefined) return createHash('md5').update(body).digest('hex');
    kmsUploads += 1;
    return createHash('md5').update(`sse-kms\0${kmsKeyArn}\0${kmsUploads}\0${body}`).digest('hex');
  };
  const newVersion = (bucket: string) => (state.buckets.get(bucket)?.versioning === 'Enabled' ? world.ids.resourceId('v').slice(2) : 'null');

  return {
    CreateBucket(call) {
      const input = inputOf<Input>(call);
      const name = str(input, 'Bucket') ?? '';
      const existing = state.buckets.get(name);
      if (existing) throw new SimulatedServiceError(existing.account === call.account ? 'BucketAlreadyOwnedByYou' : 'BucketAlreadyExists', `Bucket ${name} already exists`, 409);
      state.buckets.set(name, { name, account: call.account, region: call.region, versioning: 'Unversioned' });
      return { Location: `/${name}` };
    },
    PutBucketVersioning(call) {
      const input = inputOf<Input>(call);
      const bucket = bucketOf(call, str(input, 'Bucket'), str(input, 'ExpectedBucketOwner'));
      const status = (input.VersioningConfiguration as { Status?: string } | undefined)?.Status;
      if (status !== 'Enabled' && status !== 'Suspended') throw new SimulatedServiceError('MalformedXML', 'VersioningConfiguration.Status must be Enabled or Suspended', 400);
      bucket.versioning = status;
      return {};
    },
    PutBucketEncryption(call) {
      const input = inputOf<Input>(call);
      const bucket = bucketOf(call, str(input, 'Bucket'), str(input, 'ExpectedBucketOwner'));
      const rule = (input.ServerSideEncryptionConfiguration as { Rules?: { ApplyServerSideEncryptionByDefault?: { SSEAlgorithm?: string; KMSMasterKeyID?: string } }[] } | undefined)?.Rules?.[0]?.ApplyServerSideEncryptionByDefault;
      if (rule?.SSEAlgorithm === 'aws:kms' && rule.KMSMasterKeyID !== undefined) bucket.defaultKmsKeyArn = rule.KMSMasterKeyID;
      else if (rule?.SSEAlgorithm === 'AES256') delete bucket.defaultKmsKeyArn;
      else throw new SimulatedServiceError('MalformedXML', 'The simulated S3 takes AES256, or aws:kms with a KMSMasterKeyID', 400);
      return {};
    },
    PutBucketPolicy(call) {
      const input = inputOf<Input>(call);
      const bucket = bucketOf(call, str(input, 'Bucket'), str(input, 'ExpectedBucketOwner'));
      bucket.policy = parseBucketPolicy(bucket.name, str(input, 'Policy') ?? '');
      return {};
    },
    GetBucketPolicy(call) {
      const input = inputOf<Input>(call);
      const bucket = bucketOf(call, str(input, 'Bucket'), str(input, 'ExpectedBucketOwner'));
      if (bucket.policy === undefined) throw new SimulatedServiceError('NoSuchBucketPolicy', 'The bucket policy does not exist', 404);
      return { Policy: JSON.stringify(bucket.policy) };
    },
    DeleteBucketPolicy(call) {
      const input = inputOf<Input>(call);
      const bucket = bucketOf(call, str(input, 'Bucket'), str(input, 'ExpectedBucketOwner'));
      delete bucket.policy;
      return {};
    },
    DeleteObject(call) {
      const input = inputOf<Input>(call);
      const versionId = str(input, 'VersionId');
      if (versionId === undefined) throw new SimulatedServiceError('NotImplemented', 'The simulated S3 deletes exact versions only (cleanup)', 501);
      const record = objectOf(call, input);
      state.versions.splice(state.versions.indexOf(record), 1);
      return { VersionId: versionId };
    },
    DeleteBucket(call) {
      const input = inputOf<Input>(call);
      const bucket = bucketOf(call, str(input, 'Bucket'), str(input, 'ExpectedBucketOwner'));
      if (state.versions.some((version) => version.bucket === bucket.name)) throw new SimulatedServiceError('BucketNotEmpty', 'The bucket you tried to delete is not empty', 409);
      state.buckets.delete(bucket.name);
      return {};
    },
    PutObject(call) {
      const input = inputOf<Input>(call);
      const bucket = bucketOf(call, str(input, 'Bucket'), str(input, 'ExpectedBucketOwner'));
      const key = str(input, 'Key') ?? '';
      const body = typeof input.Body === 'string' ? input.Body : '';
      const tags = new Map(new URLSearchParams(str(input, 'Tagging') ?? ''));
      if (tags.size > 0) authorizeOn(call, 's3:PutObjectTagging', bucket.name, key);
      ifNoneMatch(input, bucket.name, key);
      const kmsKeyArn = writeKeyOf(call, input, bucket.defaultKmsKeyArn);
      const record: ObjectVersionRecord = {
        bucket: bucket.name,
        key,
        versionId: newVersion(bucket.name),
        eTag: uploadETagOf(body, kmsKeyArn),
        size: Buffer.byteLength(body),
        body,
        metadata: {},
        tags,
        createdAt: world.now(),
        ...(kmsKeyArn !== undefined ? { kmsKeyArn } : {}),
      };
      state.put(record);
      return { ETag: `"${record.eTag}"`, ...(record.versionId !== 'null' ? { VersionId: record.versionId } : {}), ...encryptionOf(record) };
    },
    HeadObject(call) {
      const input = inputOf<Input>(call);
      const record = objectOf(call, input, 'head');
      return { ETag: `"${record.eTag}"`, ContentLength: record.size, ...(record.versionId !== 'null' ? { VersionId: record.versionId } : {}), TagCount: record.tags.size, ...encryptionOf(record) };
    },
    GetObject(call) {
      const record = objectOf(call, inputOf<Input>(call), 'read');
      if (record.kmsKeyArn !== undefined) useKey(call, 'kms:Decrypt', record.kmsKeyArn);
      return { Body: record.body, ETag: `"${record.eTag}"`, ContentLength: record.size, ...(record.versionId !== 'null' ? { VersionId: record.versionId } : {}), TagCount: record.tags.size, ...encryptionOf(record) };
    },
    GetObjectTagging(call) {
      const record = objectOf(call, inputOf<Input>(call), 'read');
      return { TagSet: tagSetOf(record), ...(record.versionId !== 'null' ? { VersionId: record.versionId } : {}) };
    },
    PutObjectTagging(call) {
      const input = inputOf<Input>(call);
      const record = objectOf(call, input);
      record.tags = tagsFrom((input.Tagging as { TagSet?: unknown } | undefined)?.TagSet);
      return { ...(record.versionId !== 'null' ? { VersionId: record.versionId } : {}) };
    },
    DeleteObjectTagging(call) {
      const record = objectOf(call, inputOf<Input>(call));
      record.tags = new Map();
      return { ...(record.versionId !== 'null' ? { VersionId: record.versionId } : {}) };
    },
    CopyObject(call) {
      const input = inputOf<Input>(call);
      const source = /^\/?([^/]+)\/([^?]+)(?:\?versionId=(.+))?$/.exec(str(input, 'CopySource') ?? '');
      if (!source) throw new SimulatedServiceError('InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey', 400);
      const [, sourceBucket = '', encodedKey = '', encodedVersion] = source;
      const sourceKey = decodeURIComponent(encodedKey);
      const sourceVersion = encodedVersion !== undefined ? decodeURIComponent(encodedVersion) : undefined;
      authorizeOn(call, sourceVersion !== undefined ? 's3:GetObjectVersion' : 's3:GetObject', sourceBucket, sourceKey);
      const original = objectOf(call, { Bucket: sourceBucket, Key: sourceKey, ...(sourceVersion !== undefined ? { VersionId: sourceVersion } : {}), ...(input.ExpectedSourceBucketOwner !== undefined ? { ExpectedBucketOwner: input.ExpectedSourceBucketOwner } : {}) }, 'write', true);
      const ifMatch = str(input, 'CopySourceIfMatch')?.replace(/^"|"$/g, '');
      if (ifMatch !== undefined && ifMatch !== original.eTag) throw new SimulatedServiceError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412);
      const target = bucketOf(call, str(input, 'Bucket'), str(input, 'ExpectedBucketOwner'));
      const key = str(input, 'Key') ?? '';
      const replaceTags = input.TaggingDirective === 'REPLACE';
      if (replaceTags) authorizeOn(call, 's3:PutObjectTagging', target.name, key);
      const tags = replaceTags ? new Map(new URLSearchParams(str(input, 'Tagging') ?? '')) : new Map(original.tags);
      if (tags.size > TAG_LIMIT) throw new SimulatedServiceError('BadRequest', 'Object tags cannot be greater than 10', 400);
      ifNoneMatch(input, target.name, key);
      // S3 decrypts an SSE-KMS source and encrypts the copy (the bucket's default, unless the request says) as the caller.
      if (original.kmsKeyArn !== undefined) useKey(call, 'kms:Decrypt', original.kmsKeyArn);
      const kmsKeyArn = writeKeyOf(call, input, target.defaultKmsKeyArn);
      const { kmsKeyArn: _sourceKey, ...content } = original;
      const record: ObjectVersionRecord = { ...content, bucket: target.name, key, versionId: newVersion(target.name), tags, createdAt: world.now(), ...(kmsKeyArn !== undefined ? { kmsKeyArn } : {}) };
      state.put(record);
      return { CopyObjectResult: { ETag: `"${record.eTag}"` }, ...(record.versionId !== 'null' ? { VersionId: record.versionId } : {}), ...(sourceVersion !== undefined ? { CopySourceVersionId: sourceVersion } : {}), ...encryptionOf(record) };
    },
    ListObjectVersions(call) {
      const input = inputOf<Input>(call);
      const bucket = bucketOf(call, str(input, 'Bucket'), str(input, 'ExpectedBucketOwner'));
      const prefix = str(input, 'Prefix') ?? '';
      const versions = state.versions.filter((version) => version.bucket === bucket.name && version.key.startsWith(prefix));
      return {
        Versions: versions.map((version) => ({
          Key: version.key,
          VersionId: version.versionId,
          ETag: `"${version.eTag}"`,
          Size: version.size,
          IsLatest: state.find(bucket.name, version.key) === version,
        })),
        IsTruncated: false,
      };
    },
  };
}

/** The IAM action S3 authorizes an API call on (the API name is not the action). */
export function s3IamAction(action: string, input: Readonly<Record<string, unknown>>): string {
  const version = input.VersionId !== undefined;
  switch (action) {
    case 'HeadObject':
    case 'GetObject':
      return version ? 's3:GetObjectVersion' : 's3:GetObject';
    case 'GetObjectTagging':
    case 'PutObjectTagging':
    case 'DeleteObjectTagging':
      return `s3:${action.replace(/^(Get|Put|Delete)Object/, version ? '$1ObjectVersion' : '$1Object')}`;
    case 'CopyObject':
      return 's3:PutObject';
    case 'ListObjectVersions':
      return 's3:ListBucketVersions';
    case 'DeleteObject':
      return version ? 's3:DeleteObjectVersion' : 's3:DeleteObject';
    case 'PutBucketEncryption':
      return 's3:PutEncryptionConfiguration';
    case 'GetBucketPolicy':
    case 'PutBucketPolicy':
    case 'DeleteBucketPolicy':
      return `s3:${action}`;
    default:
      return `s3:${action}`;
  }
}

/** The resource an S3 API call is authorized on: the object it names, or its bucket. */
export function s3CallResource(action: string, input: Readonly<Record<string, unknown>>): string {
  const bucket = typeof input.Bucket === 'string' ? input.Bucket : '';
  if (action === 'CreateBucket' || action === 'PutBucketVersioning' || action === 'ListObjectVersions' || action === 'PutBucketEncryption' || action === 'DeleteBucket' || action.endsWith('BucketPolicy')) return `arn:aws:s3:::${bucket}`;
  return s3ObjectArn(bucket, typeof input.Key === 'string' ? input.Key : '');
}
