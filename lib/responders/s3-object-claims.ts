/**
 * The incidents that hold an S3 object version contained: one state-table item per version
 * (`s3claim#<SHA-256 of account, Region, bucket, version and key>`: a digest, so the uploader's key
 * text is never part of the partition key, and a 1,024-byte key still fits), as the access keys'
 * records hold their claims (credential-records.ts).
 *
 * The object's tags name one incident (`firebreak:incident`), and S3 writes tags unconditionally:
 * the tags cannot say that two incidents hold the version, nor that a quarantine tagged it while a
 * release was writing the owner's tags back. DynamoDB's conditional writes can, so:
 * - quarantine-s3-object claims the version for its incident before it tags it (idempotent: a
 *   retry or a rescan adds nothing new to the set), and then reads the tags again when it found them
 *   infected, so that its answer is never older than its claim;
 * - release-s3-object takes back its own incident's claim, only while no claim was made since the
 *   containment guard cleared the release (a rescan or another incident since then: the approver was
 *   not asked about it), takes the infected tag off only when no other claim is left, and reads the
 *   item again after its tag write: a claim made in between puts the infected tags back.
 *
 * In a bucket without versioning (or with versioning suspended) every upload to a key is the one version `null`, which each
 * upload overwrites (https://docs.aws.amazon.com/AmazonS3/latest/userguide/AddingObjectstoVersionSuspendedBuckets.html), so
 * every upload shares one item, and each upload of new content is scanned and makes an incident of its own (its key is a digest
 * of the object with its ETag: malware.ts). An upload replaces the object and its tags, so the claims of earlier uploads hold
 * nothing: the item's claims are those of one upload, by ETag (`objectETag`), and a claim of another upload first retires them
 * (claimETagOf, row 16u). Else the item grew by each upload's incident (about 80 bytes) until DynamoDB's 400 KB item limit,
 * attribute names included (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html), refused
 * every claim on it, and the current upload stayed untagged.
 *
 * The item is a claim like any stored record (only the state table's policy keeps others from
 * writing it): a forged claim can only keep an object tagged, a removed one only lets a release take
 * the tag off that its own incident's approval allowed. Written only by the two S3 object steps (their
 * roles' dynamodb:LeadingKeys).
 */
import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { awsErrorCode, itemOfConditionFailure, toResponderError } from '../aws/errors';
import { TransientResponderError } from '../contracts/responder-errors';
import { STATE_KEY_PREFIX } from '../contracts/security';
import { sha256Hex } from '../incident/keys';
import type { ObjectTag, ScannedObject } from './s3-malware-object';
import { byKey } from './s3-malware-object';

/** The object version a claim is on, and the scanned upload's ETag when the scan names it. */
export type ClaimedObject = Pick<ScannedObject, 'account' | 'region' | 'bucketName' | 'key' | 'versionId'> & Pick<Partial<ScannedObject>, 'eTag'>;

/** Which incidents hold an object version, as the item says now. */
export interface ObjectVersionClaims {
  /** Incidents whose quarantine claimed the version and whose release has not taken the claim back (sorted). */
  readonly claims: readonly string[];
  /** Incidents whose release took their claim back (sorted): a marker naming one of them is no longer held. */
  readonly releasedClaims: readonly string[];
  /** When the version was last claimed (ISO 8601), and by which incident. */
  readonly lastClaimAt?: string;
  readonly lastClaimBy?: string;
  /** The owner's tags the last first tagging set aside to make room for Firebreak's, not written back yet (sorted by key): release writes them back. */
  readonly setAsideTags?: readonly ObjectTag[];
  /**
   * The owner's tags an earlier first tagging set aside and no release wrote back (the owner's tags had changed, or the set
   * would not fit): kept until a person clears them (row 16q), never written back by Firebreak (sorted by key).
   */
  readonly earlierSetAsideTags?: readonly ObjectTag[];
  /** The owner's tags the write that set them aside left on the object: release writes them back only while the object's are still these. */
  readonly leftTags?: readonly ObjectTag[];
  /**
   * The upload the claims are on (the version `null`'s ETag, claimETagOf), when a claim named one: a release takes the tags off
   * only while it is the upload in S3 now (row 16w).
   */
  readonly objectETag?: string;
}

/**
 * The owner's tags a quarantine's write takes off to make room (planInfectedTags), recorded by its claim, before the write:
 * a crash after the write loses none. `fresh`: the object carried none of Firebreak's tags when read (a first tagging), so a
 * record of an earlier quarantine of the version is replaced; otherwise the tags set aside now join the ones set aside then.
 */
export interface TagRoom {
  readonly setAside: readonly ObjectTag[];
  readonly left: readonly ObjectTag[];
  readonly fresh: boolean;
}

/** What a release's take-back found: done (the claims left after it), or a claim made after the release was cleared. */
export type TakeBackAnswer = { readonly kind: 'taken-back'; readonly left: ObjectVersionClaims } | { readonly kind: 'claimed-since'; readonly claims: ObjectVersionClaims };

/**
 * What a claim found: whether the incident held the version already (an earlier run of it claimed, and no release of it
 * took that back) and a run of it claimed to write the tags: a run that found them on (its uploader's) wrote none.
 */
export interface ClaimAnswer {
  readonly taggedAlready: boolean;
  /** The owner's tags earlier taggings set aside that the record gave up to take this claim within its bound (row 16s): the alert names them. */
  readonly droppedSetAsideTags?: readonly ObjectTag[];
}

export interface S3ObjectClaims {
  /** Claims the version for `incidentKey` at `at` (ISO 8601), `toTag` when the run writes the tags next; a claim it already holds is held again. */
  claim(object: ClaimedObject, incidentKey: string, at: string, toTag: boolean, room?: TagRoom): Promise<ClaimAnswer>;
  /**
   * Takes back `incidentKey`'s claim, unless the version was claimed at or after `clearedAt` (the
   * containment guard's grant time of the release): `claimed-since` then, and nothing is written.
   */
  takeBack(object: ClaimedObject, incidentKey: string, clearedAt: string): Promise<TakeBackAnswer>;
  /** The claims now (a consistent read); none when there is no item. */
  get(object: ClaimedObject): Promise<ObjectVersionClaims>;
  /**
   * Takes the set-aside tags a release wrote back out of the record, with the left tags they went with, only while the last
   * claim is still `lastClaimAt` (the take-back's): false when a claim came since (they stay; its quarantine set them aside again).
   */
  forgetRestored(object: ClaimedObject, restored: readonly ObjectTag[], lastClaimAt: string | undefined): Promise<boolean>;
}

/**
 * The most set-aside tags the record keeps (each entry at most about 1.6 KB: a 128-character key and a 256-character value
 * in UTF-8, https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-tagging.html), far below DynamoDB's 400 KB item.
 * A claim that would pass it keeps only its own (the record's others are given up, and named in the step's alert): never a
 * claim refused, since every upload to a key in a bucket without versioning is the one version `null`, each one scanned
 * (https://docs.aws.amazon.com/guardduty/latest/ug/gdu-malware-protection-s3.html), and its uploader could otherwise fill
 * the record and keep the next upload untagged (row 16s).
 */
export const SET_ASIDE_RECORD_LIMIT = 64;

/**
 * The version id of one of the versions S3 keeps of an object (pure), or undefined: for none and for `null`, S3's id of the
 * one version in a bucket without versioning (a scan result may name it, `firebreak release` without --version-id names
 * none), which are one version, as for the containment guard's grant (malwareObjectGrantTarget).
 */
export const keptVersionId = (versionId: string | undefined): string | undefined => (versionId === 'null' ? undefined : versionId);

/**
 * The upload a claim is on (pure): its ETag on the one version `null` (a bucket without versioning, or with versioning
 * suspended), whose every upload replaces the object and its tags; none for a version S3 keeps (its content never changes, so
 * every claim of it is on the same upload) and for a scan result that names no ETag.
 *
 * A claim of another upload retires the claims of the upload before (row 16u), and this can never let a release untag an
 * upload another incident holds: the claimant that retires them is in the claims itself (a release takes the infected tag
 * off only when no claim is left), and a release of an earlier upload's incident takes back its own claim only. A late claim
 * of an upload replaced in between retires the current upload's claims and keeps the object tagged for itself; a release
 * (which names no ETag: `firebreak release`) then takes the tags off only while `objectETag` is the upload in S3 now
 * (release-s3-object.ts, row 16w): more tagged, never less. A retry of the same incident is on the same upload (its key holds the ETag), so it keeps
 * taggedBy and finds its tag write.
 */
export const claimETagOf = (object: ClaimedObject): string | undefined => (keptVersionId(object.versionId) === undefined ? object.eTag : undefined);

/** The partition key of an object version's claims: a release must read its quarantine's claims, whichever way each names the version. */
export const s3ObjectClaimKey = (object: ClaimedObject): string =>
  `${STATE_KEY_PREFIX.s3ObjectClaim}${sha256Hex(JSON.stringify([object.account, object.region, object.bucketName, keptVersionId(object.versionId) ?? null, object.key]))}`;

/** The incident that holds the version for its tags: the last claimant while it still holds it, else the first holder. */
export function holderOf(claims: ObjectVersionClaims): string | undefined {
  if (claims.lastClaimBy !== undefined && claims.claims.includes(claims.lastClaimBy)) return claims.lastClaimBy;
  return claims.claims[0];
}

const NO_CLAIMS: ObjectVersionClaims = { claims: [], releasedClaims: [] };

/** A tag as the record stores it: a JSON pair, so that any key and value (the uploader's text) is stored as it is. */
const tagEntry = (tag: ObjectTag): string => JSON.stringify([tag.Key, tag.Value]);

/** Stored pairs read back, each only when it is one (a stored item is a claim), sorted by key. */
function tagsOf(entries: readonly string[]): ObjectTag[] {
  return entries
    .map((entry) => {
      try {
        const [key, value, ...more] = JSON.parse(entry) as unknown[];
        return typeof key === 'string' && key !== '' && typeof value === 'string' && more.length === 0 ? { Key: key, Value: value } : undefined;
      } catch {
        return undefined;
      }
    })
    .filter((tag) => tag !== undefined)
    .sort(byKey);
}

/** A string set of a stored item, each entry read only when of its type (a stored item is a claim). */
const setOf = (value: AttributeValue | undefined): string[] => (value?.SS ?? []).filter((entry) => entry.length > 0).sort();

/**
 * The record's tags set aside and left (none read: release then writes nothing back). An entry that is not a pair is not read,
 * so the left tags it was one of never equal the object's, and nothing is written back. `setAsideTags` holds every tag set
 * aside and not written back; `lastSetAsideTags` the last first tagging's (undefined: a record from before row 16q, whose
 * set-aside tags are the last tagging's while it has left tags), the others are earlier ones.
 */
function setAsideOf(setAside: readonly string[], last: readonly string[] | undefined, left: readonly string[]): Pick<ObjectVersionClaims, 'setAsideTags' | 'earlierSetAsideTags' | 'leftTags'> {
  const latest = last === undefined ? (left.length > 0 ? setAside : []) : setAside.filter((entry) => last.includes(entry));
  const setAsideTags = tagsOf(latest);
  const earlierSetAsideTags = tagsOf(setAside.filter((entry) => !latest.includes(entry)));
  return { ...(setAsideTags.length > 0 ? { setAsideTags } : {}), ...(earlierSetAsideTags.length > 0 ? { earlierSetAsideTags } : {}), ...(left.length > 0 ? { leftTags: tagsOf(left) } : {}) };
}

/**
 * The claim's answer from the item before it: `taggedBy` holds the incidents a run of which claimed the version to write
 * its tags (a claim precedes every tag write); a run that found them on claimed without, so its retry finds no tag write.
 */
const claimAnswerOf = (claims: readonly string[], taggedBy: readonly string[], incidentKey: string): ClaimAnswer => ({ taggedAlready: claims.includes(incidentKey) && taggedBy.includes(incidentKey) });

/** The claims an item holds (each field read only when of its type: a stored item is a claim). */
function claimsOf(item: Record<string, AttributeValue> | undefined): ObjectVersionClaims {
  if (item === undefined) return NO_CLAIMS;
  return {
    claims: setOf(item.claims),
    releasedClaims: setOf(item.releasedClaims),
    ...(item.lastClaimAt?.S !== undefined ? { lastClaimAt: item.lastClaimAt.S } : {}),
    ...(item.lastClaimBy?.S !== undefined ? { lastClaimBy: item.lastClaimBy.S } : {}),
    ...setAsideOf(setOf(item.setAsideTags), item.lastSetAsideTags === undefined ? undefined : setOf(item.lastSetAsideTags), setOf(item.leftTags)),
    ...(item.objectETag?.S !== undefined ? { objectETag: item.objectETag.S } : {}),
  };
}

/**
 * The claim's update of the tags set aside: with some, `leftTags` and the tags, always joined to the record's (`setAsideTags`:
 * an earlier quarantine's that no release wrote back are the owner's, and stay; row 16q), and as the last tagging's
 * (`lastSetAsideTags`: replacing an earlier quarantine's on a first tagging, joining them otherwise), while the record keeps
 * at most SET_ASIDE_RECORD_LIMIT; a first tagging with room, `leftTags` and `lastSetAsideTags` removed, so that release never
 * writes an earlier quarantine's set-aside tags onto an object whose tags it did not leave (they stay in the record for a person).
 */
function roomUpdate(room: TagRoom | undefined): { readonly set: string; readonly add: string; readonly remove: string; readonly values: Record<string, AttributeValue>; readonly bounded: boolean } {
  if (room === undefined || (room.setAside.length === 0 && !room.fresh)) return { set: '', add: '', remove: '', values: {}, bounded: false };
  if (room.setAside.length === 0) return { set: '', add: '', remove: ' REMOVE leftTags, lastSetAsideTags', values: {}, bounded: false };
  const values = { ...roomValues(room), ':most': { N: String(SET_ASIDE_RECORD_LIMIT - room.setAside.length) } };
  return { set: `, leftTags = :left${room.fresh ? ', lastSetAsideTags = :aside' : ''}`, add: `, setAsideTags :aside${room.fresh ? '' : ', lastSetAsideTags :aside'}`, remove: '', values, bounded: true };
}

/** The tags a claim records, as its update's values: set aside (`:aside`) and left on the object (`:left`). */
const roomValues = (room: TagRoom): Record<string, AttributeValue> => ({ ':aside': { SS: room.setAside.map(tagEntry) }, ':left': { SS: room.left.map(tagEntry) } });

/** The claim at the record's bound: only this tagging's set-aside tags are kept (the others are given up; row 16s). */
const resetUpdate = (room: TagRoom): { readonly set: string; readonly add: string; readonly remove: string; readonly values: Record<string, AttributeValue> } => ({
  set: ', leftTags = :left, setAsideTags = :aside, lastSetAsideTags = :aside',
  add: '',
  remove: '',
  values: roomValues(room),
});

/** The record's set-aside entries a claim at the bound gave up (not this tagging's), read back as tags. */
const droppedOf = (before: readonly string[], room: TagRoom): Pick<ClaimAnswer, 'droppedSetAsideTags'> => {
  const aside = room.setAside.map(tagEntry);
  const dropped = tagsOf(before.filter((entry) => !aside.includes(entry)));
  return dropped.length > 0 ? { droppedSetAsideTags: dropped } : {};
};

/**
 * The state table the stores below share. One class per step (the quarantine claims, the release
 * and the guard read and take back), so that a Lambda's bundle carries only the calls it makes
 * (docs/architecture.md, "Lean Lambda bundles").
 */
class DynamoDbS3ObjectClaimTable {
  constructor(
    protected readonly client: DynamoDBClient,
    protected readonly tableName: string,
  ) {}
}

/** The condition that the item's claims are on `eTag`'s upload (or on none yet): another upload's are retired first (claimETagOf). */
const SAME_UPLOAD = 'attribute_not_exists(objectETag) OR objectETag = :etag';
/** The condition of the record's bound (SET_ASIDE_RECORD_LIMIT): size() of a string set is its number of entries. */
const WITHIN_BOUND = 'attribute_not_exists(setAsideTags) OR size(setAsideTags) <= :most';
/** How many times a claim retires another upload's claims before it gives up (uploads racing the claim): the state machine retries the step. */
const CLAIM_ATTEMPTS = 3;

/** What one claim attempt found: the answer, or the item on another upload's claims (to retire), or another writer in between. */
type ClaimAttempt = { readonly kind: 'claimed'; readonly answer: ClaimAnswer } | { readonly kind: 'other-upload' } | { readonly kind: 'raced' };

/** The state-table store of quarantine-s3-object: it claims, and never reads or takes back. */
export class DynamoDbS3ObjectClaimer extends DynamoDbS3ObjectClaimTable implements Pick<S3ObjectClaims, 'claim'> {
  async claim(object: ClaimedObject, incidentKey: string, at: string, toTag: boolean, room?: TagRoom): Promise<ClaimAnswer> {
    const eTag = claimETagOf(object);
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt += 1) {
      const tried = await this.claimUpload(object, eTag, incidentKey, at, toTag, room);
      if (tried.kind === 'claimed') return tried.answer;
      if (tried.kind === 'other-upload' && eTag !== undefined) await this.retireOtherUpload(object, eTag);
    }
    throw new TransientResponderError(`dynamodb:UpdateItem: the claims of ${s3ObjectClaimKey(object)} changed under each of ${CLAIM_ATTEMPTS} claims (uploads to the key racing): the step is retried`);
  }

  /**
   * Retires the claims of the upload the item holds them for (not `eTag`'s): that upload's object and tags are replaced
   * (claimETagOf). Only while the item is still on another upload; the set-aside tags stay (the owner's: row 16q), and
   * lastClaimAt too, so a release cleared before it still finds the claim that follows. A crash before that claim leaves the
   * item with no claim on the new upload, which this step has not tagged yet.
   */
  private async retireOtherUpload(object: ClaimedObject, eTag: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: s3ObjectClaimKey(object) } },
          UpdateExpression: 'SET objectETag = :etag REMOVE claims, taggedBy, releasedClaims',
          ConditionExpression: 'attribute_exists(objectETag) AND objectETag <> :etag',
          ExpressionAttributeValues: { ':etag': { S: eTag } },
        }),
      );
    } catch (error) {
      // Another claim of this upload retired them first: the next attempt joins its claim.
      if (awsErrorCode(error) !== 'ConditionalCheckFailedException') throw toResponderError(error, 'dynamodb:UpdateItem');
    }
  }

  /** One claim on the item as it holds `eTag`'s upload's claims (any, without an ETag): at the record's bound, its reset. */
  private async claimUpload(object: ClaimedObject, eTag: string | undefined, incidentKey: string, at: string, toTag: boolean, room: TagRoom | undefined): Promise<ClaimAttempt> {
    const update = roomUpdate(room);
    const conditionOf = (bounded: boolean): string | undefined => {
      if (eTag === undefined) return bounded ? WITHIN_BOUND : undefined;
      return bounded ? `(${SAME_UPLOAD}) AND (${WITHIN_BOUND})` : SAME_UPLOAD;
    };
    const send = (next: Omit<ReturnType<typeof roomUpdate>, 'bounded'>, bounded: boolean) => {
      const condition = conditionOf(bounded);
      return this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: s3ObjectClaimKey(object) } },
          // A claim taken back earlier is held again: this incident contains the version anew.
          // taggedBy: a run that found the tags on claims without it, so that its retry (or a rescan) finds no tag write of
          // Firebreak's: a claim alone is no tag write (the uploader can preset the incident's tags; row 16j).
          // The owner's tags set aside to make room are written here, before the tag write that takes them off (TagRoom).
          // objectETag: the upload the claims are on (claimETagOf), only when the scan names one.
          UpdateExpression: `SET lastClaimAt = :at, lastClaimBy = :incident${eTag !== undefined ? ', objectETag = :etag' : ''}${next.set} ADD claims :incidents${toTag ? ', taggedBy :incidents' : ''}${next.add} DELETE releasedClaims :incidents${next.remove}`,
          ...(condition !== undefined ? { ConditionExpression: condition } : {}),
          ExpressionAttributeValues: { ':at': { S: at }, ':incident': { S: incidentKey }, ':incidents': { SS: [incidentKey] }, ...(eTag !== undefined ? { ':etag': { S: eTag } } : {}), ...next.values },
          // The item before this claim (taggedBy too, which a claim without it does not update).
          ReturnValues: 'ALL_OLD',
          // Which condition failed: the item on another upload's claims (objectETag), or the record's bound. The item as it was
          // then comes in the error (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html).
          ...(eTag !== undefined ? { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const } : {}),
        }),
      );
    };
    /** The item a failed condition answered with is on another upload's claims. */
    const onOtherUpload = (error: unknown): boolean => {
      const held = itemOfConditionFailure(error)?.objectETag;
      return eTag !== undefined && held !== undefined && held.S !== eTag;
    };
    try {
      const output = await send(update, update.bounded);
      return { kind: 'claimed', answer: claimAnswerOf(setOf(output.Attributes?.claims), setOf(output.Attributes?.taggedBy), incidentKey) };
    } catch (error) {
      if (awsErrorCode(error) !== 'ConditionalCheckFailedException') throw toResponderError(error, 'dynamodb:UpdateItem');
      if (onOtherUpload(error)) return { kind: 'other-upload' };
      if (!update.bounded || room === undefined) return { kind: 'raced' };
    }
    // At the bound: the claim (and the containment) is never refused; the record keeps this tagging's set-aside tags only,
    // and the ones it gave up are the item's before this write (ALL_OLD), named in the step's alert (row 16s).
    try {
      const output = await send(resetUpdate(room), false);
      return { kind: 'claimed', answer: { ...claimAnswerOf(setOf(output.Attributes?.claims), setOf(output.Attributes?.taggedBy), incidentKey), ...droppedOf(setOf(output.Attributes?.setAsideTags), room) } };
    } catch (error) {
      if (awsErrorCode(error) !== 'ConditionalCheckFailedException') throw toResponderError(error, 'dynamodb:UpdateItem');
      return onOtherUpload(error) ? { kind: 'other-upload' } : { kind: 'raced' };
    }
  }
}

/** The state-table reads of the claims (the containment guard's release check). */
export class DynamoDbS3ObjectClaimReader extends DynamoDbS3ObjectClaimTable implements Pick<S3ObjectClaims, 'get'> {
  async get(object: ClaimedObject): Promise<ObjectVersionClaims> {
    try {
      const { Item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: s3ObjectClaimKey(object) } }, ConsistentRead: true }));
      return claimsOf(Item);
    } catch (error) {
      throw toResponderError(error, 'dynamodb:GetItem');
    }
  }
}

/** The state-table store of release-s3-object: it reads and takes back, and never claims. */
export class DynamoDbS3ObjectReleaseClaims extends DynamoDbS3ObjectClaimReader implements Pick<S3ObjectClaims, 'get' | 'takeBack' | 'forgetRestored'> {
  async forgetRestored(object: ClaimedObject, restored: readonly ObjectTag[], lastClaimAt: string | undefined): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: s3ObjectClaimKey(object) } },
          // After the tag write that put them back (a crash in between leaves them in the record, never lost). The left tags go
          // too: the object's tags are no longer the ones that tagging left, and no earlier set-aside tag is written back.
          UpdateExpression: 'DELETE setAsideTags :restored REMOVE leftTags, lastSetAsideTags',
          // A claim since the take-back may have set the same tags aside again (and recorded them): they then stay.
          ConditionExpression: lastClaimAt === undefined ? 'attribute_not_exists(lastClaimAt)' : 'lastClaimAt = :at',
          ExpressionAttributeValues: { ':restored': { SS: restored.map(tagEntry) }, ...(lastClaimAt === undefined ? {} : { ':at': { S: lastClaimAt } }) },
        }),
      );
      return true;
    } catch (error) {
      if (awsErrorCode(error) === 'ConditionalCheckFailedException') return false;
      throw toResponderError(error, 'dynamodb:UpdateItem');
    }
  }

  async takeBack(object: ClaimedObject, incidentKey: string, clearedAt: string): Promise<TakeBackAnswer> {
    try {
      const output = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: s3ObjectClaimKey(object) } },
          UpdateExpression: 'DELETE claims :incidents ADD releasedClaims :incidents',
          // Only while nobody claimed the version since the release was cleared: a later claim (a
          // rescan of this incident, another incident) was not what the approver was asked about.
          // ISO 8601 times in UTC compare as strings.
          ConditionExpression: 'attribute_not_exists(lastClaimAt) OR lastClaimAt < :clearedAt',
          ExpressionAttributeValues: { ':incidents': { SS: [incidentKey] }, ':clearedAt': { S: clearedAt } },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { kind: 'taken-back', left: claimsOf(output.Attributes) };
    } catch (error) {
      if (awsErrorCode(error) === 'ConditionalCheckFailedException') return { kind: 'claimed-since', claims: claimsOf(itemOfConditionFailure(error)) };
      throw toResponderError(error, 'dynamodb:UpdateItem');
    }
  }
}

/** The state-table store of every call (the game day runs both steps in one process). */
export class DynamoDbS3ObjectClaims extends DynamoDbS3ObjectReleaseClaims implements S3ObjectClaims {
  private readonly claimer = new DynamoDbS3ObjectClaimer(this.client, this.tableName);

  claim(object: ClaimedObject, incidentKey: string, at: string, toTag: boolean, room?: TagRoom): Promise<ClaimAnswer> {
    return this.claimer.claim(object, incidentKey, at, toTag, room);
  }
}

/** In-process store with the same semantics (tests). */
export class InMemoryS3ObjectClaims implements S3ObjectClaims {
  readonly items = new Map<
    string,
    { claims: Set<string>; releasedClaims: Set<string>; taggedBy: Set<string>; objectETag?: string; lastClaimAt?: string; lastClaimBy?: string; setAsideTags?: Set<string>; lastSetAsideTags?: Set<string>; leftTags?: string[] }
  >();

  async claim(object: ClaimedObject, incidentKey: string, at: string, toTag: boolean, room?: TagRoom): Promise<ClaimAnswer> {
    const item = this.itemOf(object);
    // Another upload's claims are retired first (retireOtherUpload); the set-aside tags stay.
    const eTag = claimETagOf(object);
    if (eTag !== undefined && item.objectETag !== undefined && item.objectETag !== eTag) {
      item.claims.clear();
      item.taggedBy.clear();
      item.releasedClaims.clear();
    }
    if (eTag !== undefined) item.objectETag = eTag;
    const answer = claimAnswerOf([...item.claims], [...item.taggedBy], incidentKey);
    // A first tagging with room retires an earlier quarantine's left tags (roomUpdate's REMOVE).
    if (room !== undefined && room.fresh && room.setAside.length === 0) {
      delete item.leftTags;
      delete item.lastSetAsideTags;
    }
    let dropped: Pick<ClaimAnswer, 'droppedSetAsideTags'> = {};
    if (room !== undefined && room.setAside.length > 0) {
      const aside = room.setAside.map(tagEntry);
      item.leftTags = room.left.map(tagEntry);
      if ((item.setAsideTags?.size ?? 0) > SET_ASIDE_RECORD_LIMIT - room.setAside.length) {
        dropped = droppedOf([...(item.setAsideTags ?? [])], room);
        item.setAsideTags = new Set(aside);
        item.lastSetAsideTags = new Set(aside);
      } else {
        item.setAsideTags = new Set([...(item.setAsideTags ?? []), ...aside]);
        item.lastSetAsideTags = new Set([...(room.fresh ? [] : (item.lastSetAsideTags ?? [])), ...aside]);
      }
    }
    item.claims.add(incidentKey);
    if (toTag) item.taggedBy.add(incidentKey);
    item.releasedClaims.delete(incidentKey);
    item.lastClaimAt = at;
    item.lastClaimBy = incidentKey;
    return { ...answer, ...dropped };
  }

  async takeBack(object: ClaimedObject, incidentKey: string, clearedAt: string): Promise<TakeBackAnswer> {
    const item = this.itemOf(object);
    if (item.lastClaimAt !== undefined && !(item.lastClaimAt < clearedAt)) return { kind: 'claimed-since', claims: this.read(object) };
    item.claims.delete(incidentKey);
    item.releasedClaims.add(incidentKey);
    return { kind: 'taken-back', left: this.read(object) };
  }

  async get(object: ClaimedObject): Promise<ObjectVersionClaims> {
    return this.read(object);
  }

  async forgetRestored(object: ClaimedObject, restored: readonly ObjectTag[], lastClaimAt: string | undefined): Promise<boolean> {
    const item = this.itemOf(object);
    if (item.lastClaimAt !== lastClaimAt) return false;
    for (const tag of restored) item.setAsideTags?.delete(tagEntry(tag));
    delete item.leftTags;
    delete item.lastSetAsideTags;
    return true;
  }

  private read(object: ClaimedObject): ObjectVersionClaims {
    const item = this.items.get(s3ObjectClaimKey(object));
    if (item === undefined) return NO_CLAIMS;
    return {
      claims: [...item.claims].sort(),
      releasedClaims: [...item.releasedClaims].sort(),
      ...(item.lastClaimAt !== undefined ? { lastClaimAt: item.lastClaimAt } : {}),
      ...(item.lastClaimBy !== undefined ? { lastClaimBy: item.lastClaimBy } : {}),
      ...setAsideOf([...(item.setAsideTags ?? [])].sort(), item.lastSetAsideTags === undefined ? undefined : [...item.lastSetAsideTags], item.leftTags ?? []),
      ...(item.objectETag !== undefined ? { objectETag: item.objectETag } : {}),
    };
  }

  private itemOf(object: ClaimedObject) {
    const pk = s3ObjectClaimKey(object);
    let item = this.items.get(pk);
    if (item === undefined) {
      item = { claims: new Set(), releasedClaims: new Set(), taggedBy: new Set() };
      this.items.set(pk, item);
    }
    return item;
  }
}
