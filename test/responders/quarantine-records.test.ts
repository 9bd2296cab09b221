import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ResponderFailedError, TransientResponderError } from '../../lib/contracts/responder-errors';
import type { QuarantineRecord, RecordSeal } from '../../lib/responders/quarantine-records';
import {
  DynamoDbQuarantineRecordReleaseStore,
  DynamoDbQuarantineRecordStore,
  InMemoryQuarantineRecordStore,
  RECORD_MAC_ALGORITHM,
  RECORD_SEAL_SCHEME,
  claimsOf,
  quarantineRecordKey,
} from '../../lib/responders/quarantine-records';
import { ACCOUNT, INSTANCE_ID, REGION } from '../support/incidents';
import { inputsOf, sdkError } from './quarantine-fixtures';

const dynamoMock = mockClient(DynamoDBClient);
const TABLE = 'firebreak-state';
const PK = `quarantine#${ACCOUNT}#${REGION}#${INSTANCE_ID}`;
/** When a claiming run asks: a release's hold on the record that ended before then no longer counts. */
const AT = '2026-11-27T16:30:00.000Z';

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

/** A release execution holding the record for its restore (holdForRestore), asking at AT. */
const RELEASE_1 = { executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:Firebreak-release-instance:release-1', at: AT };

/** The release side of the store: the quarantine side too (it extends it). */
let store: DynamoDbQuarantineRecordReleaseStore;

beforeEach(() => {
  dynamoMock.reset();
  store = new DynamoDbQuarantineRecordReleaseStore(new DynamoDBClient({ region: REGION }), TABLE);
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
            claims: { SS: [RECORD.incidentKey] },
            // The writer's claim is the record's first: a release's grant binds the serial it read.
            claimSerial: { N: '1' },
            // And the serial of the writer's latest claim: its claim-only release checks it (review s19).
            [`lastClaim#${RECORD.incidentKey}`]: { N: '1' },
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

    it('replaces only the record attribute (never the claims beside it), only while it is the unreleased capture it was read as', async () => {
      dynamoMock.on(UpdateItemCommand).resolves({});
      const next = { ...RECORD, autoScaling: GROUP_RECORD };
      expect(await store.supplement({ ...RECORD, claims: [RECORD.incidentKey, 'gd-later'] }, { ...next, claims: [RECORD.incidentKey, 'gd-later'] })).toBe('saved');
      expect(inputsOf(dynamoMock, UpdateItemCommand)).toEqual([
        {
          TableName: TABLE,
          Key: { pk: { S: PK } },
          UpdateExpression: 'SET #record = :record',
          ConditionExpression: 'released = :false AND capturedAt = :capturedAt AND incidentKey = :incidentKey',
          ExpressionAttributeNames: { '#record': 'record' },
          ExpressionAttributeValues: {
            ':record': { S: JSON.stringify({ ...next, released: false }) },
            ':false': { BOOL: false },
            ':capturedAt': { S: RECORD.capturedAt },
            ':incidentKey': { S: RECORD.incidentKey },
          },
        },
      ]);
      expect(dynamoMock.commandCalls(PutItemCommand)).toHaveLength(0);
    });

    it('ATTACK (prefix-targets): supplements a sealed record only while it is still the one read (its MAC in the stored record), so that a second run\'s registrations never overwrite the first\'s (row 3v)', async () => {
      dynamoMock.on(UpdateItemCommand).resolves({});
      const read: QuarantineRecord = { ...RECORD, seal: { scheme: RECORD_SEAL_SCHEME, algorithm: RECORD_MAC_ALGORITHM, keyId: 'key', mac: 'bWFjLW9mLXRoZS1yZWNvcmQtcmVhZA==' } };
      const next = { ...RECORD, autoScaling: GROUP_RECORD };
      expect(await store.supplement(read, next)).toBe('saved');
      expect(inputsOf(dynamoMock, UpdateItemCommand)[0]).toMatchObject({
        ConditionExpression: 'released = :false AND capturedAt = :capturedAt AND incidentKey = :incidentKey AND contains(#record, :mac)',
        ExpressionAttributeValues: { ':mac': { S: 'bWFjLW9mLXRoZS1yZWNvcmQtcmVhZA==' } },
      });
    });

    it('answers changed when the condition fails (released or captured again)', async () => {
      dynamoMock.on(UpdateItemCommand).rejects(sdkError('ConditionalCheckFailedException'));
      expect(await store.supplement(RECORD, { ...RECORD, autoScaling: GROUP_RECORD })).toBe('changed');
    });
  });

  const SAME_CAPTURE_VALUES = { ':false': { BOOL: false }, ':capturedAt': { S: RECORD.capturedAt }, ':incidentKey': { S: RECORD.incidentKey } };
  const NOT_HELD = '(attribute_not_exists(restoringUntil) OR restoringUntil < :at)';

  describe('claim', () => {

    it('adds the incident to the claims of the unreleased capture it read, in one conditional UpdateItem', async () => {
      dynamoMock.on(UpdateItemCommand).resolves({});
      expect(await store.claim({ ...RECORD, claims: [RECORD.incidentKey] }, 'gd-later', AT)).toBe('claimed');
      expect(inputsOf(dynamoMock, UpdateItemCommand)).toEqual([
        {
          TableName: TABLE,
          Key: { pk: { S: PK } },
          UpdateExpression: 'SET #lastClaim = if_not_exists(claimSerial, :zero) + :one ADD claims :claims, claimSerial :one',
          // Never while the last release restores the instance (holdForRestore): that restore would undo this claim's containment.
          ConditionExpression: `released = :false AND capturedAt = :capturedAt AND incidentKey = :incidentKey AND attribute_exists(claims) AND ${NOT_HELD}`,
          // The incident's own latest claim keeps the serial it advanced to (review s19).
          ExpressionAttributeNames: { '#lastClaim': 'lastClaim#gd-later' },
          ExpressionAttributeValues: { ':claims': { SS: ['gd-later'] }, ':one': { N: '1' }, ':zero': { N: '0' }, ...SAME_CAPTURE_VALUES, ':at': { S: AT } },
          // A refusal says why: a release's hold (waited out) or a changed record (read again).
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      ]);
    });

    it("adds the record's own incident with it to a record written before claims, only while it still has none", async () => {
      dynamoMock.on(UpdateItemCommand).resolves({});
      expect(await store.claim(RECORD, 'gd-later', AT)).toBe('claimed');
      expect(inputsOf(dynamoMock, UpdateItemCommand)).toEqual([
        {
          TableName: TABLE,
          Key: { pk: { S: PK } },
          UpdateExpression: 'SET #lastClaim = if_not_exists(claimSerial, :zero) + :one ADD claims :claims, claimSerial :one',
          ConditionExpression: `released = :false AND capturedAt = :capturedAt AND incidentKey = :incidentKey AND attribute_not_exists(claims) AND ${NOT_HELD}`,
          ExpressionAttributeNames: { '#lastClaim': 'lastClaim#gd-later' },
          ExpressionAttributeValues: { ':claims': { SS: [RECORD.incidentKey, 'gd-later'] }, ':one': { N: '1' }, ':zero': { N: '0' }, ...SAME_CAPTURE_VALUES, ':at': { S: AT } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      ]);
    });

    /** The condition failure with the item as it was (ReturnValuesOnConditionCheckFailure ALL_OLD), or without it. */
    const refused = (item?: Record<string, { S: string }>) => Object.assign(sdkError('ConditionalCheckFailedException'), item ? { Item: { pk: { S: PK }, ...item } } : {});

    it('answers changed when the record is no longer the capture it read', async () => {
      dynamoMock.on(UpdateItemCommand).rejects(refused({ capturedAt: { S: 'another capture' } }));
      expect(await store.claim(RECORD, 'gd-later', AT)).toBe('changed');
      dynamoMock.on(UpdateItemCommand).rejects(refused());
      expect(await store.claim(RECORD, 'gd-later', AT)).toBe('changed');
    });

    it('answers held, with the incident whose release holds the record and until when, while that hold lasts', async () => {
      dynamoMock.on(UpdateItemCommand).rejects(refused({ restoringFor: { S: RECORD.incidentKey }, restoringUntil: { S: '2026-11-27T16:33:00.000Z' } }));
      expect(await store.claim(RECORD, 'gd-later', AT)).toEqual({ heldFor: RECORD.incidentKey, heldUntil: '2026-11-27T16:33:00.000Z' });
      // A hold that ends at the very time asked still holds (the condition is restoringUntil < :at).
      dynamoMock.on(UpdateItemCommand).rejects(refused({ restoringFor: { S: RECORD.incidentKey }, restoringUntil: { S: AT } }));
      expect(await store.claim(RECORD, 'gd-later', AT)).toEqual({ heldFor: RECORD.incidentKey, heldUntil: AT });
    });

    it("writes the claim of an incident that holds one already the same way, so that its own release's hold is asked (a new execution of that incident)", async () => {
      const own = { ...RECORD, claims: [RECORD.incidentKey] };
      dynamoMock.on(UpdateItemCommand).resolves({});
      expect(await store.claim(own, RECORD.incidentKey, AT)).toBe('claimed');
      expect(inputsOf(dynamoMock, UpdateItemCommand)).toEqual([
        {
          TableName: TABLE,
          Key: { pk: { S: PK } },
          UpdateExpression: 'SET #lastClaim = if_not_exists(claimSerial, :zero) + :one ADD claims :claims, claimSerial :one',
          ConditionExpression: `released = :false AND capturedAt = :capturedAt AND incidentKey = :incidentKey AND attribute_exists(claims) AND ${NOT_HELD}`,
          ExpressionAttributeNames: { '#lastClaim': `lastClaim#${RECORD.incidentKey}` },
          ExpressionAttributeValues: { ':claims': { SS: [RECORD.incidentKey] }, ':one': { N: '1' }, ':zero': { N: '0' }, ...SAME_CAPTURE_VALUES, ':at': { S: AT } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      ]);
      dynamoMock.on(UpdateItemCommand).rejects(refused({ restoringFor: { S: RECORD.incidentKey }, restoringUntil: { S: '2026-11-27T16:33:00.000Z' } }));
      expect(await store.claim(own, RECORD.incidentKey, AT)).toEqual({ heldFor: RECORD.incidentKey, heldUntil: '2026-11-27T16:33:00.000Z' });
    });

    it('answers changed, not held, when the hold the item still carries had ended: the record changed otherwise', async () => {
      dynamoMock.on(UpdateItemCommand).rejects(refused({ restoringFor: { S: RECORD.incidentKey }, restoringUntil: { S: '2026-11-27T16:29:59.999Z' } }));
      expect(await store.claim(RECORD, 'gd-later', AT)).toBe('changed');
    });
  });

  describe('holdForRestore', () => {
    const UNTIL = '2026-11-27T16:33:00.000Z';
    /** The release execution that asks for the hold (its grant verified it), and when it asks. */
    const EXECUTION = 'arn:aws:states:eu-west-1:111122223333:execution:Firebreak-release-instance:release-1';
    const HOLDER = { executionArn: EXECUTION, at: AT };
    /** No live hold of another release execution: none, one that ended, or this execution's own (its retry re-takes it). */
    const NO_OTHER_HOLD = '(attribute_not_exists(restoringUntil) OR restoringUntil < :at OR restoringBy = :restoringBy)';
    const refused = (item?: Record<string, { S: string }>) => Object.assign(sdkError('ConditionalCheckFailedException'), item ? { Item: { pk: { S: PK }, ...item } } : {});

    it('holds the unreleased capture it read for the restore of its last claim, at the claim serial it read, for one release execution until a time, in one conditional UpdateItem', async () => {
      dynamoMock.on(UpdateItemCommand).resolves({});
      expect(await store.holdForRestore({ ...RECORD, claims: [RECORD.incidentKey], claimSerial: 3 }, RECORD.incidentKey, UNTIL, HOLDER)).toBe('held');
      expect(inputsOf(dynamoMock, UpdateItemCommand)).toEqual([
        {
          TableName: TABLE,
          Key: { pk: { S: PK } },
          UpdateExpression: 'SET restoringFor = :claimKey, restoringUntil = :until, restoringBy = :restoringBy',
          // The last claim, this release's (or none: a record older than claims, its own incident's),
          // no claim written since the read (not even this incident's own: a new execution of it), and
          // no live hold of another release execution (of this incident too: it restores already).
          ConditionExpression: `released = :false AND capturedAt = :capturedAt AND incidentKey = :incidentKey AND (attribute_not_exists(claims) OR (size(claims) = :one AND contains(claims, :claimKey))) AND claimSerial = :claimSerial AND ${NO_OTHER_HOLD}`,
          ExpressionAttributeValues: {
            ':claimKey': { S: RECORD.incidentKey },
            ':until': { S: UNTIL },
            ':restoringBy': { S: EXECUTION },
            ':at': { S: AT },
            ':one': { N: '1' },
            ':claimSerial': { N: '3' },
            ...SAME_CAPTURE_VALUES,
          },
          // The item as it was when the condition failed: another execution's live hold is answered.
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      ]);
    });

    it('holds a record written before claim serials only while it still has none (absent counts as 0)', async () => {
      dynamoMock.on(UpdateItemCommand).resolves({});
      expect(await store.holdForRestore({ ...RECORD, claims: [RECORD.incidentKey] }, RECORD.incidentKey, UNTIL, HOLDER)).toBe('held');
      expect(inputsOf(dynamoMock, UpdateItemCommand)).toEqual([
        {
          TableName: TABLE,
          Key: { pk: { S: PK } },
          UpdateExpression: 'SET restoringFor = :claimKey, restoringUntil = :until, restoringBy = :restoringBy',
          ConditionExpression: `released = :false AND capturedAt = :capturedAt AND incidentKey = :incidentKey AND (attribute_not_exists(claims) OR (size(claims) = :one AND contains(claims, :claimKey))) AND attribute_not_exists(claimSerial) AND ${NO_OTHER_HOLD}`,
          ExpressionAttributeValues: { ':claimKey': { S: RECORD.incidentKey }, ':until': { S: UNTIL }, ':restoringBy': { S: EXECUTION }, ':at': { S: AT }, ':one': { N: '1' }, ...SAME_CAPTURE_VALUES },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      ]);
    });

    it('answers claimed, writing nothing, when another incident claimed the instance since the release read the record', async () => {
      dynamoMock.on(UpdateItemCommand).rejects(sdkError('ConditionalCheckFailedException'));
      expect(await store.holdForRestore({ ...RECORD, claims: [RECORD.incidentKey] }, RECORD.incidentKey, UNTIL, HOLDER)).toBe('claimed');
      dynamoMock.on(UpdateItemCommand).rejects(refused({ claimSerial: { S: '4' } }));
      expect(await store.holdForRestore({ ...RECORD, claims: [RECORD.incidentKey] }, RECORD.incidentKey, UNTIL, HOLDER)).toBe('claimed');
    });

    it('answers the hold of another release execution, writing nothing, while that hold lasts', async () => {
      const OTHER = 'arn:aws:states:eu-west-1:111122223333:execution:Firebreak-release-instance:release-2';
      dynamoMock.on(UpdateItemCommand).rejects(refused({ restoringFor: { S: RECORD.incidentKey }, restoringUntil: { S: UNTIL }, restoringBy: { S: OTHER } }));
      expect(await store.holdForRestore({ ...RECORD, claims: [RECORD.incidentKey] }, RECORD.incidentKey, UNTIL, HOLDER)).toEqual({ heldFor: RECORD.incidentKey, heldUntil: UNTIL, heldBy: OTHER });
      // A hold that ended before the time asked is no answer (the condition failed for another reason).
      dynamoMock.on(UpdateItemCommand).rejects(refused({ restoringFor: { S: RECORD.incidentKey }, restoringUntil: { S: '2026-11-27T16:29:59.999Z' }, restoringBy: { S: OTHER } }));
      expect(await store.holdForRestore({ ...RECORD, claims: [RECORD.incidentKey] }, RECORD.incidentKey, UNTIL, HOLDER)).toBe('claimed');
      // Nor is this execution's own hold.
      dynamoMock.on(UpdateItemCommand).rejects(refused({ restoringFor: { S: RECORD.incidentKey }, restoringUntil: { S: UNTIL }, restoringBy: { S: EXECUTION } }));
      expect(await store.holdForRestore({ ...RECORD, claims: [RECORD.incidentKey] }, RECORD.incidentKey, UNTIL, HOLDER)).toBe('claimed');
    });
  });

  describe('releaseClaim', () => {
    it('takes back the claim, keeping it as released, never the last one, in one conditional UpdateItem', async () => {
      dynamoMock.on(UpdateItemCommand).resolves({});
      expect(await store.releaseClaim({ ...RECORD, claims: [RECORD.incidentKey, 'gd-later'] }, RECORD.incidentKey)).toBe('released');
      expect(inputsOf(dynamoMock, UpdateItemCommand)).toEqual([
        {
          TableName: TABLE,
          Key: { pk: { S: PK } },
          UpdateExpression: 'ADD releasedClaims :claim DELETE claims :claim',
          ConditionExpression: 'released = :false AND capturedAt = :capturedAt AND incidentKey = :incidentKey AND contains(claims, :claimKey) AND size(claims) > :one',
          ExpressionAttributeValues: {
            ':claim': { SS: [RECORD.incidentKey] },
            ':claimKey': { S: RECORD.incidentKey },
            ':one': { N: '1' },
            ':false': { BOOL: false },
            ':capturedAt': { S: RECORD.capturedAt },
            ':incidentKey': { S: RECORD.incidentKey },
          },
        },
      ]);
    });

    it("with the claim serial the release's grant bound, takes back nothing the incident claimed again after it (review s19), in the same conditional UpdateItem", async () => {
      dynamoMock.on(UpdateItemCommand).resolves({});
      expect(await store.releaseClaim({ ...RECORD, claims: [RECORD.incidentKey, 'gd-later'] }, RECORD.incidentKey, 3)).toBe('released');
      expect(inputsOf(dynamoMock, UpdateItemCommand)).toEqual([
        {
          TableName: TABLE,
          Key: { pk: { S: PK } },
          UpdateExpression: 'ADD releasedClaims :claim DELETE claims :claim',
          // A claim kept from before the latest-claim serials has none: it was written before the grant's read.
          ConditionExpression:
            'released = :false AND capturedAt = :capturedAt AND incidentKey = :incidentKey AND contains(claims, :claimKey) AND size(claims) > :one AND (attribute_not_exists(#lastClaim) OR #lastClaim <= :clearedAtSerial)',
          ExpressionAttributeNames: { '#lastClaim': `lastClaim#${RECORD.incidentKey}` },
          ExpressionAttributeValues: {
            ':claim': { SS: [RECORD.incidentKey] },
            ':claimKey': { S: RECORD.incidentKey },
            ':one': { N: '1' },
            ':clearedAtSerial': { N: '3' },
            ':false': { BOOL: false },
            ':capturedAt': { S: RECORD.capturedAt },
            ':incidentKey': { S: RECORD.incidentKey },
          },
        },
      ]);
    });

    it('answers changed when the condition fails (the last claim, or the record changed)', async () => {
      dynamoMock.on(UpdateItemCommand).rejects(sdkError('ConditionalCheckFailedException'));
      expect(await store.releaseClaim({ ...RECORD, claims: [RECORD.incidentKey, 'gd-later'] }, 'gd-later')).toBe('changed');
    });
  });

  describe('get', () => {
    it('merges the claims kept beside the record', async () => {
      dynamoMock.on(GetItemCommand).resolves({
        Item: {
          pk: { S: PK },
          released: { BOOL: false },
          claims: { SS: ['gd-later', RECORD.incidentKey] },
          releasedClaims: { SS: ['gd-other'] },
          claimSerial: { N: '2' },
          'lastClaim#gd-later': { N: '2' },
          // Not a whole number: left out (the take-back's condition still compares the stored value).
          'lastClaim#gd-odd': { N: '1.5' },
          'lastClaim#gd-text': { S: '9' },
          record: { S: JSON.stringify({ ...RECORD, released: false }) },
        },
      });
      expect(await store.get(ACCOUNT, REGION, INSTANCE_ID)).toEqual({
        ...RECORD,
        claims: [RECORD.incidentKey, 'gd-later'].sort(),
        releasedClaims: ['gd-other'],
        claimSerial: 2,
        lastClaims: { 'gd-later': 2 },
        released: false,
      });
    });

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
    const LAST_CLAIM = 'attribute_exists(pk) AND (attribute_not_exists(claims) OR (size(claims) = :one AND contains(claims, :claimKey)))';

    it('sets released, when and by whom, only on an existing record', async () => {
      dynamoMock.on(UpdateItemCommand).resolves({});
      expect(await store.markReleased(ACCOUNT, REGION, INSTANCE_ID, { incidentKey: RECORD.incidentKey, releasedAt: '2026-11-27T16:30:00.000Z', releasedBy: 'release-1' })).toBe('released');
      expect(inputsOf(dynamoMock, UpdateItemCommand)).toEqual([
        {
          TableName: TABLE,
          Key: { pk: { S: PK } },
          UpdateExpression: 'SET released = :true, releasedAt = :releasedAt, releasedBy = :releasedBy REMOVE restoringFor, restoringUntil, restoringBy ADD releasedClaims :claim DELETE claims :claim',
          ConditionExpression: LAST_CLAIM,
          ExpressionAttributeValues: {
            ':true': { BOOL: true },
            ':releasedAt': { S: '2026-11-27T16:30:00.000Z' },
            ':releasedBy': { S: 'release-1' },
            ':claim': { SS: [RECORD.incidentKey] },
            ':claimKey': { S: RECORD.incidentKey },
            ':one': { N: '1' },
          },
        },
      ]);
    });

    it('answers claimed, writing nothing, when another incident claimed the instance since the release read the record', async () => {
      dynamoMock.on(UpdateItemCommand).rejects(sdkError('ConditionalCheckFailedException'));
      expect(await store.markReleased(ACCOUNT, REGION, INSTANCE_ID, { incidentKey: RECORD.incidentKey, releasedAt: 'later', releasedBy: 'release-1' })).toBe('claimed');
    });

    it('also sets the reason given for the release', async () => {
      dynamoMock.on(UpdateItemCommand).resolves({});
      await store.markReleased(ACCOUNT, REGION, INSTANCE_ID, {
        incidentKey: RECORD.incidentKey,
        releasedAt: '2026-11-27T16:30:00.000Z',
        releasedBy: 'arn:aws:iam::111122223333:user/alice',
        releaseReason: 'false positive',
      });
      expect(inputsOf(dynamoMock, UpdateItemCommand)).toEqual([
        {
          TableName: TABLE,
          Key: { pk: { S: PK } },
          UpdateExpression: 'SET released = :true, releasedAt = :releasedAt, releasedBy = :releasedBy, releaseReason = :releaseReason REMOVE restoringFor, restoringUntil, restoringBy ADD releasedClaims :claim DELETE claims :claim',
          ConditionExpression: LAST_CLAIM,
          ExpressionAttributeValues: {
            ':true': { BOOL: true },
            ':releasedAt': { S: '2026-11-27T16:30:00.000Z' },
            ':releasedBy': { S: 'arn:aws:iam::111122223333:user/alice' },
            ':releaseReason': { S: 'false positive' },
            ':claim': { SS: [RECORD.incidentKey] },
            ':claimKey': { S: RECORD.incidentKey },
            ':one': { N: '1' },
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
    await memory.markReleased(ACCOUNT, REGION, INSTANCE_ID, { incidentKey: RECORD.incidentKey, releasedAt: 'later', releasedBy: 'release-1' });
    expect(await memory.supplement(RECORD, next)).toBe('changed');
  });


  it('ATTACK (prefix-targets): supplements a sealed record only while it is still the one read: of two runs that read it, the second to write answers changed (row 3v)', async () => {
    const memory = new InMemoryQuarantineRecordStore();
    const seal = (mac: string): RecordSeal => ({ scheme: RECORD_SEAL_SCHEME, algorithm: RECORD_MAC_ALGORITHM, keyId: 'key', mac });
    const read: QuarantineRecord = { ...RECORD, seal: seal('read') };
    await memory.saveIfAbsent(read);
    const classic = (name: string) => ({ loadBalancers: { targets: [], classic: [{ loadBalancerName: name, managedByGroup: false }] } });
    expect(await memory.supplement(read, { ...RECORD, ...classic('first'), seal: seal('first') })).toBe('saved');
    expect(await memory.supplement(read, { ...RECORD, ...classic('second'), seal: seal('second') })).toBe('changed');
    expect((await memory.get(ACCOUNT, REGION, INSTANCE_ID))?.loadBalancers?.classic.map((c) => c.loadBalancerName)).toEqual(['first']);
  });

  it('holds the instance while any incident claims it: a claim goes back only while another remains, the last one releases', async () => {
    const memory = new InMemoryQuarantineRecordStore();
    await memory.saveIfAbsent(RECORD);
    const written = (await memory.get(ACCOUNT, REGION, INSTANCE_ID))!;
    expect(claimsOf(written)).toEqual([RECORD.incidentKey]);
    expect(await memory.claim(written, 'gd-later', AT)).toBe('claimed');
    const claimed = (await memory.get(ACCOUNT, REGION, INSTANCE_ID))!;
    expect(claimed.claims).toEqual([RECORD.incidentKey, 'gd-later']);
    // Not the last claim: the writer's goes, and the later incident alone holds it.
    expect(await memory.releaseClaim(claimed, RECORD.incidentKey)).toBe('released');
    const held = (await memory.get(ACCOUNT, REGION, INSTANCE_ID))!;
    expect(held).toMatchObject({ claims: ['gd-later'], releasedClaims: [RECORD.incidentKey], released: false });
    // The last claim never goes alone: its release restores the instance and marks the record.
    expect(await memory.releaseClaim(held, 'gd-later')).toBe('changed');
    expect(await memory.markReleased(ACCOUNT, REGION, INSTANCE_ID, { incidentKey: RECORD.incidentKey, releasedAt: 'later', releasedBy: 'release-1' })).toBe('claimed');
    expect(await memory.markReleased(ACCOUNT, REGION, INSTANCE_ID, { incidentKey: 'gd-later', releasedAt: 'later', releasedBy: 'release-1' })).toBe('released');
    expect(await memory.get(ACCOUNT, REGION, INSTANCE_ID)).toMatchObject({ released: true, releasedClaims: [RECORD.incidentKey, 'gd-later'] });
  });

  it("refuses a claim while the last release holds the record for its restore, and again accepts one once the hold has ended", async () => {
    const memory = new InMemoryQuarantineRecordStore();
    await memory.saveIfAbsent(RECORD);
    const written = (await memory.get(ACCOUNT, REGION, INSTANCE_ID))!;
    expect(await memory.holdForRestore(written, RECORD.incidentKey, '2026-11-27T16:33:00.000Z', RELEASE_1)).toBe('held');
    expect(await memory.claim(written, 'gd-later', '2026-11-27T16:31:00.000Z')).toEqual({ heldFor: RECORD.incidentKey, heldUntil: '2026-11-27T16:33:00.000Z' });
    expect((await memory.get(ACCOUNT, REGION, INSTANCE_ID))?.claims).toEqual([RECORD.incidentKey]);
    // A release that died holding it (its Lambda timed out) blocks claims only until the hold ends.
    expect(await memory.claim(written, 'gd-later', '2026-11-27T16:33:01.000Z')).toBe('claimed');
    // Now the release's hold fails: the later incident holds the instance too.
    expect(await memory.holdForRestore((await memory.get(ACCOUNT, REGION, INSTANCE_ID))!, RECORD.incidentKey, '2026-11-27T16:40:00.000Z', RELEASE_1)).toBe('claimed');
  });

  it('ends the hold when the record is marked released: a new incident then writes its own record', async () => {
    const memory = new InMemoryQuarantineRecordStore();
    await memory.saveIfAbsent(RECORD);
    expect(await memory.holdForRestore((await memory.get(ACCOUNT, REGION, INSTANCE_ID))!, RECORD.incidentKey, '2026-11-27T16:33:00.000Z', RELEASE_1)).toBe('held');
    expect(await memory.markReleased(ACCOUNT, REGION, INSTANCE_ID, { incidentKey: RECORD.incidentKey, releasedAt: 'later', releasedBy: 'release-1' })).toBe('released');
    expect(await memory.saveIfAbsent({ ...RECORD, incidentKey: 'gd-later' })).toBe('saved');
    const fresh = (await memory.get(ACCOUNT, REGION, INSTANCE_ID))!;
    expect(await memory.claim(fresh, 'gd-third', '2026-11-27T16:31:00.000Z')).toBe('claimed');
  });

  it('holds the record for one release execution: another one, of the same incident, is answered that hold until it ends or the record is marked; the holder re-takes its own', async () => {
    const memory = new InMemoryQuarantineRecordStore();
    await memory.saveIfAbsent(RECORD);
    const written = (await memory.get(ACCOUNT, REGION, INSTANCE_ID))!;
    const RELEASE_2 = { executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:Firebreak-release-instance:release-2', at: AT };
    expect(await memory.holdForRestore(written, RECORD.incidentKey, '2026-11-27T16:33:00.000Z', RELEASE_1)).toBe('held');
    expect(await memory.holdForRestore(written, RECORD.incidentKey, '2026-11-27T16:33:00.000Z', RELEASE_2)).toEqual({
      heldFor: RECORD.incidentKey,
      heldUntil: '2026-11-27T16:33:00.000Z',
      heldBy: RELEASE_1.executionArn,
    });
    // The holder's retry (the playbook's Retry of the same execution) takes its hold again.
    expect(await memory.holdForRestore(written, RECORD.incidentKey, '2026-11-27T16:33:30.000Z', RELEASE_1)).toBe('held');
    // A hold that has ended (its release died) no longer keeps the other execution out.
    expect(await memory.holdForRestore(written, RECORD.incidentKey, '2026-11-27T16:37:00.000Z', { ...RELEASE_2, at: '2026-11-27T16:33:31.000Z' })).toBe('held');
    // Quarantine's claim still sees whichever hold is on.
    expect(await memory.claim(written, 'gd-later', '2026-11-27T16:34:00.000Z')).toEqual({ heldFor: RECORD.incidentKey, heldUntil: '2026-11-27T16:37:00.000Z' });
  });

  it('advances the claim serial with every claim write, the same incident claiming again included, and holds only at the serial read', async () => {
    const memory = new InMemoryQuarantineRecordStore();
    await memory.saveIfAbsent(RECORD);
    const written = (await memory.get(ACCOUNT, REGION, INSTANCE_ID))!;
    expect(written.claimSerial).toBe(1);
    // A new execution of the same incident (GuardDuty updated its finding): the claims read the same, the serial does not.
    expect(await memory.claim(written, RECORD.incidentKey, AT)).toBe('claimed');
    const again = (await memory.get(ACCOUNT, REGION, INSTANCE_ID))!;
    expect(again).toMatchObject({ claims: [RECORD.incidentKey], claimSerial: 2 });
    expect(await memory.holdForRestore(written, RECORD.incidentKey, '2026-11-27T16:33:00.000Z', RELEASE_1)).toBe('claimed');
    expect(await memory.holdForRestore(again, RECORD.incidentKey, '2026-11-27T16:33:00.000Z', RELEASE_1)).toBe('held');
  });

  it("keeps each incident's latest claim serial, and takes back no claim its incident wrote after the serial a release was cleared at", async () => {
    const memory = new InMemoryQuarantineRecordStore();
    await memory.saveIfAbsent(RECORD);
    expect((await memory.get(ACCOUNT, REGION, INSTANCE_ID))?.lastClaims).toEqual({ [RECORD.incidentKey]: 1 });
    expect(await memory.claim((await memory.get(ACCOUNT, REGION, INSTANCE_ID))!, 'gd-later', AT)).toBe('claimed');
    expect(await memory.claim((await memory.get(ACCOUNT, REGION, INSTANCE_ID))!, RECORD.incidentKey, AT)).toBe('claimed');
    const read = (await memory.get(ACCOUNT, REGION, INSTANCE_ID))!;
    expect(read).toMatchObject({ claimSerial: 3, lastClaims: { [RECORD.incidentKey]: 3, 'gd-later': 2 } });
    expect(await memory.releaseClaim(read, RECORD.incidentKey, 2)).toBe('changed');
    expect(await memory.releaseClaim(read, 'gd-later', 2)).toBe('released');
  });

  it('counts a record written before claims as held by its own incident alone', () => {
    expect(claimsOf(RECORD)).toEqual([RECORD.incidentKey]);
    expect(claimsOf({ ...RECORD, claims: ['gd-later'] })).toEqual(['gd-later']);
  });

  it('keeps the first record while it is not released, then accepts a new quarantine after release', async () => {
    const memory = new InMemoryQuarantineRecordStore();
    expect(await memory.saveIfAbsent(RECORD)).toBe('saved');
    expect(await memory.saveIfAbsent({ ...RECORD, incidentKey: 'second', networkInterfaces: [] })).toBe('exists');
    expect((await memory.get(ACCOUNT, REGION, INSTANCE_ID))?.incidentKey).toBe(RECORD.incidentKey);
    await memory.markReleased(ACCOUNT, REGION, INSTANCE_ID, { incidentKey: RECORD.incidentKey, releasedAt: 'later', releasedBy: 'release-1' });
    expect(await memory.saveIfAbsent({ ...RECORD, incidentKey: 'third' })).toBe('saved');
    expect(await memory.get(ACCOUNT, REGION, INSTANCE_ID)).toMatchObject({ incidentKey: 'third', released: false });
  });
});
