/**
 * The quarantine copies quarantine-s3-object made, one state-table item per copy key
 * (`s3copy#<SHA-256 of the copy's owner, bucket and key>`), written as soon as a CopyObject
 * succeeded. A retried step reads it before anything else: the copy itself cannot always be read
 * (a quarantine bucket in another account admits Firebreak's roles to write, not to read, and a
 * bucket policy that denies reads of infected objects denies them the copy too), so without it a
 * retry could not tell that its copy is there.
 *
 * The item is a claim, as every stored record: the step takes it for its own copy only when every
 * field names this incident, this copy key and this very scanned version (`isCopyOf`). A forged or
 * stale item can at most make a step skip a copy (the original stays tagged and is never deleted);
 * it can never make one overwrite anything, since the copy itself is conditional (If-None-Match).
 * Written and read only by quarantine-s3-object (its role's dynamodb:LeadingKeys).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { STATE_KEY_PREFIX } from '../contracts/security';
import { sha256Hex } from '../incident/keys';
import type { ScannedObject } from './s3-malware-object';
import type { StringItemStore } from './string-item-store';
import { stringItemStore } from './string-item-store';

/** Where a copy is: the copy's bucket, key and the account that owns the bucket. */
export interface QuarantineCopyKey {
  readonly bucket: string;
  readonly key: string;
  readonly owner: string;
}

/** One copy made: where, by which incident, of which scanned version. */
export interface QuarantineCopyRecord extends QuarantineCopyKey {
  readonly incidentKey: string;
  readonly sourceBucket: string;
  readonly sourceKey: string;
  readonly sourceVersionId?: string;
  /** The scanned ETag the copy was made under (CopySourceIfMatch), without quotes. */
  readonly sourceETag?: string;
  /** The copy's own version id (a versioned quarantine bucket). */
  readonly versionId?: string;
  /** ISO 8601. */
  readonly copiedAt: string;
}

export interface QuarantineCopyRecords {
  /** The copy recorded at this key, if any (whoever made it). */
  get(copy: QuarantineCopyKey): Promise<QuarantineCopyRecord | undefined>;
  /** Records a copy just made (a later copy to a key that was free again replaces the item). */
  put(record: QuarantineCopyRecord): Promise<void>;
}

/** The partition key of a copy key: a digest, so the uploader's key text is never part of it. */
export const quarantineCopyRecordKey = (copy: QuarantineCopyKey): string =>
  `${STATE_KEY_PREFIX.quarantineCopy}${sha256Hex(JSON.stringify([copy.owner, copy.bucket, copy.key]))}`;

/** True when `record` is this incident's copy of this very scanned version at this copy key. */
export function isCopyOf(record: QuarantineCopyRecord, copy: QuarantineCopyKey, incidentKey: string, object: ScannedObject): boolean {
  return (
    record.incidentKey === incidentKey &&
    record.bucket === copy.bucket &&
    record.key === copy.key &&
    record.owner === copy.owner &&
    record.sourceBucket === object.bucketName &&
    record.sourceKey === object.key &&
    record.sourceVersionId === object.versionId &&
    record.sourceETag === object.eTag
  );
}

const FIELDS = {
  required: ['bucket', 'key', 'owner', 'incidentKey', 'sourceBucket', 'sourceKey', 'copiedAt'],
  optional: ['sourceVersionId', 'sourceETag', 'versionId'],
} as const;

/** The state-table store. */
export class DynamoDbQuarantineCopyRecords implements QuarantineCopyRecords {
  private readonly items: StringItemStore<(typeof FIELDS.required)[number], (typeof FIELDS.optional)[number]>;

  constructor(client: DynamoDBClient, table: string) {
    this.items = stringItemStore(client, table, FIELDS);
  }

  async get(copy: QuarantineCopyKey): Promise<QuarantineCopyRecord | undefined> {
    return this.items.get(quarantineCopyRecordKey(copy));
  }

  async put(record: QuarantineCopyRecord): Promise<void> {
    return this.items.put(quarantineCopyRecordKey(record), record);
  }
}

/** In-process store with the same semantics (tests). */
export class InMemoryQuarantineCopyRecords implements QuarantineCopyRecords {
  readonly records = new Map<string, QuarantineCopyRecord>();

  async get(copy: QuarantineCopyKey): Promise<QuarantineCopyRecord | undefined> {
    return this.records.get(quarantineCopyRecordKey(copy));
  }

  async put(record: QuarantineCopyRecord): Promise<void> {
    this.records.set(quarantineCopyRecordKey(record), record);
  }
}
