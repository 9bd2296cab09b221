/**
 * stringItemStore against the state table (aws-sdk-client-mock): the exact GetItem (consistent, by
 * `pk`) and PutItem (the listed fields only, an absent optional one left out) it sends, no item read
 * as no record, and a stored item is a claim: a required field missing or not a string, or an
 * optional one there but not a string, makes the whole item no record, never part of one.
 */
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { ResponderAccessDeniedError, TransientResponderError } from '../../lib/contracts/responder-errors';
import { stringItemStore } from '../../lib/responders/string-item-store';
import { inputsOf, sdkError } from './quarantine-fixtures';

const ddbMock = mockClient(DynamoDBClient);
const store = stringItemStore(new DynamoDBClient({ region: 'eu-west-1' }), 'state', { required: ['incidentKey', 'recordedAt'], optional: ['versionId'] });
const PK = 'securityhub#gd-8b2e6d4f0a1c4e3b9d7f5a3c1e9b7d5f';
const VALUES = { incidentKey: 'gd-8b2e6d4f0a1c4e3b9d7f5a3c1e9b7d5f', recordedAt: '2026-03-19T12:00:00.000Z', versionId: 'Rb4kBsH0hZ6bB.7Yx_3yEXAMPLE' };
const ITEM: Record<string, AttributeValue> = {
  pk: { S: PK },
  incidentKey: { S: VALUES.incidentKey },
  recordedAt: { S: VALUES.recordedAt },
  versionId: { S: VALUES.versionId },
};

afterEach(() => ddbMock.reset());

describe('stringItemStore', () => {
  it('writes the listed fields under pk, with the exact item', async () => {
    ddbMock.on(PutItemCommand).resolves({});
    await store.put(PK, VALUES);
    expect(inputsOf(ddbMock, PutItemCommand)).toEqual([{ TableName: 'state', Item: ITEM }]);
  });

  it('leaves an absent optional field out of the item, and writes no field it was not given to write', async () => {
    ddbMock.on(PutItemCommand).resolves({});
    const { versionId: _versionId, ...required } = VALUES;
    await store.put(PK, { ...required, unlisted: 'never stored' } as typeof required);
    const { versionId: _attribute, ...item } = ITEM;
    expect(inputsOf(ddbMock, PutItemCommand)).toEqual([{ TableName: 'state', Item: item }]);
  });

  it('reads the item back by pk, consistently, with the exact input', async () => {
    ddbMock.on(GetItemCommand).resolves({ Item: ITEM });
    expect(await store.get(PK)).toEqual(VALUES);
    expect(inputsOf(ddbMock, GetItemCommand)).toEqual([{ TableName: 'state', Key: { pk: { S: PK } }, ConsistentRead: true }]);
  });

  it('reads an item without an optional field as values without it, and keeps no attribute it does not list', async () => {
    const { versionId: _versionId, ...item } = ITEM;
    ddbMock.on(GetItemCommand).resolves({ Item: { ...item, injected: { S: 'not a listed field' } } });
    const { versionId: _value, ...required } = VALUES;
    expect(await store.get(PK)).toEqual(required);
  });

  it('answers no record when there is no item', async () => {
    ddbMock.on(GetItemCommand).resolves({});
    expect(await store.get(PK)).toBeUndefined();
  });

  it.each<[string, Record<string, unknown>]>([
    ['a required field missing', { recordedAt: undefined }],
    ['a required field of another type', { recordedAt: { N: '1773921600' } }],
    ['a required field whose S is not a string', { incidentKey: { S: 42 } }],
    ['an optional field of another type', { versionId: { N: '1' } }],
    ['an optional field whose S is not a string', { versionId: { S: ['Rb4kBsH0hZ6bB'] } }],
    ['an optional field that is null', { versionId: null }],
  ])('rejects a stored item with %s as a claim it cannot trust: no record, never part of one', async (_case, change) => {
    const item = Object.fromEntries(Object.entries({ ...ITEM, ...change }).filter(([, attribute]) => attribute !== undefined));
    ddbMock.on(GetItemCommand).resolves({ Item: item as Record<string, AttributeValue> });
    expect(await store.get(PK)).toBeUndefined();
  });

  it('turns throttling of the read into the responder error the state machine retries', async () => {
    ddbMock.on(GetItemCommand).rejects(sdkError('ProvisionedThroughputExceededException', 400));
    await expect(store.get(PK)).rejects.toBeInstanceOf(TransientResponderError);
  });

  it('turns a refusal of the write into the responder error the state machine catches', async () => {
    ddbMock.on(PutItemCommand).rejects(sdkError('AccessDeniedException', 400));
    await expect(store.put(PK, VALUES)).rejects.toBeInstanceOf(ResponderAccessDeniedError);
  });
});
