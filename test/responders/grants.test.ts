/**
 * The grant store over DynamoDB (the exact calls, the conditional put that never replaces a grant,
 * fail-closed parsing) and the words of the grant check. The allow/refuse decisions themselves are
 * tried both ways in rails-at-action.test.ts; several tests here were written for mutants that
 * Stryker found surviving (docs/testing.md).
 */
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApprovalRecord, ContainmentGrant } from '../../lib/contracts/security';
import type { GrantReader, GrantRequest } from '../../lib/responders/grants';
import { DynamoDbGrantReader, DynamoDbGrantStore, DynamoDbReleaseGrantReader, InMemoryGrantStore, approvalKey, checkContainmentGrant, evaluateGrant, grantFromItem, grantKey, releaseGrantCheck, releaseRecordOf } from '../../lib/responders/grants';
import { RESPONDER_NAMES } from '../../lib/contracts/responders';
import { releaseOptionsSchema } from '../../lib/responders/release';
import { deployedStepsOf, requestDigest } from '../../lib/responders/step-binding';
import { ResponderFailedError, TransientResponderError } from '../../lib/contracts/responder-errors';
import type { ExecutionStatusReader } from '../../lib/responders/execution-status';
import type { Incident } from '../../lib/incident/model';
import { EXECUTION_ARN, deployedStep, grantFor } from '../support/grants';
import { runAttempt } from '../../lib/responders/attempt-actions';
import { INSTANCE_ID, ec2Incident } from '../support/incidents';

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
/** Step Functions, as the readers ask it: every execution runs. */
/** The approval deadline of the awaiting grants below, a minute past it (the timeout path's step), and an approver. */
const DEADLINE = '2026-11-20T11:05:00.000Z';
const AFTER_DEADLINE = new Date(Date.parse(DEADLINE) + 60_000);
const ANA = 'arn:aws:sts::111122223333:assumed-role/OnCall/ana';
/** A grant of `incident` written at NOW, awaiting an approval due at DEADLINE. */
const awaitingGrant = (incident: Incident, onTimeout: 'contain' | 'evidence-only', fields: Partial<ContainmentGrant> = {}): ContainmentGrant => ({
  ...grantFor(incident, NOW),
  status: 'awaiting-approval',
  approvalDeadline: DEADLINE,
  onTimeout,
  expiresAt: Math.floor(Date.parse(DEADLINE) / 1000) + 900,
  ...fields,
});

const RUNNING: ExecutionStatusReader = { executionStatus: () => Promise.resolve('RUNNING') };

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

describe('DynamoDbGrantStore, each attribute both ways', () => {
  const proceed = grantFor(ec2Incident(), NOW);
  const PROCEED_ITEM = {
    pk: { S: `grant#${EXECUTION_ARN}` },
    executionArn: { S: EXECUTION_ARN },
    playbook: { S: 'compromised-ec2-instance' },
    incidentKey: { S: proceed.incidentKey },
    incidentDigest: { S: proceed.incidentDigest },
    account: { S: '111122223333' },
    region: { S: 'eu-west-1' },
    instanceId: { S: 'i-0abc1234def567890' },
    kind: { S: 'contain' },
    gameDay: { BOOL: false },
    mode: { S: 'enforce' },
    status: { S: 'proceed' },
    grantedAt: { S: NOW.toISOString() },
    expiresAt: { N: String(proceed.expiresAt) },
    ttl: { N: String(proceed.expiresAt) },
  };

  it('writes a proceed grant without approval attributes, and reads it back without them', async () => {
    ddb.on(PutItemCommand).resolves({});
    await store().putIfAbsent(proceed);
    expect(ddb.commandCalls(PutItemCommand)[0]!.args[0].input.Item).toEqual(PROCEED_ITEM);
    // Strict: an attribute read back as `undefined` is not the same grant.
    expect(grantFromItem(PROCEED_ITEM)).toStrictEqual(proceed);
  });

  it("keeps a manual playbook's request digest and a game day's flag through the table (both bind the steps)", async () => {
    const manual: ContainmentGrant = { ...proceed, requestDigest: 'a'.repeat(64), gameDay: true };
    ddb.on(PutItemCommand).resolves({});
    await store().putIfAbsent(manual);
    const written = ddb.commandCalls(PutItemCommand)[0]!.args[0].input.Item!;
    expect(written).toMatchObject({ requestDigest: { S: 'a'.repeat(64) }, gameDay: { BOOL: true } });
    expect(grantFromItem(written)).toStrictEqual(manual);
    // A grant item without a game-day flag is not a game day's.
    const { gameDay: _flag, ...unflagged } = PROCEED_ITEM;
    expect(grantFromItem(unflagged).gameDay).toBe(false);
  });

  it('keeps the mark of a grant cleared with no blast-radius slot through the table (the steps that act read it, row 15s)', async () => {
    const held: ContainmentGrant = { ...proceed, heldQuarantine: true };
    ddb.on(PutItemCommand).resolves({});
    await store().putIfAbsent(held);
    const written = ddb.commandCalls(PutItemCommand)[0]!.args[0].input.Item!;
    expect(written).toEqual({ ...PROCEED_ITEM, heldQuarantine: { BOOL: true } });
    expect(grantFromItem(written)).toStrictEqual(held);
    expect(grantFromItem({ ...PROCEED_ITEM, heldQuarantine: { BOOL: false } })).toStrictEqual(proceed);
  });

  it("keeps onTimeout evidence-only, and drops an onTimeout that is neither (never read as contain)", () => {
    expect(grantFromItem({ ...ITEM, onTimeout: { S: 'evidence-only' } }).onTimeout).toBe('evidence-only');
    expect(grantFromItem({ ...ITEM, onTimeout: { S: 'contain' } }).onTimeout).toBe('contain');
    expect(grantFromItem({ ...ITEM, onTimeout: { S: 'bogus' } })).not.toHaveProperty('onTimeout');
  });

  it('fails closed, with the responder error and the item named, on an item missing its key or expiry', () => {
    const { pk: _pk, ...keyless } = ITEM;
    expect(() => grantFromItem(keyless)).toThrow(new ResponderFailedError('State-table item ? has no "pk" attribute'));
    const { expiresAt: _expiry, ...expiryless } = ITEM;
    expect(() => grantFromItem(expiryless)).toThrow(new ResponderFailedError(`Grant grant#${EXECUTION_ARN} has no readable expiresAt`));
    const { pk: _k, expiresAt: _e, ...neither } = ITEM;
    expect(() => grantFromItem(neither)).toThrow(new ResponderFailedError('Grant ? has no readable expiresAt'));
    expect(() => grantFromItem({ ...ITEM, kind: { S: 'anything' } })).toThrow(
      new ResponderFailedError(`State-table item grant#${EXECUTION_ARN} has kind="anything", not one of contain, release`),
    );
  });

  it('names the DynamoDB call in a read error', async () => {
    ddb.on(GetItemCommand).rejects(Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' }));
    await expect(store().getGrant(EXECUTION_ARN)).rejects.toThrow('dynamodb:GetItem failed transiently (ProvisionedThroughputExceededException): slow down');
  });

  it('classifies a failed write that is not the condition, and reads nothing back', async () => {
    ddb.on(PutItemCommand).rejects(Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' }));
    await expect(store().putIfAbsent(proceed)).rejects.toThrow(new TransientResponderError('dynamodb:PutItem failed transiently (ProvisionedThroughputExceededException): slow down'));
    expect(ddb.commandCalls(GetItemCommand)).toHaveLength(0);
  });

  it('when the condition failed without the old item, reads the grant in force, and fails when it cannot', async () => {
    const conditionFailed = Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
    ddb.on(PutItemCommand).rejects(conditionFailed);
    ddb.on(GetItemCommand).resolves({ Item: { ...ITEM, status: { S: 'proceed' } } });
    expect(await store().putIfAbsent(grant)).toMatchObject({ written: false, grant: { status: 'proceed' } });

    ddb.on(GetItemCommand).resolves({});
    const failure = await store().putIfAbsent(grant).catch((error: unknown) => error);
    expect(failure).toEqual(new ResponderFailedError(`The grant of ${EXECUTION_ARN} exists but cannot be read back`));
    expect((failure as Error).cause).toBe(conditionFailed);
  });
});

describe('evaluateGrant: the reasons name what differs', () => {
  const incident = ec2Incident();
  const step = deployedStep(RESPONDER_NAMES.quarantineInstance, {});
  const contain: GrantRequest = { executionArn: EXECUTION_ARN, incident, instanceId: INSTANCE_ID, kind: 'contain', step };
  const proceed = grantFor(incident, NOW);
  const deadline = '2026-11-20T11:05:00.000Z';
  const awaiting: ContainmentGrant = { ...proceed, status: 'awaiting-approval', approvalDeadline: deadline, onTimeout: 'contain', expiresAt: Math.floor(Date.parse(deadline) / 1000) + 900 };
  const approval = (fields: Partial<ApprovalRecord>): ApprovalRecord => ({ pk: approvalKey(EXECUTION_ARN), executionArn: EXECUTION_ARN, incidentKey: incident.key, requestedAt: NOW.toISOString(), ...fields });
  const reason = (check: ReturnType<typeof evaluateGrant>) => check.reason;

  it('lists every field of the incident that is not the grant\'s', () => {
    const other = { ...incident, key: 'gd-other', account: '444455556666' };
    expect(reason(evaluateGrant({ ...contain, incident: other }, proceed, undefined, NOW))).toBe(
      `Refused to contain ${INSTANCE_ID}: the grant of execution ${EXECUTION_ARN} is for incident ${incident.key}, not gd-other, account 111122223333, not 444455556666; nothing was changed.`,
    );
    expect(reason(evaluateGrant({ ...contain, incident: { ...incident, region: 'us-east-1' } }, proceed, undefined, NOW))).toBe(
      `Refused to contain ${INSTANCE_ID}: the grant of execution ${EXECUTION_ARN} is for region eu-west-1, not us-east-1; nothing was changed.`,
    );
  });

  it("ATTACK (review-alarm): a grant on a playbook's onTimeout contain never contains an alarm's incident at the deadline (one an older guard wrote before row 10c, upgrade)", () => {
    // The guard writes evidence-only for an alarm now; a grant written by the guard before that
    // fix, still waiting when the fix is deployed, would otherwise contain at its deadline.
    const alarm = { ...incident, source: 'cloudwatch' as const };
    const alarmGrant: ContainmentGrant = { ...grantFor(alarm, NOW), status: 'awaiting-approval', approvalDeadline: deadline, onTimeout: 'contain', expiresAt: Math.floor(Date.parse(deadline) / 1000) + 900 };
    const check = evaluateGrant({ ...contain, incident: alarm }, alarmGrant, undefined, new Date(deadline));
    expect(check).toMatchObject({ allowed: false, code: 'awaiting-approval' });
    // An approval still clears it: the alarm rail is a person's, not a refusal.
    expect(evaluateGrant({ ...contain, incident: alarm }, alarmGrant, approval({ decision: 'approved', decidedAt: NOW.toISOString() }), new Date(deadline))).toMatchObject({ allowed: true });
  });

  it('says release for a release step, and which kind the grant allows', () => {
    const release: GrantRequest = { ...contain, kind: 'release' };
    expect(reason(evaluateGrant(release, proceed, undefined, NOW))).toBe(
      `Refused to release ${INSTANCE_ID}: the grant of execution ${EXECUTION_ARN} allows contain, not release; nothing was changed.`,
    );
  });

  it('says when an expired grant expired', () => {
    expect(reason(evaluateGrant(contain, { ...proceed, expiresAt: Date.parse('2026-11-20T10:00:00.000Z') / 1000 }, undefined, NOW))).toBe(
      `Refused to contain ${INSTANCE_ID}: the grant of execution ${EXECUTION_ARN} expired at 2026-11-20T10:00:00.000Z; nothing was changed.`,
    );
  });

  it('says who cleared it: the guard, an approver (named when recorded), or the deadline', () => {
    expect(reason(evaluateGrant(contain, proceed, undefined, NOW))).toBe(
      `Cleared by the containment guard at ${NOW.toISOString()} for compromised-ec2-instance (grant of execution ${EXECUTION_ARN}, enforce).`,
    );
    const named = evaluateGrant(contain, awaiting, approval({ decision: 'approved', decidedBy: ANA, decidedAt: NOW.toISOString() }), NOW);
    expect(named).toMatchObject({ allowed: true, approvedBy: ANA });
    expect(reason(named)).toBe(`Approved by arn:aws:sts::111122223333:assumed-role/OnCall/ana at ${NOW.toISOString()} (grant of execution ${EXECUTION_ARN}, enforce).`);
    const unnamed = evaluateGrant(contain, awaiting, approval({ decision: 'approved' }), NOW);
    expect(unnamed).not.toHaveProperty('approvedBy');
    expect(reason(unnamed)).toBe(`Approved by an approver (grant of execution ${EXECUTION_ARN}, enforce).`);
    expect(reason(evaluateGrant(contain, awaiting, undefined, new Date(deadline)))).toBe(
      `Nobody answered the approval request by ${deadline}, and the playbook's onTimeout is contain (grant of execution ${EXECUTION_ARN}, enforce).`,
    );
  });

  it('says who rejected it and why, when the record says', () => {
    expect(reason(evaluateGrant(contain, awaiting, approval({ decision: 'rejected', decidedBy: 'arn:aws:iam::111122223333:user/ana', reason: 'a database' }), NOW))).toBe(
      `Refused to contain ${INSTANCE_ID}: arn:aws:iam::111122223333:user/ana rejected it (a database); nothing was changed.`,
    );
    expect(reason(evaluateGrant(contain, awaiting, approval({ decision: 'rejected' }), NOW))).toBe(`Refused to contain ${INSTANCE_ID}: an approver rejected it; nothing was changed.`);
  });

  it('says until when it waits for approval, when the grant has a deadline', () => {
    expect(reason(evaluateGrant(contain, awaiting, undefined, NOW))).toBe(
      `Refused to contain ${INSTANCE_ID}: the grant of execution ${EXECUTION_ARN} waits for a person's approval (until ${deadline}), and none is recorded; nothing was changed.`,
    );
    const { approvalDeadline: _d, ...open } = awaiting;
    expect(reason(evaluateGrant(contain, open, undefined, NOW))).toBe(
      `Refused to contain ${INSTANCE_ID}: the grant of execution ${EXECUTION_ARN} waits for a person's approval, and none is recorded; nothing was changed.`,
    );
  });

  it('reads nothing for a request that names no execution', async () => {
    const reader: GrantReader = {
      getGrant: () => Promise.reject(new Error('read a grant for no execution')),
      getApproval: () => Promise.reject(new Error('read an approval for no execution')),
      executionStatus: () => Promise.reject(new Error('described no execution')),
      pauseState: () => Promise.reject(new Error('read the pause for no execution')),
    };
    expect(await checkContainmentGrant({ ...contain, executionArn: undefined }, reader, NOW)).toMatchObject({ allowed: false, code: 'no-execution' });
  });

  it("release's grant check runs on the current time by default", async () => {
    const store = new InMemoryGrantStore();
    const check = releaseGrantCheck(store, RESPONDER_NAMES.releaseInstance, deployedStepsOf({ FIREBREAK_PLAYBOOK_STEPS: '{"compromised-ec2-instance":[{}]}' }, releaseOptionsSchema));
    const target = { incident, instanceId: INSTANCE_ID, options: releaseOptionsSchema.parse({}), request: undefined };
    const now = new Date();
    store.grants.set(EXECUTION_ARN, { ...proceed, kind: 'release', grantedAt: now.toISOString(), expiresAt: Math.floor(now.getTime() / 1000) + 900 });
    // With when the guard cleared it: a key contained again after that was not what the approver was asked about.
    expect(await check(EXECUTION_ARN, target)).toEqual({ cleared: true, playbook: 'compromised-ec2-instance', mode: 'enforce', grantedAt: now.toISOString() });
  });

  it("release's grant check hands the release the record its grant bound (capture and claim serial), which release-instance holds the record at", async () => {
    const store = new InMemoryGrantStore();
    const check = releaseGrantCheck(store, RESPONDER_NAMES.releaseInstance, deployedStepsOf({ FIREBREAK_PLAYBOOK_STEPS: '{"compromised-ec2-instance":[{}]}' }, releaseOptionsSchema), () => NOW);
    const target = { incident, instanceId: INSTANCE_ID, options: releaseOptionsSchema.parse({}), request: undefined };
    const releaseRecord = { capturedAt: '2026-11-20T10:02:00.000Z', claimSerial: 3 };
    store.grants.set(EXECUTION_ARN, { ...proceed, kind: 'release', releaseRecord });
    expect(await check(EXECUTION_ARN, target)).toEqual({ cleared: true, playbook: 'compromised-ec2-instance', mode: 'enforce', grantedAt: proceed.grantedAt, releaseRecord });
  });
});

describe('the record a release grant binds', () => {
  const bound: ContainmentGrant = { ...grant, kind: 'release', releaseRecord: { capturedAt: '2026-11-20T10:02:00.000Z', claimSerial: 3 } };
  const BOUND_ITEM = { ...ITEM, kind: { S: 'release' }, releaseRecord: { M: { capturedAt: { S: '2026-11-20T10:02:00.000Z' }, claimSerial: { N: '3' } } } };

  it('is written beside the grant (one map attribute), and read back by release-instance\'s reader as it was', async () => {
    ddb.on(PutItemCommand).resolves({});
    await store().putIfAbsent(bound);
    expect(ddb.commandCalls(PutItemCommand)[0]!.args[0].input.Item).toEqual(BOUND_ITEM);
    ddb.on(GetItemCommand).resolves({ Item: BOUND_ITEM });
    expect(await new DynamoDbReleaseGrantReader(new DynamoDBClient({ region: 'eu-west-1' }), TABLE, RUNNING).getGrant(EXECUTION_ARN)).toEqual(bound);
    expect(ddb.commandCalls(GetItemCommand).map((call) => call.args[0].input)).toEqual([{ TableName: TABLE, Key: { pk: { S: `grant#${EXECUTION_ARN}` } }, ConsistentRead: true }]);
  });

  it('is read by no other reader: the other responders never restore an instance, and under their reader a release would restore nothing', async () => {
    ddb.on(GetItemCommand).resolves({ Item: BOUND_ITEM });
    expect((await store().getGrant(EXECUTION_ARN))?.releaseRecord).toBeUndefined();
  });

  it('fails closed on a bound record it cannot read whole', () => {
    expect(() => releaseRecordOf({ ...BOUND_ITEM, releaseRecord: { M: { capturedAt: { S: '2026-11-20T10:02:00.000Z' } } } })).toThrow(ResponderFailedError);
    expect(() => releaseRecordOf({ ...BOUND_ITEM, releaseRecord: { M: { claimSerial: { N: '3' } } } })).toThrow(ResponderFailedError);
    expect(() => releaseRecordOf({ ...BOUND_ITEM, releaseRecord: { M: { capturedAt: { S: 'x' }, claimSerial: { N: '-1' } } } })).toThrow(ResponderFailedError);
    expect(() => releaseRecordOf({ ...BOUND_ITEM, releaseRecord: { M: { capturedAt: { S: 'x' }, claimSerial: { N: '1.5' } } } })).toThrow(ResponderFailedError);
    expect(() => releaseRecordOf({ ...BOUND_ITEM, releaseRecord: { S: 'anything' } })).toThrow(ResponderFailedError);
    // None at all: the grant binds no record, and the release restores nothing under it.
    expect(releaseRecordOf(ITEM)).toBeUndefined();
    // Named, so that the failed step says which grant to look at.
    expect(() => releaseRecordOf({ ...BOUND_ITEM, releaseRecord: { M: { claimSerial: { N: '3' } } } })).toThrow(
      `Grant grant#${EXECUTION_ARN} has a releaseRecord that is not a capture and claim serial`,
    );
  });

  // Mutation testing (Stryker) found both untested: serial 0 refused would make every record written
  // before claim serials unreleasable; a missing grant read as a malformed one would fail the step
  // where it should refuse, naming no grant.
  it('reads serial 0 back as 0 (a record from before claim serials, absent counting as 0)', async () => {
    const atZero: ContainmentGrant = { ...bound, releaseRecord: { capturedAt: '2026-11-20T10:02:00.000Z', claimSerial: 0 } };
    ddb.on(PutItemCommand).resolves({});
    await store().putIfAbsent(atZero);
    const written = ddb.commandCalls(PutItemCommand)[0]!.args[0].input.Item!;
    expect(written.releaseRecord).toEqual({ M: { capturedAt: { S: '2026-11-20T10:02:00.000Z' }, claimSerial: { N: '0' } } });
    ddb.on(GetItemCommand).resolves({ Item: written });
    expect(await new DynamoDbReleaseGrantReader(new DynamoDBClient({ region: 'eu-west-1' }), TABLE, RUNNING).getGrant(EXECUTION_ARN)).toEqual(atZero);
  });

  it("answers no grant when release-instance's reader finds none", async () => {
    ddb.on(GetItemCommand).resolves({});
    expect(await new DynamoDbReleaseGrantReader(new DynamoDBClient({ region: 'eu-west-1' }), TABLE, RUNNING).getGrant(EXECUTION_ARN)).toBeUndefined();
  });
});

describe('checkContainmentGrant: a grant clears a step only while its execution runs', () => {
  const incident = ec2Incident();
  const contain: GrantRequest = { executionArn: EXECUTION_ARN, incident, instanceId: INSTANCE_ID, kind: 'contain', step: deployedStep(RESPONDER_NAMES.quarantineInstance, {}) };
  const proceed = grantFor(incident, NOW);
  const storeWith = (status: string | undefined, grant: ContainmentGrant = proceed) => {
    const grants = new InMemoryGrantStore();
    grants.grants.set(EXECUTION_ARN, grant);
    grants.executions.set(EXECUTION_ARN, status);
    return grants;
  };

  it.each(['ABORTED', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'PENDING_REDRIVE'])('ATTACK: refuses a valid grant of an execution that is %s, naming the status', async (status) => {
    expect(await checkContainmentGrant(contain, storeWith(status), NOW)).toEqual({
      allowed: false,
      code: 'execution-not-running',
      grant: proceed,
      reason: `Refused to contain ${INSTANCE_ID}: Step Functions says execution ${EXECUTION_ARN} is ${status}, not RUNNING (stopped or ended), and a grant clears a step only while its execution runs; nothing was changed.`,
    });
  });

  it('clears the same grant while its execution is RUNNING (the rail does not block everything)', async () => {
    expect(await checkContainmentGrant(contain, storeWith('RUNNING'), NOW)).toMatchObject({ allowed: true, grant: proceed });
  });

  it("confirms the step's origin to the incident record only for a grant that clears it while its execution runs (row 17d)", async () => {
    const confirmed = async (status: string | undefined, request: GrantRequest = contain) =>
      (await runAttempt(() => checkContainmentGrant(request, storeWith(status), NOW), () => NOW)).originVerified;
    expect(await confirmed('RUNNING')).toBe(true);
    expect(await confirmed('SUCCEEDED')).toBe(false);
    expect(await confirmed('RUNNING', { ...contain, instanceId: 'i-00000000000000000' })).toBe(false);
    expect(await confirmed('RUNNING', { ...contain, executionArn: undefined })).toBe(false);
  });

  it("ATTACK (review-17d): a RUNNING execution's grant confirms no invocation naming another incident, nor one it does not clear yet", async () => {
    const confirmed = async (request: GrantRequest, grant?: ContainmentGrant) =>
      (await runAttempt(() => checkContainmentGrant(request, storeWith('RUNNING', grant), NOW), () => NOW)).originVerified;
    expect(await confirmed({ ...contain, incident: { ...contain.incident, key: 'gd-another-incident' } })).toBe(false);
    expect(await confirmed({ ...contain, kind: 'release' })).toBe(false);
    expect(await confirmed(contain, { ...proceed, status: 'awaiting-approval', approvalDeadline: new Date(NOW.getTime() + 60_000).toISOString(), onTimeout: 'contain' })).toBe(false);
    expect(await confirmed(contain)).toBe(true);
  });

  it('refuses when Step Functions does not know the execution or does not let the role see it', async () => {
    expect(await checkContainmentGrant(contain, storeWith(undefined), NOW)).toEqual({
      allowed: false,
      code: 'execution-not-running',
      grant: proceed,
      reason: `Refused to contain ${INSTANCE_ID}: Step Functions does not show execution ${EXECUTION_ARN} (it does not exist, or is not one of this deployment's playbook executions), and a grant clears a step only while its execution runs; nothing was changed.`,
    });
  });

  it("ATTACK: refuses an awaiting-approval grant under onTimeout contain past its deadline once the execution was stopped (the stop cancelled the containment)", async () => {
    const deadline = new Date(NOW.getTime() - 60_000).toISOString();
    const awaiting: ContainmentGrant = { ...proceed, status: 'awaiting-approval', approvalDeadline: deadline, onTimeout: 'contain', expiresAt: Math.floor(NOW.getTime() / 1000) + 840 };
    expect(await checkContainmentGrant(contain, storeWith('RUNNING', awaiting), NOW)).toMatchObject({ allowed: true });
    expect(await checkContainmentGrant(contain, storeWith('ABORTED', awaiting), NOW)).toMatchObject({ allowed: false, code: 'execution-not-running', reason: expect.stringContaining('is ABORTED, not RUNNING') });
  });

  it('says what it would do for a step that changes no subject', async () => {
    const update: GrantRequest = { executionArn: EXECUTION_ARN, incident, kind: 'contain', action: `set the Security Hub finding of incident ${incident.key} to NOTIFIED`, expiry: 'ignored', step: contain.step };
    expect((await checkContainmentGrant(update, storeWith('SUCCEEDED'), NOW)).reason).toMatch(/^Refused to set the Security Hub finding of incident .* to NOTIFIED: Step Functions says execution .* is SUCCEEDED/);
  });

  it("keeps the grant's own refusal when the grant clears nothing anyway (its reason says more)", async () => {
    const none = new InMemoryGrantStore();
    none.executions.set(EXECUTION_ARN, 'ABORTED');
    expect(await checkContainmentGrant(contain, none, NOW)).toMatchObject({ allowed: false, code: 'no-grant' });
  });

  it('asks Step Functions while it reads the grant, not after (off the critical path)', async () => {
    const asked: string[] = [];
    let answerGrant: (grant: ContainmentGrant) => void = () => undefined;
    const reader: GrantReader = {
      getGrant: (executionArn) => {
        asked.push(`grant ${executionArn}`);
        return new Promise((resolve) => (answerGrant = resolve));
      },
      getApproval: () => Promise.resolve(undefined),
      executionStatus: (executionArn) => {
        asked.push(`status ${executionArn}`);
        return Promise.resolve('RUNNING');
      },
      pauseState: () => {
        asked.push('pause');
        return Promise.resolve({ paused: false });
      },
    };
    const checking = checkContainmentGrant(contain, reader, NOW);
    await Promise.resolve();
    expect(asked).toEqual([`grant ${EXECUTION_ARN}`, `status ${EXECUTION_ARN}`, 'pause']);
    answerGrant(proceed);
    expect(await checking).toMatchObject({ allowed: true });
  });

  it("release's grant check refuses a stopped release execution's grant", async () => {
    const check = releaseGrantCheck(storeWith('ABORTED', { ...proceed, kind: 'release' }), RESPONDER_NAMES.releaseInstance, deployedStepsOf({ FIREBREAK_PLAYBOOK_STEPS: '{"compromised-ec2-instance":[{}]}' }, releaseOptionsSchema), () => NOW);
    const verdict = await check(EXECUTION_ARN, { incident, instanceId: INSTANCE_ID, options: releaseOptionsSchema.parse({}), request: undefined });
    expect(verdict).toEqual({ cleared: false, reason: expect.stringContaining(`Refused to release ${INSTANCE_ID}: Step Functions says execution ${EXECUTION_ARN} is ABORTED`) });
  });

  it("the state table's reader asks its Step Functions reader, for the request's execution", async () => {
    const asked: string[] = [];
    const reader = new DynamoDbGrantReader(new DynamoDBClient({ region: 'eu-west-1' }), TABLE, {
      executionStatus: (executionArn) => {
        asked.push(executionArn);
        return Promise.resolve('TIMED_OUT');
      },
    });
    expect(await reader.executionStatus(EXECUTION_ARN)).toBe('TIMED_OUT');
    expect(asked).toEqual([EXECUTION_ARN]);
  });
});

describe('evaluateGrant: an answer given after the approval deadline never overrides the timeout path (review approval-late)', () => {
  const incident = ec2Incident();
  const step = deployedStep(RESPONDER_NAMES.quarantineInstance, {});
  const contain: GrantRequest = { executionArn: EXECUTION_ARN, incident, instanceId: INSTANCE_ID, kind: 'contain', step };
  const deadline = DEADLINE;
  const awaiting = (onTimeout: 'contain' | 'evidence-only'): ContainmentGrant => awaitingGrant(incident, onTimeout);
  const approval = (fields: Partial<ApprovalRecord>): ApprovalRecord => ({ pk: approvalKey(EXECUTION_ARN), executionArn: EXECUTION_ARN, incidentKey: incident.key, requestedAt: NOW.toISOString(), ...fields });
  /** The timeout path's containment step, a minute past the deadline (or its retry). */
  const afterDeadline = AFTER_DEADLINE;
  const late = '2026-11-20T11:05:30.000Z';
  const inTime = '2026-11-20T11:04:59.000Z';

  it('lets the timeout path contain (onTimeout contain) when the rejection was given after the deadline, and says it was ignored', () => {
    const check = evaluateGrant(contain, awaiting('contain'), approval({ decision: 'rejected', decidedBy: ANA, decidedAt: late }), afterDeadline);
    expect(check).toMatchObject({ allowed: true });
    expect(check).not.toHaveProperty('approvedBy');
    expect(check.reason).toBe(
      `Nobody answered the approval request by ${deadline}, and the playbook's onTimeout is contain (grant of execution ${EXECUTION_ARN}, enforce). The rejection by ${ANA} at ${late} came after the deadline and was ignored: the playbook had taken its timeout path.`,
    );
  });

  it('still refuses under a rejection given before the deadline, whenever the step runs', () => {
    expect(evaluateGrant(contain, awaiting('contain'), approval({ decision: 'rejected', decidedBy: ANA, decidedAt: inTime }), afterDeadline)).toMatchObject({ allowed: false, code: 'rejected' });
  });

  it('never lets a late approval contain after an evidence-only timeout', () => {
    const check = evaluateGrant(contain, awaiting('evidence-only'), approval({ decision: 'approved', decidedBy: ANA, decidedAt: late }), afterDeadline);
    expect(check).toMatchObject({ allowed: false, code: 'awaiting-approval' });
    expect(check.reason).toBe(
      `Refused to contain ${INSTANCE_ID}: nobody answered the approval request of execution ${EXECUTION_ARN} by ${deadline}, and the playbook's onTimeout is evidence-only. The approval by ${ANA} at ${late} came after the deadline and was ignored: the playbook had taken its timeout path; nothing was changed.`,
    );
  });

  it('keeps an approval given before the deadline for the approved steps and their retries after it', () => {
    expect(evaluateGrant(contain, awaiting('evidence-only'), approval({ decision: 'approved', decidedBy: ANA, decidedAt: inTime }), afterDeadline)).toMatchObject({ allowed: true, approvedBy: ANA });
  });

  it('counts an answer at the deadline itself as late (the timeout path starts then)', () => {
    expect(evaluateGrant(contain, awaiting('evidence-only'), approval({ decision: 'approved', decidedBy: ANA, decidedAt: deadline }), afterDeadline)).toMatchObject({ allowed: false });
  });

  it('after the deadline, reads an undated (or unreadable) approval as late and an undated rejection as in time: neither changes anything the timeout path would not', () => {
    for (const decidedAt of [undefined, 'yesterday']) {
      const dated = decidedAt !== undefined ? { decidedAt } : {};
      expect(evaluateGrant(contain, awaiting('evidence-only'), approval({ decision: 'approved', ...dated }), afterDeadline)).toMatchObject({ allowed: false });
      expect(evaluateGrant(contain, awaiting('contain'), approval({ decision: 'rejected', ...dated }), afterDeadline)).toMatchObject({ allowed: false, code: 'rejected' });
    }
    // Before the deadline, any recorded answer was given in time.
    expect(evaluateGrant(contain, awaiting('evidence-only'), approval({ decision: 'approved' }), NOW)).toMatchObject({ allowed: true });
  });
});

describe('evaluateGrant: an answer counts only for the grant it was given under (review-approval, row 5l)', () => {
  // Step Functions takes an execution name again 90 days after it was used: the per-instance and
  // per-access-key runs of an attack sequence are named without the revision (per-instance.ts), so a
  // sequence GuardDuty updates after that starts a new execution under the very same ARN, and an
  // operator with states:StartExecution may reuse any old name (a release's). approval#<executionArn>
  // has no TTL: the earlier run's answer is still on record when the new run's guard writes its grant.
  const incident = ec2Incident();
  const step = deployedStep(RESPONDER_NAMES.quarantineInstance, {});
  const contain: GrantRequest = { executionArn: EXECUTION_ARN, incident, instanceId: INSTANCE_ID, kind: 'contain', step };
  const deadline = DEADLINE;
  const awaiting = (onTimeout: 'contain' | 'evidence-only'): ContainmentGrant => awaitingGrant(incident, onTimeout);
  /** The earlier run of the same execution name, 95 days before this grant. */
  const earlierRun = '2026-08-17T09:12:00.000Z';
  const approval = (fields: Partial<ApprovalRecord>): ApprovalRecord => ({ pk: approvalKey(EXECUTION_ARN), executionArn: EXECUTION_ARN, incidentKey: incident.key, requestedAt: '2026-08-17T09:10:00.000Z', ...fields });

  it('ATTACK (review-approval): an approval given to an earlier execution of the same name clears nothing before the new run is answered (a direct invocation during its evidence steps)', () => {
    const check = evaluateGrant(contain, awaiting('evidence-only'), approval({ decision: 'approved', decidedBy: ANA, decidedAt: earlierRun }), NOW);
    expect(check).toMatchObject({ allowed: false, code: 'awaiting-approval' });
    expect(check).not.toHaveProperty('approvedBy');
    expect(check.reason).toContain(`The approval by ${ANA} at ${earlierRun} was given before this grant was written (${NOW.toISOString()}): an answer to an earlier execution under the same name, ignored`);
  });

  it('ATTACK (review-approval): nor after an evidence-only timeout', () => {
    const afterDeadline = AFTER_DEADLINE;
    expect(evaluateGrant(contain, awaiting('evidence-only'), approval({ decision: 'approved', decidedBy: ANA, decidedAt: earlierRun }), afterDeadline)).toMatchObject({ allowed: false, code: 'awaiting-approval' });
  });

  it("ATTACK (review-approval): a rejection given to an earlier execution of the same name does not stop this run's onTimeout contain", () => {
    const afterDeadline = AFTER_DEADLINE;
    const check = evaluateGrant(contain, awaiting('contain'), approval({ decision: 'rejected', decidedBy: ANA, decidedAt: earlierRun }), afterDeadline);
    expect(check).toMatchObject({ allowed: true });
    expect(check).not.toHaveProperty('approvedBy');
  });

  // Review review-5l: the two times come from two Lambda clocks (the guard's, the approval
  // function's) and are compared as instants, never as text.
  it('tried (review-5l): an earlier run\'s answer written with another UTC offset, or a millisecond before the grant, is still ignored; a grant without grantedAt clears nothing', () => {
    for (const decidedAt of ['2026-11-20T11:04:59.999+01:00', '2026-11-20T10:04:59.999Z', '2026-11-20T05:04:59-05:00']) {
      expect(evaluateGrant(contain, awaiting('evidence-only'), approval({ decision: 'approved', decidedBy: ANA, decidedAt }), NOW)).toMatchObject({ allowed: false, code: 'awaiting-approval' });
    }
    // The same instant written with an offset is this grant's (as text it sorts after, or before).
    expect(evaluateGrant(contain, awaiting('evidence-only'), approval({ decision: 'approved', decidedBy: ANA, decidedAt: '2026-11-20T11:05:00.000+01:00' }), NOW)).toMatchObject({ allowed: true });
    // A grant item without grantedAt (none the guard ever wrote) is no grant: fail closed.
    const { grantedAt: _dropped, ...noTime } = ITEM;
    expect(() => grantFromItem(noTime)).toThrow(ResponderFailedError);
  });

  it('still takes an answer given under this grant, at or after the instant it was written, both ways', () => {
    for (const decidedAt of [NOW.toISOString(), '2026-11-20T10:06:00.000Z']) {
      expect(evaluateGrant(contain, awaiting('evidence-only'), approval({ decision: 'approved', decidedBy: ANA, decidedAt }), NOW)).toMatchObject({ allowed: true, approvedBy: ANA });
      expect(evaluateGrant(contain, awaiting('contain'), approval({ decision: 'rejected', decidedBy: ANA, decidedAt }), new Date(Date.parse(deadline) + 60_000))).toMatchObject({ allowed: false, code: 'rejected' });
    }
  });
});

describe('evaluateGrant: a release never runs on its timeout (review-approval, row 5n)', () => {
  const incident = ec2Incident();
  const afterDeadline = AFTER_DEADLINE;
  const releaseGrant = (onTimeout: 'contain' | 'evidence-only'): ContainmentGrant => awaitingGrant(incident, onTimeout, { playbook: 'unblock-dns-domain', kind: 'release' });
  const unblock: GrantRequest = { executionArn: EXECUTION_ARN, incident, kind: 'release', action: 'unblock evil.example', expiry: 'enforced', step: deployedStep(RESPONDER_NAMES.unblockDnsDomains, {}, 'unblock-dns-domain') };

  it("ATTACK (review-approval): an unanswered release grant clears nothing at its deadline, whatever onTimeout it carries (a grant an older guard wrote, a manual playbook's contain)", () => {
    const check = evaluateGrant(unblock, releaseGrant('contain'), undefined, afterDeadline);
    expect(check).toMatchObject({ allowed: false, code: 'awaiting-approval' });
    expect(check.reason).toContain('a release runs only on a person\'s approval');
  });

  it('still lets an approved release through, and a containment through on its timeout', () => {
    const approved: ApprovalRecord = { pk: approvalKey(EXECUTION_ARN), executionArn: EXECUTION_ARN, incidentKey: incident.key, requestedAt: NOW.toISOString(), decision: 'approved', decidedBy: ANA, decidedAt: '2026-11-20T10:30:00.000Z' };
    expect(evaluateGrant(unblock, releaseGrant('contain'), approved, afterDeadline)).toMatchObject({ allowed: true });
    const contain: GrantRequest = { executionArn: EXECUTION_ARN, incident, instanceId: INSTANCE_ID, kind: 'contain', step: deployedStep(RESPONDER_NAMES.quarantineInstance, {}) };
    expect(evaluateGrant(contain, { ...releaseGrant('contain'), kind: 'contain', playbook: 'compromised-ec2-instance' }, undefined, afterDeadline)).toMatchObject({ allowed: true });
  });
});

describe("evaluateGrant: a manual playbook's step never runs on its timeout (review-5l, row 5p)", () => {
  // Row 5n's schema rule refuses onTimeout contain on every trigger: manual playbook that changes
  // resources, a containment as much as a release: its starter (states:StartExecution, requestedBy) is
  // only a claim. Where the action happens only a release grant was refused on its timeout: a manual
  // playbook's containment grant written with onTimeout contain (by the guard of a deployment from
  // before row 5n, still waiting at the upgrade, or from rails written by hand) still quarantined the
  // instance its starter named once nobody answered. Its grant binds the execution's request
  // (requestDigest): only a manual playbook's does.
  const incident = ec2Incident();
  const deadline = DEADLINE;
  const afterDeadline = AFTER_DEADLINE;
  const request = { requestedBy: 'arn:aws:iam::111122223333:user/mallory', reason: 'looks compromised' };
  const manualGrant = (onTimeout: 'contain' | 'evidence-only'): ContainmentGrant => awaitingGrant(incident, onTimeout, { playbook: 'isolate-instance', requestDigest: requestDigest(request) });
  const quarantine: GrantRequest = { executionArn: EXECUTION_ARN, incident, instanceId: INSTANCE_ID, kind: 'contain', step: deployedStep(RESPONDER_NAMES.quarantineInstance, {}, 'isolate-instance', request) };

  it("ATTACK (review-5l): an unanswered manual containment's grant clears nothing at its deadline, whatever onTimeout it carries (a grant an older guard wrote)", () => {
    const check = evaluateGrant(quarantine, manualGrant('contain'), undefined, afterDeadline);
    expect(check).toMatchObject({ allowed: false, code: 'awaiting-approval' });
    expect(check.reason).toContain(`nobody approved execution ${EXECUTION_ARN} by ${deadline}, and a manual playbook runs only on a person's approval, never on its timeout`);
  });

  it("still lets an approved manual containment through, and an automatic playbook's containment through on its timeout", () => {
    const approved: ApprovalRecord = { pk: approvalKey(EXECUTION_ARN), executionArn: EXECUTION_ARN, incidentKey: incident.key, requestedAt: NOW.toISOString(), decision: 'approved', decidedBy: ANA, decidedAt: '2026-11-20T10:30:00.000Z' };
    expect(evaluateGrant(quarantine, manualGrant('contain'), approved, afterDeadline)).toMatchObject({ allowed: true, approvedBy: approved.decidedBy });
    const automatic: GrantRequest = { ...quarantine, step: deployedStep(RESPONDER_NAMES.quarantineInstance, {}) };
    const { requestDigest: _none, ...automaticGrant } = { ...manualGrant('contain'), playbook: 'compromised-ec2-instance' };
    expect(evaluateGrant(automatic, automaticGrant, undefined, afterDeadline)).toMatchObject({ allowed: true });
  });

  it("tried (review-6w): a manual playbook's grant without requestDigest (an older guard's) clears none of its steps at the deadline, and an automatic playbook's grant given one clears none of its steps either", () => {
    // A manual playbook's step carries its request: against a grant binding none, the step binding refuses before any timeout rule.
    const { requestDigest: _none, ...digestless } = manualGrant('contain');
    expect(evaluateGrant(quarantine, digestless, undefined, afterDeadline)).toMatchObject({ allowed: false, code: 'wrong-step' });
    // A step sent without the request (a forged input) against the manual grant: refused likewise.
    const bare: GrantRequest = { ...quarantine, step: deployedStep(RESPONDER_NAMES.quarantineInstance, {}, 'isolate-instance') };
    expect(evaluateGrant(bare, manualGrant('contain'), undefined, afterDeadline)).toMatchObject({ allowed: false, code: 'wrong-step' });
    // An automatic playbook's step (no request) against a grant binding one: refused, never cleared on the timeout.
    const automatic: GrantRequest = { ...quarantine, step: deployedStep(RESPONDER_NAMES.quarantineInstance, {}) };
    expect(evaluateGrant(automatic, { ...manualGrant('contain'), playbook: 'compromised-ec2-instance' }, undefined, afterDeadline)).toMatchObject({ allowed: false, code: 'wrong-step' });
  });
});
