import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ResponderFailedError, TransientResponderError } from '../../lib/contracts/responder-errors';
import type { QuarantineRecord } from '../../lib/responders/quarantine-records';
import {
  DynamoDbQuarantineRecordStore,
  InMemoryQuarantineRecordStore,
  quarantineRecordKey,
} from '../../lib/responders/quarantine-records';
import { ACCOUNT, INSTANCE_ID, REGION } from '../support/incidents';
import { inputsOf, sdkError } from './quarantine-fixtures';

const dynamoMock = mockClient(DynamoDBClient);
const TABLE = 'firebreak-state';
const PK = `quarantine#${ACCOUNT}#${REGION}#${INSTANCE_ID}`;

const RECORD: QuarantineRecord = {
  account: ACCOUNT,
  region: REGION,
  instanceId: INSTANCE_ID,
  incidentKey: 'gd-7ab9d1b3c0e24f8a9e0d1c2b3a4f5e6d',
  capturedAt: '2026-11-20T10:02:00.000Z',
  networkInterfaces: [{ networkInterfaceId: 'eni-0aaa1111bbbb2222c', groupIds: ['sg-0app000000000000a'] }],
  instanceProfileArn: 'arn:aws:iam::111122223333:instance-profile/web-server',
  disableApiTermination: false,
  shutdownBehavior: 'terminate',
  deleteOnTermination: [{ deviceName: '/dev/xvda', volumeId: 'vol-0root000000000001', deleteOnTermination: true }],
  tags: { 'firebreak:status': 'released' },
};

let store: DynamoDbQuarantineRecordStore;

beforeEach(() => {
  dynamoMock.reset();
  store = new DynamoDbQuarantineRecordStore(new DynamoDBClient({ region: REGION }), TABLE);
});

describe('quarantineRecordKey', () => {
  it('keys one record per instance, account and region', () => {
    expect(quarantineRecordKey(ACCOUNT, REGION, INSTANCE_ID)).toBe(PK);
  });
});

describe('DynamoDbQuarantineRecordStore', () => {
  describe('saveIfAbsent', () => {
    it('writes the record with a condition that keeps an unreleased original', async () => {
      dynamoMock.on(PutItemCommand).resolves({});
      expect(await store.saveIfAbsent(RECORD)).toBe('saved');
      expect(inputsOf(dynamoMock, PutItemCommand)).toEqual([
        {
          TableName: TABLE,
          Item: {
            pk: { S: PK },
            account: { S: ACCOUNT },
            region: { S: REGION },
            instanceId: { S: INSTANCE_ID },
            incidentKey: { S: RECORD.incidentKey },
            capturedAt: { S: RECORD.capturedAt },
            released: { BOOL: false },
            record: { S: JSON.stringify({ ...RECORD, released: false }) },
          },
          ConditionExpression: 'attribute_not_exists(pk) OR released = :true',
          ExpressionAttributeValues: { ':true': { BOOL: true } },
        },
      ]);
    });

    it('answers exists when the condition fails (an unreleased record is there)', async () => {
      dynamoMock.on(PutItemCommand).rejects(sdkError('ConditionalCheckFailedException'));
      expect(await store.saveIfAbsent(RECORD)).toBe('exists');
    });

    it('surfaces throttling as TransientResponderError', async () => {
      dynamoMock.on(PutItemCommand).rejects(sdkError('ProvisionedThroughputExceededException'));
      await expect(store.saveIfAbsent(RECORD)).rejects.toBeInstanceOf(TransientResponderError);
    });

    it('refuses to run without a table name, naming the variable to set', async () => {
      const unconfigured = new DynamoDbQuarantineRecordStore(new DynamoDBClient({ region: REGION }), '');
      await expect(unconfigured.saveIfAbsent(RECORD)).rejects.toThrow(/FIREBREAK_STATE_TABLE/);
      expect(dynamoMock.calls()).toHaveLength(0);
    });
  });

  describe('supplement', () => {
    const GROUP_RECORD = { groupName: 'web-asg', mode: 'detach' as const, lifecycleState: 'InService', protectedFromScaleIn: false, desiredCapacity: 2, minSize: 1, maxSize: 4 };

    it('replaces the record only while it is the unreleased capture it was read as', async () => {
      dynamoMock.on(PutItemCommand).resolves({});
      const next = { ...RECORD, autoScaling: GROUP_RECORD };
      expect(await store.supplement(RECORD, next)).toBe('saved');
      expect(inputsOf(dynamoMock, PutItemCommand)).toEqual([
        {
          TableName: TABLE,
          Item: {
            pk: { S: PK },
            account: { S: ACCOUNT },
            region: { S: REGION },
            instanceId: { S: INSTANCE_ID },
            incidentKey: { S: RECORD.incidentKey },
            capturedAt: { S: RECORD.capturedAt },
            released: { BOOL: false },
            record: { S: JSON.stringify({ ...next, released: false }) },
          },
          ConditionExpression: 'released = :false AND capturedAt = :capturedAt AND incidentKey = :incidentKey',
          ExpressionAttributeValues: { ':false': { BOOL: false }, ':capturedAt': { S: RECORD.capturedAt }, ':incidentKey': { S: RECORD.incidentKey } },
        },
      ]);
    });

    it('answers changed when the condition fails (released or captured again)', async () => {
      dynamoMock.on(PutItemCommand).rejects(sdkError('ConditionalCheckFailedException'));
      expect(await store.supplement(RECORD, { ...RECORD, autoScaling: GROUP_RECORD })).toBe('changed');
    });
  });

  describe('get', () => {
    it('reads the record with a consistent read and merges the release attributes', async () => {
      dynamoMock.on(GetItemCommand).resolves({
        Item: {
          pk: { S: PK },
          released: { BOOL: true },
          releasedAt: { S: '2026-11-27T16:30:00.000Z' },
          releasedBy: { S: 'release-1' },
          releaseReason: { S: 'false positive' },
          record: { S: JSON.stringify({ ...RECORD, released: false }) },
        },
      });
      expect(await store.get(ACCOUNT, REGION, INSTANCE_ID)).toEqual({
        ...RECORD,
        released: true,
        releasedAt: '2026-11-27T16:30:00.000Z',
        releasedBy: 'release-1',
        releaseReason: 'false positive',
      });
      expect(inputsOf(dynamoMock, GetItemCommand)).toEqual([{ TableName: TABLE, Key: { pk: { S: PK } }, ConsistentRead: true }]);
    });

    it('answers undefined when there is no record', async () => {
      dynamoMock.on(GetItemCommand).resolves({});
      expect(await store.get(ACCOUNT, REGION, INSTANCE_ID)).toBeUndefined();
    });

    it.each([
      ['not JSON', '{nope'],
      ['missing fields', JSON.stringify({ account: ACCOUNT })],
    ])('refuses a stored record that is %s with ResponderFailedError', async (_what, json) => {
      dynamoMock.on(GetItemCommand).resolves({ Item: { pk: { S: PK }, record: { S: json } } });
      await expect(store.get(ACCOUNT, REGION, INSTANCE_ID)).rejects.toBeInstanceOf(ResponderFailedError);
    });
  });

  describe('markReleased', () => {
    it('sets released, when and by whom, only on an existing record', async () => {
      dynamoMock.on(UpdateItemCommand).resolves({});
      await store.markReleased(ACCOUNT, REGION, INSTANCE_ID, { releasedAt: '2026-11-27T16:30:00.000Z', releasedBy: 'release-1' });
      expect(inputsOf(dynamoMock, UpdateItemCommand)).toEqual([
        {
          TableName: TABLE,
          Key: { pk: { S: PK } },
          UpdateExpression: 'SET released = :true, releasedAt = :releasedAt, releasedBy = :releasedBy',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: {
            ':true': { BOOL: true },
            ':releasedAt': { S: '2026-11-27T16:30:00.000Z' },
            ':releasedBy': { S: 'release-1' },
          },
        },
      ]);
    });

    it('also sets the reason given for the release', async () => {
      dynamoMock.on(UpdateItemCommand).resolves({});
      await store.markReleased(ACCOUNT, REGION, INSTANCE_ID, {
        releasedAt: '2026-11-27T16:30:00.000Z',
        releasedBy: 'arn:aws:iam::111122223333:user/alice',
        releaseReason: 'false positive',
      });
      expect(inputsOf(dynamoMock, UpdateItemCommand)).toEqual([
        {
          TableName: TABLE,
          Key: { pk: { S: PK } },
          UpdateExpression: 'SET released = :true, releasedAt = :releasedAt, releasedBy = :releasedBy, releaseReason = :releaseReason',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: {
            ':true': { BOOL: true },
            ':releasedAt': { S: '2026-11-27T16:30:00.000Z' },
            ':releasedBy': { S: 'arn:aws:iam::111122223333:user/alice' },
            ':releaseReason': { S: 'false positive' },
          },
        },
      ]);
    });
  });
});

describe('InMemoryQuarantineRecordStore', () => {
  it('supplements only the unreleased capture it was read as', async () => {
    const memory = new InMemoryQuarantineRecordStore();
    await memory.saveIfAbsent(RECORD);
    const next = { ...RECORD, loadBalancers: { targets: [], classic: [{ loadBalancerName: 'legacy', managedByGroup: false }] } };
    expect(await memory.supplement({ ...RECORD, capturedAt: 'another capture' }, next)).toBe('changed');
    expect(await memory.supplement(RECORD, next)).toBe('saved');
    expect((await memory.get(ACCOUNT, REGION, INSTANCE_ID))?.loadBalancers).toEqual(next.loadBalancers);
    await memory.markReleased(ACCOUNT, REGION, INSTANCE_ID, { releasedAt: 'later', releasedBy: 'release-1' });
    expect(await memory.supplement(RECORD, next)).toBe('changed');
  });


  it('keeps the first record while it is not released, then accepts a new quarantine after release', async () => {
    const memory = new InMemoryQuarantineRecordStore();
    expect(await memory.saveIfAbsent(RECORD)).toBe('saved');
    expect(await memory.saveIfAbsent({ ...RECORD, incidentKey: 'second', networkInterfaces: [] })).toBe('exists');
    expect((await memory.get(ACCOUNT, REGION, INSTANCE_ID))?.incidentKey).toBe(RECORD.incidentKey);
    await memory.markReleased(ACCOUNT, REGION, INSTANCE_ID, { releasedAt: 'later', releasedBy: 'release-1' });
    expect(await memory.saveIfAbsent({ ...RECORD, incidentKey: 'third' })).toBe('saved');
    expect(await memory.get(ACCOUNT, REGION, INSTANCE_ID)).toMatchObject({ incidentKey: 'third', released: false });
  });
});
