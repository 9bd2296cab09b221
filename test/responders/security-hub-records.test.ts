/**
 * DynamoDbSecurityHubFindingRecords against the state table (aws-sdk-client-mock): the exact
 * GetItem and PutItem the update-security-hub-finding Lambda sends (its role may touch only
 * `securityhub#` keys), and a stored item missing a field read as no record rather than half a one.
 */
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { ResponderAccessDeniedError } from '../../lib/contracts/responder-errors';
import type { SecurityHubFindingRecord } from '../../lib/responders/security-hub-records';
import { DynamoDbSecurityHubFindingRecords } from '../../lib/responders/security-hub-records';
import { inputsOf, sdkError } from './quarantine-fixtures';

const ddbMock = mockClient(DynamoDBClient);
const store = new DynamoDbSecurityHubFindingRecords(new DynamoDBClient({ region: 'eu-west-1' }), 'state');
const KEY = 'gd-8b2e6d4f0a1c4e3b9d7f5a3c1e9b7d5f';
const FINDING_ARN = 'arn:aws:guardduty:eu-west-1:444455556666:detector/5ab6c7d8e9f0a1b2c3d4e5f6a7b8c9d0/finding/8b2e6d4f0a1c4e3b9d7f5a3c1e9b7d5f';
const PRODUCT_ARN = 'arn:aws:securityhub:eu-west-1::product/aws/guardduty';
const RECORD: SecurityHubFindingRecord = { incidentKey: KEY, id: FINDING_ARN, productArn: PRODUCT_ARN, account: '444455556666', region: 'eu-west-1', recordedAt: '2026-03-19T12:00:00.000Z' };
const ITEM = {
  pk: { S: `securityhub#${KEY}` },
  id: { S: FINDING_ARN },
  productArn: { S: PRODUCT_ARN },
  account: { S: '444455556666' },
  region: { S: 'eu-west-1' },
  recordedAt: { S: '2026-03-19T12:00:00.000Z' },
};

afterEach(() => ddbMock.reset());

describe('DynamoDbSecurityHubFindingRecords', () => {
  it('writes the finding under securityhub#<incident key>, with the exact item', async () => {
    ddbMock.on(PutItemCommand).resolves({});
    await store.put(RECORD);
    expect(inputsOf(ddbMock, PutItemCommand)).toEqual([{ TableName: 'state', Item: ITEM }]);
  });

  it('reads it back by the same key, consistently, with the exact input', async () => {
    ddbMock.on(GetItemCommand).resolves({ Item: ITEM });
    expect(await store.get(KEY)).toEqual(RECORD);
    expect(inputsOf(ddbMock, GetItemCommand)).toEqual([{ TableName: 'state', Key: { pk: { S: `securityhub#${KEY}` } }, ConsistentRead: true }]);
  });

  it('answers no record for no item, and for an item missing a field (never half a finding)', async () => {
    ddbMock.on(GetItemCommand).resolvesOnce({}).resolvesOnce({ Item: { ...ITEM, productArn: { N: '1' } } });
    expect(await store.get(KEY)).toBeUndefined();
    expect(await store.get(KEY)).toBeUndefined();
  });

  it('turns a refusal of the table into the responder error the state machine catches', async () => {
    ddbMock.on(PutItemCommand).rejects(sdkError('AccessDeniedException', 400));
    await expect(store.put(RECORD)).rejects.toBeInstanceOf(ResponderAccessDeniedError);
  });
});
