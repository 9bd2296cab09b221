/** Simulated S3 state: buckets (owner, versioning, policy) and object versions with their tags (s3.ts). */
import type { PolicyDocument } from './iam-policy';

export interface BucketRecord {
  readonly name: string;
  readonly account: string;
  readonly region: string;
  versioning: 'Enabled' | 'Suspended' | 'Unversioned';
  /** Default encryption SSE-KMS with this key (PutBucketEncryption); absent: SSE-S3, S3's default. */
  defaultKmsKeyArn?: string;
  /** The bucket policy (PutBucketPolicy), evaluated on every call on the bucket and its objects (policy-enforcement.ts). */
  policy?: PolicyDocument;
}

export interface ObjectVersionRecord {
  readonly bucket: string;
  readonly key: string;
  /** `null` in a bucket without versioning (S3's own word for it). */
  readonly versionId: string;
  readonly eTag: string;
  readonly size: number;
  readonly body: string;
  readonly metadata: Readonly<Record<string, string>>;
  tags: Map<string, string>;
  readonly createdAt: number;
  /** SSE-KMS: the key S3 encrypted this version with (absent: SSE-S3). */
  readonly kmsKeyArn?: string;
}

export class S3State {
  readonly buckets = new Map<string, BucketRecord>();
  /** Every version ever written, in order; the latest of a key is the last one. */
  readonly versions: ObjectVersionRecord[] = [];

  /** The exact version, or the latest version of the key. */
  find(bucket: string, key: string, versionId?: string): ObjectVersionRecord | undefined {
    const ofKey = this.versions.filter((version) => version.bucket === bucket && version.key === key);
    return versionId === undefined ? ofKey.at(-1) : ofKey.find((version) => version.versionId === versionId);
  }

  /** Writes a new version (replacing the `null` version in a bucket without versioning). */
  put(record: ObjectVersionRecord): void {
    if (record.versionId === 'null') {
      const index = this.versions.findIndex((version) => version.bucket === record.bucket && version.key === record.key && version.versionId === 'null');
      if (index >= 0) this.versions.splice(index, 1);
    }
    this.versions.push(record);
  }
}
