/** The grant store over DynamoDB: the exact calls, the conditional put that never replaces a grant, fail-closed parsing. */
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbGrantStore, approvalKey, grantFromItem, grantKey } from '../../lib/responders/grants';
import { ResponderFailedError, TransientResponderError } from '../../lib/contracts/responder-errors';
import { EXECUTION_ARN, grantFor } from '../support/grants';
import { ec2Incident } from '../support/incidents';

const ddb = mockClient(DynamoDBClient);
const TABLE = 'firebreak-state';
const NOW = new Date('2026-11-20T10:05:00.000Z');
const grant = grantFor(ec2Incident(), NOW, {
  status: 'awaiting-approval',
  approvalDeadline: '2026-11-20T11:05:00.000Z',
  onTimeout: 'contain',
  expiresAt: Math.floor(NOW.getTime() / 1000) + 3600 + 900,
});
const ITEM = {
  pk: { S: `grant#${EXECUTION_ARN}` },
  executionArn: { S: EXECUTION_ARN },
  playbook: { S: 'compromised-ec2-instance' },
  incidentKey: { S: grant.incidentKey },
  incidentDigest: { S: grant.incidentDigest },
  account: { S: '111122223333' },
  region: { S: 'eu-west-1' },
  instanceId: { S: 'i-0abc1234def567890' },
  kind: { S: 'contain' },
  gameDay: { BOOL: false },
  mode: { S: 'enforce' },
  status: { S: 'awaiting-approval' },
  approvalDeadline: { S: '2026-11-20T11:05:00.000Z' },
  onTimeout: { S: 'contain' },
  grantedAt: { S: NOW.toISOString() },
  expiresAt: { N: String(grant.expiresAt) },
  ttl: { N: String(grant.expiresAt) },
};
const store = () => new DynamoDbGrantStore(new DynamoDBClient({ region: 'eu-west-1' }), TABLE);

beforeEach(() => ddb.reset());
afterEach(() => ddb.reset());

describe('DynamoDbGrantStore', () => {
  it('writes a grant with one conditional PutItem that never replaces an existing one', async () => {
    ddb.on(PutItemCommand).resolves({});
    expect(await store().putIfAbsent(grant)).toEqual({ written: true, grant });
    expect(ddb.commandCalls(PutItemCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: TABLE,
        Item: ITEM,
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    ]);
  });

  it('answers with the grant already in force when one exists (the condition failed)', async () => {
    const existing = { ...ITEM, status: { S: 'proceed' } };
    ddb.on(PutItemCommand).rejects(Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException', Item: existing }));
    const answer = await store().putIfAbsent(grant);
    expect(answer.written).toBe(false);
    expect(answer.grant.status).toBe('proceed');
  });

  it('reads grants and approvals with consistent GetItem by their keys', async () => {
    ddb.on(GetItemCommand, { Key: { pk: { S: grantKey(EXECUTION_ARN) } } }).resolves({ Item: ITEM });
    ddb.on(GetItemCommand, { Key: { pk: { S: approvalKey(EXECUTION_ARN) } } }).resolves({
      Item: {
        pk: { S: approvalKey(EXECUTION_ARN) },
        incidentKey: { S: grant.incidentKey },
        decision: { S: 'approved' },
        decidedBy: { S: 'arn:aws:sts::111122223333:assumed-role/OnCall/ana' },
      },
    });
    expect(await store().getGrant(EXECUTION_ARN)).toEqual(grant);
    expect(await store().getApproval(EXECUTION_ARN)).toMatchObject({ executionArn: EXECUTION_ARN, decision: 'approved', decidedBy: 'arn:aws:sts::111122223333:assumed-role/OnCall/ana' });
    expect(ddb.commandCalls(GetItemCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: TABLE, Key: { pk: { S: `grant#${EXECUTION_ARN}` } }, ConsistentRead: true },
      {
        TableName: TABLE,
        Key: { pk: { S: `approval#${EXECUTION_ARN}` } },
        ConsistentRead: true,
        // Only the shared record's attributes: the task token is never read by quarantine or release.
        ProjectionExpression: '#a0, #a1, #a2, #a3, #a4, #a5, #a6, #a7',
        ExpressionAttributeNames: {
          '#a0': 'pk',
          '#a1': 'executionArn',
          '#a2': 'incidentKey',
          '#a3': 'requestedAt',
          '#a4': 'decision',
          '#a5': 'decidedBy',
          '#a6': 'decidedAt',
          '#a7': 'reason',
        },
      },
    ]);
  });

  it('fails closed on an approval item with a decision that is neither approved nor rejected', async () => {
    ddb.on(GetItemCommand).resolves({ Item: { pk: { S: approvalKey(EXECUTION_ARN) }, incidentKey: { S: grant.incidentKey }, decision: { S: 'maybe' } } });
    await expect(store().getApproval(EXECUTION_ARN)).rejects.toThrow(/unknown decision "maybe"/);
  });

  it('fails closed on an item that is not a grant, and classifies throttling as transient', async () => {
    expect(() => grantFromItem({ ...ITEM, kind: { S: 'anything' } })).toThrow(ResponderFailedError);
    expect(() => grantFromItem({ ...ITEM, expiresAt: { S: 'soon' } })).toThrow(/expiresAt/);
    // A grant that binds no incident digest (written before grants carried one) clears nothing.
    const { incidentDigest: _digest, ...undigested } = ITEM;
    expect(() => grantFromItem(undigested)).toThrow(/no "incidentDigest" attribute/);
    ddb.on(GetItemCommand).rejects(Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' }));
    await expect(store().getGrant(EXECUTION_ARN)).rejects.toBeInstanceOf(TransientResponderError);
  });

  it('refuses to work without a table name, at first use rather than at cold start', async () => {
    const nameless = new DynamoDbGrantStore(new DynamoDBClient({ region: 'eu-west-1' }), '');
    await expect(nameless.getGrant(EXECUTION_ARN)).rejects.toThrow(/FIREBREAK_STATE_TABLE/);
  });
});
