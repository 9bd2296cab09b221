/**
 * DynamoDbQuarantineCopyRecords against the state table (aws-sdk-client-mock): the exact GetItem
 * and PutItem the quarantine-s3-object Lambda sends (its role may touch only `s3copy#` keys, a
 * digest of the copy's owner, bucket and key: the uploader's key text is never part of the
 * partition key), a stored item missing a field read as no record, and `isCopyOf`, which takes a
 * record for this step's copy only when every field says so.
 */
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { TransientResponderError } from '../../lib/contracts/responder-errors';
import type { QuarantineCopyRecord } from '../../lib/responders/quarantine-copy-records';
import { DynamoDbQuarantineCopyRecords, isCopyOf, quarantineCopyRecordKey } from '../../lib/responders/quarantine-copy-records';
import type { ScannedObject } from '../../lib/responders/s3-malware-object';
import { inputsOf, sdkError } from './quarantine-fixtures';

const ddbMock = mockClient(DynamoDBClient);
const store = new DynamoDbQuarantineCopyRecords(new DynamoDBClient({ region: 'eu-west-1' }), 'state');
const COPY = { bucket: 'acme-quarantine', key: 'firebreak-quarantine/111122223333/acme-customer-uploads/incoming/2026/03/invoice-4471.pdf', owner: '999988887777' };
/** SHA-256 of ["999988887777","acme-quarantine","firebreak-quarantine/111122223333/acme-customer-uploads/incoming/2026/03/invoice-4471.pdf"]. */
const PK = 's3copy#0d5eec4ad2a579b94c78267acfab4ddd8c4a46ef281f0c3205e9cfdf86102511';
const OBJECT: ScannedObject = {
  account: '111122223333',
  region: 'eu-west-1',
  bucketName: 'acme-customer-uploads',
  key: 'incoming/2026/03/invoice-4471.pdf',
  versionId: 'Rb4kBsH0hZ6bB.7Yx_3yEXAMPLE',
  eTag: '44d88612fea8a8f36de82e1278abb02f',
  resultStatus: 'THREATS_FOUND',
  threatNames: [],
};
const RECORD: QuarantineCopyRecord = {
  ...COPY,
  incidentKey: 's3scan-0cc62b3fe24f7b3523c531f4fe80b032',
  sourceBucket: OBJECT.bucketName,
  sourceKey: OBJECT.key,
  sourceVersionId: OBJECT.versionId!,
  sourceETag: OBJECT.eTag!,
  versionId: 'copy-version-1',
  copiedAt: '2026-03-25T09:20:00.000Z',
};
const ITEM = {
  pk: { S: PK },
  bucket: { S: COPY.bucket },
  key: { S: COPY.key },
  owner: { S: COPY.owner },
  incidentKey: { S: RECORD.incidentKey },
  sourceBucket: { S: OBJECT.bucketName },
  sourceKey: { S: OBJECT.key },
  copiedAt: { S: RECORD.copiedAt },
  sourceVersionId: { S: OBJECT.versionId! },
  sourceETag: { S: OBJECT.eTag! },
  versionId: { S: 'copy-version-1' },
};

afterEach(() => ddbMock.reset());

describe('DynamoDbQuarantineCopyRecords', () => {
  it('keys a copy by a digest of its owner, bucket and key', () => {
    expect(quarantineCopyRecordKey(COPY)).toBe(PK);
    expect(quarantineCopyRecordKey({ ...COPY, owner: '111122223333' })).not.toBe(PK);
  });

  it('writes the copy with the exact item', async () => {
    ddbMock.on(PutItemCommand).resolves({});
    await store.put(RECORD);
    expect(inputsOf(ddbMock, PutItemCommand)).toEqual([{ TableName: 'state', Item: ITEM }]);
  });

  it('reads it back by the same key, consistently (a retry follows within seconds), with the exact input', async () => {
    ddbMock.on(GetItemCommand).resolves({ Item: ITEM });
    expect(await store.get(COPY)).toEqual(RECORD);
    expect(inputsOf(ddbMock, GetItemCommand)).toEqual([{ TableName: 'state', Key: { pk: { S: PK } }, ConsistentRead: true }]);
  });

  it('answers no record for no item, and for an item missing a field (never half a copy)', async () => {
    ddbMock.on(GetItemCommand).resolvesOnce({}).resolvesOnce({ Item: { ...ITEM, incidentKey: { N: '1' } } });
    expect(await store.get(COPY)).toBeUndefined();
    expect(await store.get(COPY)).toBeUndefined();
  });

  it('answers no record for an item whose optional field is there but not a string (a claim it cannot check, not a field left out)', async () => {
    // Read as left out, a source version of the wrong type would make the item match the copy of an
    // unversioned object (isCopyOf compares undefined with undefined).
    const unversioned = { ...ITEM, sourceVersionId: { N: '1' } };
    const numericCopyVersion = { ...ITEM, versionId: { S: 7 } } as unknown as typeof ITEM;
    ddbMock.on(GetItemCommand).resolvesOnce({ Item: unversioned }).resolvesOnce({ Item: numericCopyVersion });
    expect(await store.get(COPY)).toBeUndefined();
    expect(await store.get(COPY)).toBeUndefined();
  });

  it('reads an item without its optional fields as a record without them', async () => {
    const { sourceVersionId: _version, sourceETag: _eTag, versionId: _copyVersion, ...bare } = ITEM;
    const { sourceVersionId: _v, sourceETag: _e, versionId: _c, ...bareRecord } = RECORD;
    ddbMock.on(GetItemCommand).resolves({ Item: bare });
    expect(await store.get(COPY)).toEqual(bareRecord);
  });

  it('turns throttling into the responder error the state machine retries', async () => {
    ddbMock.on(GetItemCommand).rejects(sdkError('ProvisionedThroughputExceededException', 400));
    await expect(store.get(COPY)).rejects.toBeInstanceOf(TransientResponderError);
  });
});

describe('isCopyOf', () => {
  it('is this step’s copy only for this incident, this copy key and this very scanned version', () => {
    expect(isCopyOf(RECORD, COPY, RECORD.incidentKey, OBJECT)).toBe(true);
    expect(isCopyOf(RECORD, COPY, 's3scan-ffffffffffffffffffffffffffffffff', OBJECT)).toBe(false);
    expect(isCopyOf(RECORD, { ...COPY, owner: '555566667777' }, RECORD.incidentKey, OBJECT)).toBe(false);
    expect(isCopyOf(RECORD, COPY, RECORD.incidentKey, { ...OBJECT, versionId: 'another-version' })).toBe(false);
    expect(isCopyOf(RECORD, COPY, RECORD.incidentKey, { ...OBJECT, eTag: 'ffffffffffffffffffffffffffffffff' })).toBe(false);
    expect(isCopyOf({ ...RECORD, sourceKey: 'incoming/other.pdf' }, COPY, RECORD.incidentKey, OBJECT)).toBe(false);
  });
});
