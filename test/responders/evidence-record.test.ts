import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GenerateMacCommand, KMSClient, VerifyMacCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { TransientResponderError } from '../../lib/contracts/responder-errors';
import type { EvidenceOf, EvidenceRecord } from '../../lib/responders/evidence-record';
import { DynamoDbEvidenceRecords, EVIDENCE_SEAL_SCHEME, evidenceMacMessage, evidenceRecordKey, evidenceVolumeRecordKey } from '../../lib/responders/evidence-record';
import { KmsMac } from '../../lib/responders/record-mac';

const dynamo = mockClient(DynamoDBClient);
const kms = mockClient(KMSClient);
const RECORD_KEY = 'arn:aws:kms:eu-west-1:999988887777:key/record';
const MAC = new Uint8Array([1, 2, 3]);
const store = () => new DynamoDbEvidenceRecords(new DynamoDBClient({ region: 'eu-west-1' }), 'state', new KmsMac(new KMSClient({ region: 'eu-west-1' }), RECORD_KEY));

const RECORD: EvidenceRecord = {
  incidentKey: 'gd-abc',
  snapshotId: 'snap-0000000000000000a',
  volumeId: 'vol-0root000000000001',
  instanceId: 'i-0abc1234def567890',
  account: '111122223333',
  region: 'eu-west-1',
  startedAt: '2026-11-20T10:02:00.000Z',
  recordedAt: '2026-11-20T10:02:01.000Z',
  executionArn: 'arn:aws:states:eu-west-1:999988887777:execution:Firebreak-compromised-ec2-instance:gd-abc',
};
const OF: EvidenceOf = { incidentKey: RECORD.incidentKey, snapshotId: RECORD.snapshotId, volumeId: RECORD.volumeId, instanceId: RECORD.instanceId, account: RECORD.account, region: RECORD.region };
const SEALED = { ...RECORD, seal: { scheme: EVIDENCE_SEAL_SCHEME, algorithm: 'HMAC_SHA_256', keyId: RECORD_KEY, mac: Buffer.from(MAC).toString('base64') } };
const sdkError = (name: string, httpStatusCode = 400) => Object.assign(new Error(`${name}: simulated`), { name, $metadata: { httpStatusCode } });

beforeEach(() => {
  dynamo.reset();
  kms.reset();
  kms.on(GenerateMacCommand).resolves({ Mac: MAC, KeyId: RECORD_KEY });
  kms.on(VerifyMacCommand).resolves({ MacValid: true });
});

describe('DynamoDbEvidenceRecords', () => {
  it('seals the record with the record key and writes it once, under evidence#<incident>#<snapshot>', async () => {
    dynamo.on(PutItemCommand).resolves({});
    expect(await store().save(RECORD)).toBe('saved');
    expect(kms.commandCalls(GenerateMacCommand).map((c) => c.args[0].input)).toEqual([{ KeyId: RECORD_KEY, MacAlgorithm: 'HMAC_SHA_256', Message: evidenceMacMessage(RECORD) }]);
    expect(dynamo.commandCalls(PutItemCommand).map((c) => c.args[0].input)).toEqual([
      // Row 2zi: the same sealed record under its volume first (the volume's latest), then under the snapshot, once.
      { TableName: 'state', Item: { pk: { S: 'evidence#gd-abc#volume#vol-0root000000000001' }, record: { S: JSON.stringify(SEALED) } } },
      { TableName: 'state', Item: { pk: { S: 'evidence#gd-abc#snap-0000000000000000a' }, record: { S: JSON.stringify(SEALED) } }, ConditionExpression: 'attribute_not_exists(pk)' },
    ]);
    expect(evidenceRecordKey('gd-abc', 'snap-1')).toBe('evidence#gd-abc#snap-1');
    expect(evidenceVolumeRecordKey('gd-abc', 'vol-1')).toBe('evidence#gd-abc#volume#vol-1');
  });

  it('keeps the first record of a snapshot: a second write answers exists', async () => {
    dynamo.on(PutItemCommand).resolves({});
    dynamo.on(PutItemCommand, { ConditionExpression: 'attribute_not_exists(pk)' }).rejects(sdkError('ConditionalCheckFailedException'));
    expect(await store().save(RECORD)).toBe('exists');
  });

  it('a failed write of the volume\'s record writes nothing else, and fails the save', async () => {
    dynamo.on(PutItemCommand).rejects(sdkError('ProvisionedThroughputExceededException'));
    await expect(store().save(RECORD)).rejects.toBeInstanceOf(TransientResponderError);
    expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(1);
  });

  describe('the volume\'s record (row 2zi)', () => {
    const VOLUME = { incidentKey: OF.incidentKey, volumeId: OF.volumeId, instanceId: OF.instanceId, account: OF.account, region: OF.region };

    it('reads it consistently and names its snapshot once its fields and seal verify', async () => {
      dynamo.on(GetItemCommand).resolves({ Item: { record: { S: JSON.stringify(SEALED) } } });
      expect(await store().recordedSnapshotOf(VOLUME)).toBe('snap-0000000000000000a');
      expect(dynamo.commandCalls(GetItemCommand).map((c) => c.args[0].input)).toEqual([{ TableName: 'state', Key: { pk: { S: 'evidence#gd-abc#volume#vol-0root000000000001' } }, ConsistentRead: true }]);
      expect(kms.commandCalls(VerifyMacCommand).map((c) => c.args[0].input)).toEqual([{ KeyId: RECORD_KEY, MacAlgorithm: 'HMAC_SHA_256', Message: evidenceMacMessage(RECORD), Mac: Buffer.from(MAC) }]);
    });

    it('none, or not JSON: names nothing, and no KMS call', async () => {
      dynamo.on(GetItemCommand).resolves({});
      expect(await store().recordedSnapshotOf(VOLUME)).toBeUndefined();
      dynamo.on(GetItemCommand).resolves({ Item: { record: { S: 'not json' } } });
      expect(await store().recordedSnapshotOf(VOLUME)).toBeUndefined();
      expect(kms.calls()).toHaveLength(0);
    });

    it.each([
      ['incidentKey', 'gd-other'],
      ['volumeId', 'vol-0other00000000001'],
      ['instanceId', 'i-0other000000000001'],
      ['account', '444455556666'],
      ['region', 'us-east-1'],
    ] as const)('tried (rereview-two): a volume record of another %s names nothing for this one', async (field, value) => {
      dynamo.on(GetItemCommand).resolves({ Item: { record: { S: JSON.stringify(SEALED) } } });
      expect(await store().recordedSnapshotOf({ ...VOLUME, [field]: value })).toBeUndefined();
      expect(kms.calls()).toHaveLength(0);
    });

    it('tried (rereview-two): a volume record whose snapshot id was changed after sealing names nothing', async () => {
      dynamo.on(GetItemCommand).resolves({ Item: { record: { S: JSON.stringify({ ...SEALED, snapshotId: 'snap-0f0f0f0f0f0f0f0f1' }) } } });
      kms.on(VerifyMacCommand).rejects(sdkError('KMSInvalidMacException'));
      expect(await store().recordedSnapshotOf(VOLUME)).toBeUndefined();
    });
  });

  it('fails transiently when DynamoDB throttles the write', async () => {
    dynamo.on(PutItemCommand).rejects(sdkError('ProvisionedThroughputExceededException'));
    await expect(store().save(RECORD)).rejects.toBeInstanceOf(TransientResponderError);
  });

  it('reads the record consistently and verifies its seal with the record key', async () => {
    dynamo.on(GetItemCommand).resolves({ Item: { record: { S: JSON.stringify(SEALED) } } });
    expect(await store().verify(OF)).toEqual({ valid: true });
    expect(dynamo.commandCalls(GetItemCommand).map((c) => c.args[0].input)).toEqual([{ TableName: 'state', Key: { pk: { S: 'evidence#gd-abc#snap-0000000000000000a' } }, ConsistentRead: true }]);
    expect(kms.commandCalls(VerifyMacCommand).map((c) => c.args[0].input)).toEqual([{ KeyId: RECORD_KEY, MacAlgorithm: 'HMAC_SHA_256', Message: evidenceMacMessage(RECORD), Mac: Buffer.from(MAC) }]);
  });

  it('no record: not valid, and no KMS call', async () => {
    dynamo.on(GetItemCommand).resolves({});
    expect(await store().verify(OF)).toEqual({ valid: false, reason: expect.stringContaining('no record of snapshot-volumes names it') });
    expect(kms.calls()).toHaveLength(0);
  });

  it.each([
    ['volumeId', 'vol-0other00000000001'],
    ['instanceId', 'i-0other000000000001'],
    ['account', '444455556666'],
    ['region', 'us-east-1'],
  ] as const)('a record of the same snapshot naming another %s does not stand for it', async (field, value) => {
    dynamo.on(GetItemCommand).resolves({ Item: { record: { S: JSON.stringify(SEALED) } } });
    expect(await store().verify({ ...OF, [field]: value })).toEqual({ valid: false, reason: expect.stringContaining(`its record names another ${field}`) });
    expect(kms.calls()).toHaveLength(0);
  });

  it('a record whose seal KMS refuses (a field changed after sealing) is not valid', async () => {
    dynamo.on(GetItemCommand).resolves({ Item: { record: { S: JSON.stringify({ ...SEALED, startedAt: '2026-11-20T09:00:00.000Z' }) } } });
    kms.on(VerifyMacCommand).rejects(sdkError('KMSInvalidMacException'));
    expect(await store().verify(OF)).toEqual({ valid: false, reason: expect.stringMatching(/^its record's seal does not hold \(KMS says the MAC does not match/) });
  });

  it('an item that is no evidence record, or carries no seal, is not valid', async () => {
    dynamo.on(GetItemCommand).resolves({ Item: { record: { S: 'not json' } } });
    expect(await store().verify(OF)).toMatchObject({ valid: false, reason: 'its record in the state table is not JSON' });
    dynamo.on(GetItemCommand).resolves({ Item: { record: { S: JSON.stringify({ ...RECORD, extra: 1 }) } } });
    expect(await store().verify(OF)).toMatchObject({ valid: false, reason: 'its record in the state table is not an evidence record' });
    dynamo.on(GetItemCommand).resolves({ Item: { record: { S: JSON.stringify(RECORD) } } });
    expect(await store().verify(OF)).toMatchObject({ valid: false, reason: 'its record carries no MAC' });
  });

  it('a MAC of another kind of record never verifies as an evidence record: the scheme label is in the message', () => {
    expect(new TextDecoder().decode(evidenceMacMessage(RECORD))).toMatch(/^firebreak-evidence-snapshot\/v1\nsha256:[0-9a-f]{64}$/);
  });
});
