/**
 * DynamoDbS3ObjectClaims against the state table (aws-sdk-client-mock): the exact UpdateItem and
 * GetItem quarantine-s3-object and release-s3-object send (their roles may touch only `s3claim#`
 * keys, a digest of the account, Region, bucket, version and key: the uploader's key text, up to
 * 1,024 bytes, is never part of the partition key), a take-back refused when the version was claimed
 * at or after the release's clearance, and a stored item's fields read only when of their type.
 * The same calls against the simulated DynamoDB, which evaluates the conditions: s3-object-claims-sim.test.ts.
 */
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { TransientResponderError } from '../../lib/contracts/responder-errors';
import { DynamoDbS3ObjectClaims, InMemoryS3ObjectClaims, claimETagOf, holderOf, s3ObjectClaimKey } from '../../lib/responders/s3-object-claims';
import type { ClaimedObject } from '../../lib/responders/s3-object-claims';
import { inputsOf, sdkError } from './quarantine-fixtures';

const ddbMock = mockClient(DynamoDBClient);
const claims = new DynamoDbS3ObjectClaims(new DynamoDBClient({ region: 'eu-west-1' }), 'state');
const OBJECT: ClaimedObject = { account: '111122223333', region: 'eu-west-1', bucketName: 'acme-customer-uploads', key: 'incoming/2026/03/invoice-4471.pdf', versionId: 'Rb4kBsH0hZ6bB.7Yx_3yEXAMPLE' };
/** SHA-256 of ["111122223333","eu-west-1","acme-customer-uploads","Rb4kBsH0hZ6bB.7Yx_3yEXAMPLE","incoming/2026/03/invoice-4471.pdf"]. */
const PK = 's3claim#c361b91d9bf0df13c5ad39d56d17d5a616483cf49afb463460d43dfe131c1199';
const A = 's3scan-a';
const B = 's3scan-b';

afterEach(() => ddbMock.reset());

describe('s3ObjectClaimKey', () => {
  it('is a digest of the account, Region, bucket, version and key: one item per object version, whatever the key’s length', () => {
    expect(s3ObjectClaimKey(OBJECT)).toBe(PK);
    // An unversioned object is the version `null`; the longest key still makes a 72-character partition key.
    expect(s3ObjectClaimKey({ ...OBJECT, versionId: undefined })).toBe('s3claim#51ee54906df96644d5a53e4ceaae4574c0c4bb052e2138e61234a1828d384dc5');
    // ATTACK (review-s3b): S3's id of that one version, which a scan result may name, is the same version (as in the guard's grant target).
    expect(s3ObjectClaimKey({ ...OBJECT, versionId: 'null' })).toBe('s3claim#51ee54906df96644d5a53e4ceaae4574c0c4bb052e2138e61234a1828d384dc5');
    expect(s3ObjectClaimKey({ ...OBJECT, key: 'k'.repeat(1024) })).toHaveLength(8 + 64);
    expect(s3ObjectClaimKey({ ...OBJECT, versionId: 'other' })).not.toBe(PK);
    expect(s3ObjectClaimKey({ ...OBJECT, region: 'us-east-1' })).not.toBe(PK);
  });
});

describe('DynamoDbS3ObjectClaims', () => {
  it('claims with one UpdateItem: the incident added, its earlier take-back undone, the time and incident of the last claim', async () => {
    ddbMock
      .on(UpdateItemCommand)
      .resolvesOnce({})
      .resolvesOnce({ Attributes: { claims: { SS: [B] }, taggedBy: { SS: [A, B] } } })
      .resolvesOnce({ Attributes: { claims: { SS: [A, B] }, taggedBy: { SS: [A] }, lastClaimAt: { S: '2026-03-25T09:19:00.000Z' } } });
    // Whether a run of the incident claimed the version to tag it and holds it still: the item before this claim (ALL_OLD), none for a new item.
    expect(await claims.claim(OBJECT, A, '2026-03-25T09:20:00.000Z', true)).toEqual({ taggedAlready: false });
    expect(await claims.claim(OBJECT, A, '2026-03-25T09:20:00.000Z', true)).toEqual({ taggedAlready: false });
    expect(await claims.claim(OBJECT, A, '2026-03-25T09:20:00.000Z', true)).toEqual({ taggedAlready: true });
    expect(inputsOf(ddbMock, UpdateItemCommand)[0]).toEqual({
      TableName: 'state',
      Key: { pk: { S: PK } },
      UpdateExpression: 'SET lastClaimAt = :at, lastClaimBy = :incident ADD claims :incidents, taggedBy :incidents DELETE releasedClaims :incidents',
      ExpressionAttributeValues: { ':at': { S: '2026-03-25T09:20:00.000Z' }, ':incident': { S: A }, ':incidents': { SS: [A] } },
      ReturnValues: 'ALL_OLD',
    });
  });

  it('ATTACK (review-s3b): a claim of a run that found the tags on (writes none) is not recorded as a tag write: its retry answers not tagged by the incident', async () => {
    ddbMock.on(UpdateItemCommand).resolvesOnce({}).resolvesOnce({ Attributes: { claims: { SS: [A] } } }).resolvesOnce({ Attributes: { claims: { SS: [A] }, taggedBy: { SS: [B] } } });
    expect(await claims.claim(OBJECT, A, '2026-03-25T09:20:00.000Z', false)).toEqual({ taggedAlready: false });
    // Claimed by A before (a run that found the tags on, or a version of Firebreak before taggedBy): no tag write of A's recorded.
    expect(await claims.claim(OBJECT, A, '2026-03-25T09:21:00.000Z', false)).toEqual({ taggedAlready: false });
    expect(await claims.claim(OBJECT, A, '2026-03-25T09:22:00.000Z', false)).toEqual({ taggedAlready: false });
    expect(inputsOf(ddbMock, UpdateItemCommand)[0]).toEqual({
      TableName: 'state',
      Key: { pk: { S: PK } },
      UpdateExpression: 'SET lastClaimAt = :at, lastClaimBy = :incident ADD claims :incidents DELETE releasedClaims :incidents',
      ExpressionAttributeValues: { ':at': { S: '2026-03-25T09:20:00.000Z' }, ':incident': { S: A }, ':incidents': { SS: [A] } },
      ReturnValues: 'ALL_OLD',
    });
  });

  it('takes a claim back only while no claim was made since the release was cleared, and answers the claims left', async () => {
    ddbMock.on(UpdateItemCommand).resolves({ Attributes: { pk: { S: PK }, claims: { SS: [B] }, releasedClaims: { SS: [A] }, lastClaimAt: { S: '2026-03-25T09:21:00.000Z' }, lastClaimBy: { S: B } } });
    const answer = await claims.takeBack(OBJECT, A, '2026-03-25T10:00:00.000Z');
    expect(answer).toEqual({ kind: 'taken-back', left: { claims: [B], releasedClaims: [A], lastClaimAt: '2026-03-25T09:21:00.000Z', lastClaimBy: B } });
    expect(inputsOf(ddbMock, UpdateItemCommand)).toEqual([
      {
        TableName: 'state',
        Key: { pk: { S: PK } },
        UpdateExpression: 'DELETE claims :incidents ADD releasedClaims :incidents',
        ConditionExpression: 'attribute_not_exists(lastClaimAt) OR lastClaimAt < :clearedAt',
        ExpressionAttributeValues: { ':incidents': { SS: [A] }, ':clearedAt': { S: '2026-03-25T10:00:00.000Z' } },
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    ]);
  });

  it('answers claimed-since with the item as it is when the condition fails, and leaves every other error to the state machine', async () => {
    ddbMock.on(UpdateItemCommand).rejects(Object.assign(sdkError('ConditionalCheckFailedException'), { Item: { claims: { SS: [A] }, lastClaimAt: { S: '2026-03-25T10:05:00.000Z' }, lastClaimBy: { S: A } } }));
    expect(await claims.takeBack(OBJECT, A, '2026-03-25T10:00:00.000Z')).toEqual({ kind: 'claimed-since', claims: { claims: [A], releasedClaims: [], lastClaimAt: '2026-03-25T10:05:00.000Z', lastClaimBy: A } });
    ddbMock.reset();
    ddbMock.on(UpdateItemCommand).rejects(sdkError('ProvisionedThroughputExceededException'));
    await expect(claims.takeBack(OBJECT, A, '2026-03-25T10:00:00.000Z')).rejects.toBeInstanceOf(TransientResponderError);
    await expect(claims.claim(OBJECT, A, '2026-03-25T10:00:00.000Z', true)).rejects.toBeInstanceOf(TransientResponderError);
  });

  it('reads the claims with a consistent GetItem; no item is no claim, and a field of another type is no field', async () => {
    ddbMock.on(GetItemCommand).resolvesOnce({}).resolvesOnce({ Item: { pk: { S: PK }, claims: { S: A }, releasedClaims: { SS: [B] }, lastClaimAt: { N: '1' }, lastClaimBy: { S: A } } });
    expect(await claims.get(OBJECT)).toEqual({ claims: [], releasedClaims: [] });
    expect(await claims.get(OBJECT)).toEqual({ claims: [], releasedClaims: [B], lastClaimBy: A });
    expect(inputsOf(ddbMock, GetItemCommand)).toEqual([
      { TableName: 'state', Key: { pk: { S: PK } }, ConsistentRead: true },
      { TableName: 'state', Key: { pk: { S: PK } }, ConsistentRead: true },
    ]);
  });
});

describe('the owner’s tags set aside to make room (row 16n)', () => {
  const NINE = { Key: 'note-9', Value: 'see www.evil.example/x' };
  const EIGHT = { Key: 'note-8', Value: 'i' };
  const LEFT = [{ Key: 'note-1', Value: 'b' }, { Key: 'note-0', Value: 'a' }];

  it('ATTACK (s3-tag-room): records them in full with the claim, before the tag write: as the last tagging’s, replacing an earlier record’s on a first tagging, joining it otherwise', async () => {
    ddbMock.on(UpdateItemCommand).resolves({});
    await claims.claim(OBJECT, A, '2026-03-25T09:20:00.000Z', true, { setAside: [EIGHT, NINE], left: LEFT, fresh: true });
    await claims.claim(OBJECT, B, '2026-03-25T09:21:00.000Z', true, { setAside: [NINE], left: LEFT, fresh: false });
    const aside = { ':aside': { SS: ['["note-8","i"]', '["note-9","see www.evil.example/x"]'] }, ':left': { SS: ['["note-1","b"]', '["note-0","a"]'] }, ':most': { N: '62' } };
    // Every tagging's joins the record's set-aside tags (never replaces them: row 16q), which holds 64 at most.
    const bound = 'attribute_not_exists(setAsideTags) OR size(setAsideTags) <= :most';
    expect(inputsOf(ddbMock, UpdateItemCommand)).toEqual([
      {
        TableName: 'state',
        Key: { pk: { S: PK } },
        UpdateExpression: 'SET lastClaimAt = :at, lastClaimBy = :incident, leftTags = :left, lastSetAsideTags = :aside ADD claims :incidents, taggedBy :incidents, setAsideTags :aside DELETE releasedClaims :incidents',
        ConditionExpression: bound,
        ExpressionAttributeValues: { ':at': { S: '2026-03-25T09:20:00.000Z' }, ':incident': { S: A }, ':incidents': { SS: [A] }, ...aside },
        ReturnValues: 'ALL_OLD',
      },
      {
        TableName: 'state',
        Key: { pk: { S: PK } },
        UpdateExpression: 'SET lastClaimAt = :at, lastClaimBy = :incident, leftTags = :left ADD claims :incidents, taggedBy :incidents, setAsideTags :aside, lastSetAsideTags :aside DELETE releasedClaims :incidents',
        ConditionExpression: bound,
        ExpressionAttributeValues: { ':at': { S: '2026-03-25T09:21:00.000Z' }, ':incident': { S: B }, ':incidents': { SS: [B] }, ...aside, ':aside': { SS: ['["note-9","see www.evil.example/x"]'] }, ':most': { N: '63' } },
        ReturnValues: 'ALL_OLD',
      },
    ]);
  });

  it('retires the left tags on a first tagging that needs no room (an earlier record is then never written back), and touches neither otherwise', async () => {
    ddbMock.on(UpdateItemCommand).resolves({});
    await claims.claim(OBJECT, A, '2026-03-25T09:20:00.000Z', true, { setAside: [], left: LEFT, fresh: true });
    await claims.claim(OBJECT, A, '2026-03-25T09:21:00.000Z', true, { setAside: [], left: LEFT, fresh: false });
    expect(inputsOf(ddbMock, UpdateItemCommand).map((input) => (input as { UpdateExpression: string }).UpdateExpression)).toEqual([
      'SET lastClaimAt = :at, lastClaimBy = :incident ADD claims :incidents, taggedBy :incidents DELETE releasedClaims :incidents REMOVE leftTags, lastSetAsideTags',
      'SET lastClaimAt = :at, lastClaimBy = :incident ADD claims :incidents, taggedBy :incidents DELETE releasedClaims :incidents',
    ]);
  });

  it('reads them back from the take-back’s item (sorted by key), each entry only when it is a pair of strings (a stored item is a claim)', async () => {
    ddbMock.on(UpdateItemCommand).resolves({
      Attributes: { claims: { SS: [] }, releasedClaims: { SS: [A] }, setAsideTags: { SS: ['["note-9","j"]', '["note-8","i"]', 'not json', '[1,2]', '["",""]'] }, leftTags: { SS: ['["note-0","a"]'] } },
    });
    expect(await claims.takeBack(OBJECT, A, '2026-03-25T10:00:00.000Z')).toEqual({
      kind: 'taken-back',
      left: { claims: [], releasedClaims: [A], setAsideTags: [EIGHT, { Key: 'note-9', Value: 'j' }], leftTags: [{ Key: 'note-0', Value: 'a' }] },
    });
    // Left tags with one entry that is not a pair: that one is not read (the left tags then never equal the object's:
    // release writes nothing back), and left tags of another type are none: without left tags and without the last tagging's
    // (a record from before row 16q), the set-aside tags are an earlier tagging's, never written back.
    ddbMock.on(GetItemCommand).resolvesOnce({ Item: { setAsideTags: { SS: ['["note-9","j"]'] }, leftTags: { SS: ['["note-0","a"]', '["x"]'] } } }).resolvesOnce({ Item: { setAsideTags: { SS: ['["note-9","j"]'] }, leftTags: { S: '[["note-0","a"]]' } } });
    expect(await claims.get(OBJECT)).toEqual({ claims: [], releasedClaims: [], setAsideTags: [{ Key: 'note-9', Value: 'j' }], leftTags: [{ Key: 'note-0', Value: 'a' }] });
    expect(await claims.get(OBJECT)).toEqual({ claims: [], releasedClaims: [], earlierSetAsideTags: [{ Key: 'note-9', Value: 'j' }] });
  });
});

describe('ATTACK (s3-set-aside-kept): set-aside tags no release wrote back, and a later first tagging (row 16q)', () => {
  const NINE = { Key: 'note-9', Value: 'j' };
  const EIGHT = { Key: 'note-8', Value: 'i' };
  const LEFT = [{ Key: 'note-0', Value: 'a' }];

  it('never replaces the record’s set-aside tags: a first tagging joins its own to them and names them the last tagging’s', async () => {
    ddbMock.on(UpdateItemCommand).resolves({});
    await claims.claim(OBJECT, A, '2026-03-25T09:20:00.000Z', true, { setAside: [NINE], left: LEFT, fresh: true });
    await claims.claim(OBJECT, A, '2026-03-25T11:00:00.000Z', true, { setAside: [EIGHT], left: LEFT, fresh: true });
    // Before: `SET ... setAsideTags = :aside` on each first tagging, which dropped note-9 when no release had written it back.
    expect(inputsOf(ddbMock, UpdateItemCommand)[1]).toEqual({
      TableName: 'state',
      Key: { pk: { S: PK } },
      UpdateExpression: 'SET lastClaimAt = :at, lastClaimBy = :incident, leftTags = :left, lastSetAsideTags = :aside ADD claims :incidents, taggedBy :incidents, setAsideTags :aside DELETE releasedClaims :incidents',
      ConditionExpression: 'attribute_not_exists(setAsideTags) OR size(setAsideTags) <= :most',
      ExpressionAttributeValues: {
        ':at': { S: '2026-03-25T11:00:00.000Z' },
        ':incident': { S: A },
        ':incidents': { SS: [A] },
        ':aside': { SS: ['["note-8","i"]'] },
        ':left': { SS: ['["note-0","a"]'] },
        ':most': { N: '63' },
      },
      ReturnValues: 'ALL_OLD',
    });
  });

  it('reads the last tagging’s set-aside tags for release to write back, and the others as earlier ones, never written back', async () => {
    ddbMock.on(GetItemCommand).resolves({ Item: { setAsideTags: { SS: ['["note-8","i"]', '["note-9","j"]'] }, lastSetAsideTags: { SS: ['["note-8","i"]', '["gone","x"]'] }, leftTags: { SS: ['["note-0","a"]'] } } });
    expect(await claims.get(OBJECT)).toEqual({ claims: [], releasedClaims: [], setAsideTags: [EIGHT], earlierSetAsideTags: [NINE], leftTags: LEFT });
  });

  it('takes the tags a release wrote back out of the record, with their left tags, only while no claim came since the take-back', async () => {
    ddbMock.on(UpdateItemCommand).resolvesOnce({}).rejectsOnce(sdkError('ConditionalCheckFailedException')).resolvesOnce({});
    expect(await claims.forgetRestored(OBJECT, [EIGHT], '2026-03-25T11:00:00.000Z')).toBe(true);
    expect(await claims.forgetRestored(OBJECT, [EIGHT], '2026-03-25T11:00:00.000Z')).toBe(false);
    expect(await claims.forgetRestored(OBJECT, [EIGHT, NINE], undefined)).toBe(true);
    expect(inputsOf(ddbMock, UpdateItemCommand)).toEqual([
      {
        TableName: 'state',
        Key: { pk: { S: PK } },
        UpdateExpression: 'DELETE setAsideTags :restored REMOVE leftTags, lastSetAsideTags',
        ConditionExpression: 'lastClaimAt = :at',
        ExpressionAttributeValues: { ':restored': { SS: ['["note-8","i"]'] }, ':at': { S: '2026-03-25T11:00:00.000Z' } },
      },
      {
        TableName: 'state',
        Key: { pk: { S: PK } },
        UpdateExpression: 'DELETE setAsideTags :restored REMOVE leftTags, lastSetAsideTags',
        ConditionExpression: 'lastClaimAt = :at',
        ExpressionAttributeValues: { ':restored': { SS: ['["note-8","i"]'] }, ':at': { S: '2026-03-25T11:00:00.000Z' } },
      },
      {
        TableName: 'state',
        Key: { pk: { S: PK } },
        UpdateExpression: 'DELETE setAsideTags :restored REMOVE leftTags, lastSetAsideTags',
        ConditionExpression: 'attribute_not_exists(lastClaimAt)',
        ExpressionAttributeValues: { ':restored': { SS: ['["note-8","i"]', '["note-9","j"]'] } },
      },
    ]);
  });

  it('ATTACK (review-16q): takes a claim past the record’s bound all the same, keeping only its own set-aside tags and answering the ones the record gave up (row 16s)', async () => {
    ddbMock
      .on(UpdateItemCommand)
      .rejectsOnce(sdkError('ConditionalCheckFailedException'))
      .resolves({ Attributes: { claims: { SS: [B] }, taggedBy: { SS: [B] }, setAsideTags: { SS: ['["note-8","i"]', '["note-9","j"]', '["note-9","x"]'] } } });
    // Before: refused (ResponderFailedError): the quarantine step failed and the object (every upload of an object in a
    // bucket without versioning is one version) stayed untagged.
    expect(await claims.claim(OBJECT, A, '2026-03-25T09:20:00.000Z', true, { setAside: [NINE], left: LEFT, fresh: true })).toEqual({
      taggedAlready: false,
      droppedSetAsideTags: [EIGHT, { Key: 'note-9', Value: 'x' }],
    });
    expect(inputsOf(ddbMock, UpdateItemCommand)[1]).toEqual({
      TableName: 'state',
      Key: { pk: { S: PK } },
      UpdateExpression: 'SET lastClaimAt = :at, lastClaimBy = :incident, leftTags = :left, setAsideTags = :aside, lastSetAsideTags = :aside ADD claims :incidents, taggedBy :incidents DELETE releasedClaims :incidents',
      ExpressionAttributeValues: {
        ':at': { S: '2026-03-25T09:20:00.000Z' },
        ':incident': { S: A },
        ':incidents': { SS: [A] },
        ':aside': { SS: ['["note-9","j"]'] },
        ':left': { SS: ['["note-0","a"]'] },
      },
      ReturnValues: 'ALL_OLD',
    });
  });
});

describe('ATTACK (s3-claims-growth): the claims of one upload of the version null (row 16u)', () => {
  /** The object of a bucket without versioning: every upload to the key is this one version. */
  const UNVERSIONED: ClaimedObject = { ...OBJECT, versionId: undefined };
  const UNVERSIONED_PK = 's3claim#51ee54906df96644d5a53e4ceaae4574c0c4bb052e2138e61234a1828d384dc5';
  const FIRST = '44d88612fea8a8f36de82e1278abb02f';
  const SECOND = '5d41402abc4b2a76b9719d911017c592';
  const claimOf = (incident: string, eTag: string, extra: { readonly set?: string; readonly condition?: string; readonly values?: Record<string, unknown> } = {}) => ({
    TableName: 'state',
    Key: { pk: { S: UNVERSIONED_PK } },
    UpdateExpression: `SET lastClaimAt = :at, lastClaimBy = :incident, objectETag = :etag${extra.set ?? ''} ADD claims :incidents, taggedBy :incidents DELETE releasedClaims :incidents`,
    ConditionExpression: extra.condition ?? 'attribute_not_exists(objectETag) OR objectETag = :etag',
    ExpressionAttributeValues: { ':at': { S: '2026-03-25T09:20:00.000Z' }, ':incident': { S: incident }, ':incidents': { SS: [incident] }, ':etag': { S: eTag }, ...extra.values },
    ReturnValues: 'ALL_OLD',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  });
  const retireOf = (eTag: string) => ({
    TableName: 'state',
    Key: { pk: { S: UNVERSIONED_PK } },
    UpdateExpression: 'SET objectETag = :etag REMOVE claims, taggedBy, releasedClaims',
    ConditionExpression: 'attribute_exists(objectETag) AND objectETag <> :etag',
    ExpressionAttributeValues: { ':etag': { S: eTag } },
  });
  const onUpload = (eTag: string) => Object.assign(sdkError('ConditionalCheckFailedException'), { Item: { pk: { S: UNVERSIONED_PK }, objectETag: { S: eTag }, claims: { SS: [A] }, taggedBy: { SS: [A] } } });

  it('scopes the claims to the scanned upload’s ETag on the version null only: none on a version S3 keeps, none without an ETag', () => {
    expect(claimETagOf({ ...UNVERSIONED, eTag: FIRST })).toBe(FIRST);
    expect(claimETagOf({ ...UNVERSIONED, versionId: 'null', eTag: FIRST })).toBe(FIRST);
    expect(claimETagOf(UNVERSIONED)).toBeUndefined();
    expect(claimETagOf({ ...OBJECT, eTag: FIRST })).toBeUndefined();
  });

  it('claims on the condition that the item holds this upload’s claims (or none yet), and names the upload', async () => {
    ddbMock.on(UpdateItemCommand).resolves({ Attributes: { objectETag: { S: FIRST }, claims: { SS: [A] }, taggedBy: { SS: [A] } } });
    // A retry of the same incident is on the same upload: it finds its tag write.
    expect(await claims.claim({ ...UNVERSIONED, eTag: FIRST }, A, '2026-03-25T09:20:00.000Z', true)).toEqual({ taggedAlready: true });
    expect(inputsOf(ddbMock, UpdateItemCommand)).toEqual([claimOf(A, FIRST)]);
  });

  it('retires an earlier upload’s claims, taggedBy and releasedClaims, only while the item still holds another upload’s, then claims', async () => {
    ddbMock.on(UpdateItemCommand).rejectsOnce(onUpload(FIRST)).resolvesOnce({}).resolvesOnce({ Attributes: { objectETag: { S: SECOND } } });
    // Before: the claim joined A's (an upload replaced since), and each upload's incident grew the item up to DynamoDB's 400 KB.
    expect(await claims.claim({ ...UNVERSIONED, eTag: SECOND }, B, '2026-03-25T09:20:00.000Z', true)).toEqual({ taggedAlready: false });
    expect(inputsOf(ddbMock, UpdateItemCommand)).toEqual([claimOf(B, SECOND), retireOf(SECOND), claimOf(B, SECOND)]);
  });

  it('joins the claim of this upload another claim retired the earlier one for first; gives up to the state machine after three tries', async () => {
    ddbMock.on(UpdateItemCommand).rejectsOnce(onUpload(FIRST)).rejectsOnce(sdkError('ConditionalCheckFailedException')).resolvesOnce({ Attributes: { objectETag: { S: SECOND }, claims: { SS: [A] } } });
    expect(await claims.claim({ ...UNVERSIONED, eTag: SECOND }, B, '2026-03-25T09:20:00.000Z', true)).toEqual({ taggedAlready: false });
    expect(inputsOf(ddbMock, UpdateItemCommand)).toEqual([claimOf(B, SECOND), retireOf(SECOND), claimOf(B, SECOND)]);
    ddbMock.reset();
    ddbMock.on(UpdateItemCommand).callsFake((input: { UpdateExpression: string }) => (input.UpdateExpression.startsWith('SET objectETag') ? Promise.resolve({}) : Promise.reject(onUpload(FIRST))));
    await expect(claims.claim({ ...UNVERSIONED, eTag: SECOND }, B, '2026-03-25T09:20:00.000Z', true)).rejects.toBeInstanceOf(TransientResponderError);
    expect(inputsOf(ddbMock, UpdateItemCommand)).toHaveLength(6);
  });

  it('joins both conditions with the record’s bound, and keeps the upload condition on the claim at the bound', async () => {
    const NINE = { Key: 'note-9', Value: 'j' };
    const room = { setAside: [NINE], left: [{ Key: 'note-0', Value: 'a' }], fresh: true };
    ddbMock
      .on(UpdateItemCommand)
      .rejectsOnce(Object.assign(sdkError('ConditionalCheckFailedException'), { Item: { objectETag: { S: SECOND } } }))
      .resolvesOnce({ Attributes: { objectETag: { S: SECOND }, setAsideTags: { SS: ['["note-8","i"]'] } } });
    expect(await claims.claim({ ...UNVERSIONED, eTag: SECOND }, B, '2026-03-25T09:20:00.000Z', true, room)).toEqual({ taggedAlready: false, droppedSetAsideTags: [{ Key: 'note-8', Value: 'i' }] });
    const values = { ':aside': { SS: ['["note-9","j"]'] }, ':left': { SS: ['["note-0","a"]'] } };
    expect(inputsOf(ddbMock, UpdateItemCommand)).toEqual([
      {
        ...claimOf(B, SECOND, { set: ', leftTags = :left, lastSetAsideTags = :aside', values: { ...values, ':most': { N: '63' } }, condition: '(attribute_not_exists(objectETag) OR objectETag = :etag) AND (attribute_not_exists(setAsideTags) OR size(setAsideTags) <= :most)' }),
        UpdateExpression:
          'SET lastClaimAt = :at, lastClaimBy = :incident, objectETag = :etag, leftTags = :left, lastSetAsideTags = :aside ADD claims :incidents, taggedBy :incidents, setAsideTags :aside DELETE releasedClaims :incidents',
      },
      claimOf(B, SECOND, { set: ', leftTags = :left, setAsideTags = :aside, lastSetAsideTags = :aside', values }),
    ]);
  });

  it('in memory as in DynamoDB: an upload’s claim retires the earlier upload’s, a claim of the same upload or without an ETag joins them', async () => {
    const store = new InMemoryS3ObjectClaims();
    for (let round = 0; round < 100; round += 1) await store.claim({ ...UNVERSIONED, eTag: `${round}`.padStart(32, '0') }, `s3scan-${round}`, `2026-03-25T09:${String(round % 60).padStart(2, '0')}:00.000Z`, true);
    // Before: 100 claims, one per upload, of objects long replaced.
    expect((await store.get(UNVERSIONED)).claims).toEqual(['s3scan-99']);
    expect(await store.claim({ ...UNVERSIONED, eTag: `${99}`.padStart(32, '0') }, 's3scan-99', '2026-03-25T10:00:00.000Z', true)).toEqual({ taggedAlready: true });
    await store.claim(UNVERSIONED, 'no-etag', '2026-03-25T10:01:00.000Z', true);
    expect((await store.get(UNVERSIONED)).claims).toEqual(['no-etag', 's3scan-99']);
    await store.claim({ ...UNVERSIONED, eTag: FIRST }, A, '2026-03-25T10:02:00.000Z', true);
    expect(await store.get(UNVERSIONED)).toMatchObject({ claims: [A], releasedClaims: [] });
  });
});

describe('holderOf', () => {
  it('names the last claimant while it holds the version, else the first holder, else none', () => {
    expect(holderOf({ claims: [A, B], releasedClaims: [], lastClaimBy: B })).toBe(B);
    expect(holderOf({ claims: [A], releasedClaims: [B], lastClaimBy: B })).toBe(A);
    expect(holderOf({ claims: [], releasedClaims: [A], lastClaimBy: A })).toBeUndefined();
  });
});
