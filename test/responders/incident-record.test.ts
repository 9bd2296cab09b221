import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { DEPLOYMENT_ENV } from '../../lib/contracts/environment';
import type { IncidentRecordEntry, IncidentRecordHeader, IncidentRecordWriter } from '../../lib/responders/incident-record';
import {
  DEFAULT_INCIDENT_RECORD_RETENTION_DAYS,
  DynamoDbIncidentRecords,
  IncidentRecordConfigError,
  incidentRecordEntry,
  incidentRecordRetentionDaysFromEnv,
  RECORD_LIMITS,
  recordHeaderOf,
  recordingHandler,
} from '../../lib/responders/incident-record';
import { ec2Incident } from '../support/incidents';
import { ActionLog } from '../../lib/responders/action-log';
import { mutateEc2 } from '../../lib/responders/pending-actions';
import { TransientResponderError } from '../../lib/contracts/responder-errors';
import { noteVerifiedOrigin } from '../../lib/responders/attempt-actions';

const ddb = mockClient(DynamoDBClient);
const EXECUTION_ARN = 'arn:aws:states:eu-west-1:111122223333:execution:Firebreak-compromised-ec2-instance:gd-7ab9-1';
const START = new Date('2026-11-20T10:00:05.000Z');
const MOVED = new Date('2026-11-20T10:00:05.800Z');
const END = new Date('2026-11-20T10:00:06.250Z');

function payload(extra: Record<string, unknown> = {}) {
  return { incident: ec2Incident(), mode: 'enforce', options: {}, execution: { executionArn: EXECUTION_ARN, playbook: 'compromised-ec2-instance' }, ...extra };
}

class ListWriter implements IncidentRecordWriter {
  readonly written: { header: IncidentRecordHeader; entry: IncidentRecordEntry; origin?: { readonly verified: boolean } }[] = [];
  async append(header: IncidentRecordHeader, entry: IncidentRecordEntry, origin?: { readonly verified: boolean }): Promise<void> {
    this.written.push({ header, entry, ...(origin !== undefined ? { origin } : {}) });
  }
}

function clock(...times: Date[]): () => Date {
  let index = 0;
  return () => times[Math.min(index++, times.length - 1)] as Date;
}

beforeEach(() => ddb.reset());

describe('DynamoDbIncidentRecords', () => {
  it('appends one entry with one UpdateItem: list_append, the facts kept from the first writer, the TTL from the last entry', async () => {
    ddb.on(UpdateItemCommand).resolves({});
    const records = new DynamoDbIncidentRecords(new DynamoDBClient({}), 'state-table', 30);
    const header = recordHeaderOf('gd-7ab9', payload());
    const entry = incidentRecordEntry('quarantine-instance', payload(), { result: { status: 'quarantined', mode: 'enforce', actions: [] } }, { startedAt: START, endedAt: END });
    await records.append(header, entry, { verified: true });
    const calls = ddb.commandCalls(UpdateItemCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({
      TableName: 'state-table',
      Key: { pk: { S: 'incident#gd-7ab9' } },
      UpdateExpression:
        'SET #entries = list_append(if_not_exists(#entries, :none), :entry), #updatedAt = :updatedAt, #ttl = :ttl, ' +
        '#account = if_not_exists(#account, :account), #region = if_not_exists(#region, :region), #source = if_not_exists(#source, :source), ' +
        '#findingType = if_not_exists(#findingType, :findingType), #severityLabel = if_not_exists(#severityLabel, :severityLabel), ' +
        '#severityScore = if_not_exists(#severityScore, :severityScore), #resource = if_not_exists(#resource, :resource), ' +
        '#gameDay = if_not_exists(#gameDay, :gameDay), #sample = if_not_exists(#sample, :sample), #createdAt = if_not_exists(#createdAt, :createdAt), ' +
        '#receivedAt = if_not_exists(#receivedAt, :receivedAt) ADD #b :b',
      // The steps' entries stay within their budget, so that triage's write always fits (row 17c); a
      // step that confirmed its execution's origin is held to no smaller one (row 17d).
      ConditionExpression: '(attribute_not_exists(#b) OR #b <= :r)',
      ExpressionAttributeNames: {
        '#entries': 'entries',
        '#updatedAt': 'updatedAt',
        '#ttl': 'ttl',
        '#account': 'account',
        '#region': 'region',
        '#source': 'source',
        '#findingType': 'findingType',
        '#severityLabel': 'severityLabel',
        '#severityScore': 'severityScore',
        '#resource': 'resource',
        '#gameDay': 'gameDay',
        '#sample': 'sample',
        '#createdAt': 'createdAt',
        '#receivedAt': 'receivedAt',
        '#b': 'stepEntryBytes',
      },
      ExpressionAttributeValues: {
        ':entry': { L: [{ S: JSON.stringify(entry) }] },
        ':none': { L: [] },
        ':updatedAt': { S: '2026-11-20T10:00:06.250Z' },
        // 30 days after the entry's end, in epoch seconds.
        ':ttl': { N: String(Math.floor(END.getTime() / 1000) + 30 * 86_400) },
        ':account': { S: '111122223333' },
        ':region': { S: 'eu-west-1' },
        ':source': { S: 'guardduty' },
        ':findingType': { S: 'Backdoor:EC2/C&CActivity.B!DNS' },
        ':severityLabel': { S: 'High' },
        ':severityScore': { N: '8' },
        ':resource': { S: 'i-0abc1234def567890' },
        ':gameDay': { BOOL: false },
        ':sample': { BOOL: false },
        ':createdAt': { S: ec2Incident().times.created },
        ':receivedAt': { S: ec2Incident().times.received },
        // The entry's JSON in UTF-8 and a list element's byte; the room is the budget less that.
        ':b': { N: String(Buffer.byteLength(JSON.stringify(entry)) + 1) },
        ':r': { N: String(256 * 1024 - Buffer.byteLength(JSON.stringify(entry)) - 1) },
      },
    });
  });

  it("counts an entry its step did not confirm as its execution's against the unconfirmed entries' budget too (row 17d)", async () => {
    ddb.on(UpdateItemCommand).resolves({});
    const records = new DynamoDbIncidentRecords(new DynamoDBClient({}), 'state-table', 30);
    const entry = incidentRecordEntry('quarantine-instance', payload(), { error: new Error('refused') }, { startedAt: START, endedAt: END });
    for (const origin of [undefined, { verified: false }]) {
      ddb.resetHistory();
      await records.append(recordHeaderOf('gd-7ab9', payload()), entry, origin);
      const input = ddb.commandCalls(UpdateItemCommand)[0]!.args[0].input;
      const bytes = Buffer.byteLength(JSON.stringify(entry)) + 1;
      expect(input.UpdateExpression).toMatch(/ ADD #b :b, #u :b$/);
      expect(input.ConditionExpression).toBe('(attribute_not_exists(#b) OR #b <= :r) AND (attribute_not_exists(#u) OR #u <= :ru)');
      expect(input.ExpressionAttributeNames).toMatchObject({ '#b': 'stepEntryBytes', '#u': 'unconfirmedEntryBytes' });
      expect(input.ExpressionAttributeValues).toMatchObject({ ':b': { N: String(bytes) }, ':r': { N: String(256 * 1024 - bytes) }, ':ru': { N: String(64 * 1024 - bytes) } });
    }
  });

  it('ATTACK (review-records): past the budget, writes the compact entry of a confirmed change in its own room, and nothing else (row 17f)', async () => {
    const refusal = Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
    const records = new DynamoDbIncidentRecords(new DynamoDBClient({}), 'state-table', 30);
    const isolation = { api: 'ec2:ModifyNetworkInterfaceAttribute', target: 'eni-1', outcome: 'done', detail: 'd'.repeat(300), at: END.toISOString() };
    const observed = { api: 'ec2:DescribeInstances', target: 'i-1', outcome: 'observed', detail: 'read' };
    const entry = incidentRecordEntry('quarantine-instance', payload({ reasons: ['x'.repeat(500)] }), { result: { status: 'quarantined', actions: [observed, isolation] } }, { startedAt: START, endedAt: END });
    ddb.on(UpdateItemCommand).rejectsOnce(refusal).resolves({});
    await records.append(recordHeaderOf('gd-7ab9', payload()), entry, { verified: true });
    const calls = ddb.commandCalls(UpdateItemCommand);
    expect(calls).toHaveLength(2);
    const input = calls[1]!.args[0].input;
    const compact = { ...entry, actions: [{ ...isolation, detail: 'd'.repeat(80) }], actionsOmitted: 1 };
    delete (compact as { reasons?: unknown }).reasons;
    const bytes = Buffer.byteLength(JSON.stringify(compact)) + 1;
    expect(JSON.parse((input.ExpressionAttributeValues![':entry'] as { L: { S: string }[] }).L[0]!.S)).toEqual(compact);
    expect(input.UpdateExpression).toMatch(/ ADD #b :b, #c :b$/);
    expect(input.ConditionExpression).toBe('attribute_not_exists(#c) OR #c <= :rc');
    expect(input.ExpressionAttributeNames).toMatchObject({ '#b': 'stepEntryBytes', '#c': 'changeReserveBytes' });
    expect(input.ExpressionAttributeValues).toMatchObject({ ':b': { N: String(bytes) }, ':rc': { N: String(32 * 1024 - bytes) } });
    // The other way: an unconfirmed entry, or one that changed nothing, or another error, gets no second write.
    for (const [which, origin, error] of [
      [entry, { verified: false }, refusal],
      [incidentRecordEntry('quarantine-instance', payload(), { result: { status: 'already-quarantined', actions: [observed] } }, { startedAt: START, endedAt: END }), { verified: true }, refusal],
      [entry, { verified: true }, Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' })],
    ] as const) {
      ddb.reset();
      ddb.on(UpdateItemCommand).rejects(error);
      await expect(records.append(recordHeaderOf('gd-7ab9', payload()), origin.verified ? which : { ...which, unconfirmed: true }, origin)).rejects.toBe(error);
      expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(1);
    }
  });

  it("counts an entry's bytes as DynamoDB does: UTF-8, JSON escapes included", async () => {
    ddb.on(UpdateItemCommand).resolves({});
    const records = new DynamoDbIncidentRecords(new DynamoDBClient({}), 'state-table', 30);
    // 'é' is 2 bytes in UTF-8; a lone surrogate is escaped by JSON.stringify to 6 ASCII bytes.
    const entry = incidentRecordEntry('publish-alert', payload({ reasons: ['é', '\ud800'] }), { result: { status: 'published', actions: [] } }, { startedAt: START, endedAt: END });
    await records.append(recordHeaderOf('gd-7ab9', payload()), entry);
    const values = ddb.commandCalls(UpdateItemCommand)[0]!.args[0].input.ExpressionAttributeValues!;
    const json = JSON.stringify(entry);
    expect(json).toContain('"reasons":["é","\\ud800"]');
    expect(values[':b']).toEqual({ N: String(json.length + 1 + 1) });
  });
});

describe('incidentRecordEntry', () => {
  it("records a step's result: status, mode, actions and the execution it ran in", () => {
    const action = { api: 'ec2:ModifyNetworkInterfaceAttribute', target: 'eni-1', outcome: 'done', detail: 'Moved', at: END.toISOString() };
    const entry = incidentRecordEntry('quarantine-instance', payload(), { result: { status: 'quarantined', mode: 'enforce', actions: [action] } }, { startedAt: START, endedAt: END });
    expect(entry).toEqual({
      step: 'quarantine-instance',
      startedAt: START.toISOString(),
      endedAt: END.toISOString(),
      outcome: 'succeeded',
      status: 'quarantined',
      mode: 'enforce',
      playbook: 'compromised-ec2-instance',
      executionArn: EXECUTION_ARN,
      actions: [action],
    });
  });

  it('records an error by name and message, with no actions', () => {
    const error = Object.assign(new Error('ec2:ModifyNetworkInterfaceAttribute denied'), { name: 'ResponderAccessDeniedError' });
    const entry = incidentRecordEntry('quarantine-instance', payload(), { error }, { startedAt: START, endedAt: END });
    expect(entry).toMatchObject({ outcome: 'failed', status: 'ResponderAccessDeniedError', mode: 'enforce', error: { name: 'ResponderAccessDeniedError', message: 'ec2:ModifyNetworkInterfaceAttribute denied' }, actions: [] });
  });

  it("records a failure alert's failure, a release's requester and triage's reasons", () => {
    const failure = incidentRecordEntry(
      'publish-alert',
      payload({ kind: 'failure', failure: { step: 'contain', error: 'States.Timeout', cause: 'Lambda timed out' } }),
      { result: { status: 'published', actions: [] } },
      { startedAt: START, endedAt: END },
    );
    expect(failure).toMatchObject({ alertKind: 'failure', failure: { step: 'contain', error: 'States.Timeout', cause: 'Lambda timed out' } });
    const release = incidentRecordEntry('release-instance', payload({ request: { requestedBy: 'arn:aws:sts::111122223333:assumed-role/oncall/bob', reason: 'false positive' } }), { result: { status: 'released', actions: [] } }, { startedAt: START, endedAt: END });
    expect(release.request).toEqual({ requestedBy: 'arn:aws:sts::111122223333:assumed-role/oncall/bob', reason: 'false positive' });
    const triageOnly = incidentRecordEntry('publish-alert', payload({ kind: 'triage-only', reasons: ['no playbook matches', 'alerted'] }), { result: { status: 'published', actions: [] } }, { startedAt: START, endedAt: END });
    expect(triageOnly.reasons).toEqual(['no playbook matches', 'alerted']);
  });

  it('keeps an entry bounded: at most RECORD_LIMITS.actions actions (the rest counted), details cut', () => {
    const actions = Array.from({ length: RECORD_LIMITS.actions + 5 }, (_, index) => ({ api: 'ec2:X', target: `t-${index}`, outcome: 'done', detail: 'd'.repeat(1000) }));
    const entry = incidentRecordEntry('snapshot-volumes', payload(), { result: { status: 'snapshotted', actions } }, { startedAt: START, endedAt: END });
    expect(entry.actions).toHaveLength(RECORD_LIMITS.actions);
    expect(entry.actionsOmitted).toBe(5);
    expect(entry.actions[0]!.detail).toHaveLength(RECORD_LIMITS.detail);
  });
});

describe('recordingHandler', () => {
  it("says whether the step confirmed its invocation's origin, succeeded or failed (noteVerifiedOrigin, row 17d)", async () => {
    const writer = new ListWriter();
    await recordingHandler('snapshot-volumes', async () => ({ status: 'snapshotted', actions: [] }), { records: writer, now: clock(START, END) })(payload());
    await recordingHandler('snapshot-volumes', async () => { noteVerifiedOrigin(); return { status: 'snapshotted', actions: [] }; }, { records: writer, now: clock(START, END) })(payload());
    const failing = recordingHandler('snapshot-volumes', async () => { noteVerifiedOrigin(); throw new Error('throttled'); }, { records: writer, now: clock(START, END) });
    await expect(failing(payload())).rejects.toThrow('throttled');
    expect(writer.written.map((written) => written.origin)).toEqual([{ verified: false }, { verified: true }, { verified: true }]);
  });

  it('ATTACK (review-records): marks the entry of an unconfirmed invocation itself, whatever its payload says (row 17e)', async () => {
    const writer = new ListWriter();
    // A payload cannot take the mark off: it is the recorder's, set from the attempt's own check.
    await recordingHandler('snapshot-volumes', async () => ({ status: 'refused', actions: [] }), { records: writer, now: clock(START, END) })(payload({ unconfirmed: false, kind: 'failure', failure: { step: 'x', error: 'y' } }));
    await recordingHandler('snapshot-volumes', async () => { noteVerifiedOrigin(); return { status: 'snapshotted', actions: [] }; }, { records: writer, now: clock(START, END) })(payload({ unconfirmed: true }));
    const failing = recordingHandler('snapshot-volumes', async () => { throw new Error('throttled'); }, { records: writer, now: clock(START, END) });
    await expect(failing(payload())).rejects.toThrow('throttled');
    expect(writer.written.map((written) => written.entry.unconfirmed)).toEqual([true, undefined, true]);
    expect(writer.written[0]!.entry).toMatchObject({ alertKind: 'failure', unconfirmed: true });
    expect('unconfirmed' in writer.written[1]!.entry).toBe(false);
  });

  it('ATTACK (review-17d): a warm container keeps no confirmation from one invocation for the next, even with late or interleaved checks', async () => {
    const writer = new ListWriter();
    // One wrapped handler, as a warm Lambda container (or the game day's parallel branches) reuses it:
    // a genuine invocation confirms and leaves work behind (a check it never awaited) that confirms
    // again while the next, direct, invocation runs.
    const handler = recordingHandler(
      'quarantine-instance',
      async (event) => {
        if ((event as { direct?: boolean }).direct !== true) {
          noteVerifiedOrigin();
          setTimeout(() => noteVerifiedOrigin(), 1);
          void Promise.resolve().then(() => new Promise((resolve) => setTimeout(resolve, 1))).then(() => noteVerifiedOrigin());
          return { status: 'quarantined', actions: [] };
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
        return { status: 'refused', actions: [] };
      },
      { records: writer, now: clock(START, END) },
    );
    await handler(payload());
    await Promise.all([handler(payload({ direct: true })), handler(payload())]);
    await handler(payload({ direct: true }));
    expect(writer.written.map((written) => [written.entry.status, written.origin?.verified])).toEqual([
      ['quarantined', true],
      ['quarantined', true],
      ['refused', false],
      ['refused', false],
    ]);
    // Outside a recorded attempt nothing is noted, and nothing waits for the next one.
    noteVerifiedOrigin();
    await recordingHandler('quarantine-instance', async () => ({ status: 'refused', actions: [] }), { records: writer, now: clock(START, END) })(payload({ direct: true }));
    expect(writer.written.at(-1)!.origin).toEqual({ verified: false });
  });

  it('appends the result after the step ran, with the times around it, and returns the result unchanged', async () => {
    const writer = new ListWriter();
    const result = { status: 'snapshotted', mode: 'enforce', actions: [] };
    const handler = recordingHandler('snapshot-volumes', async () => result, { records: writer, now: clock(START, END) });
    await expect(handler(payload())).resolves.toBe(result);
    expect(writer.written).toHaveLength(1);
    expect(writer.written[0]!.header.incidentKey).toBe(ec2Incident().key);
    expect(writer.written[0]!.entry).toMatchObject({ step: 'snapshot-volumes', startedAt: START.toISOString(), endedAt: END.toISOString(), status: 'snapshotted' });
  });

  it('appends a failed step and rethrows the same error, so Retry/Catch see what they always saw', async () => {
    const writer = new ListWriter();
    const error = Object.assign(new Error('throttled'), { name: 'ResponderThrottledError' });
    const handler = recordingHandler('quarantine-instance', async () => { throw error; }, { records: writer, now: clock(START, END) });
    await expect(handler(payload())).rejects.toBe(error);
    expect(writer.written.map(({ entry }) => [entry.outcome, entry.status])).toEqual([['failed', 'ResponderThrottledError']]);
  });

  it('records the actions a failed attempt took before it threw: its log, and the changes of a phase cut short', async () => {
    const writer = new ListWriter();
    const error = new TransientResponderError('ec2:ModifyNetworkInterfaceAttribute failed transiently (RequestLimitExceeded): Request limit exceeded.');
    const throttled = Object.assign(new Error('Request limit exceeded.'), { name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 503 } });
    const payloadBefore = JSON.stringify(error);
    const keysBefore = Reflect.ownKeys(error);
    const handler = recordingHandler(
      'quarantine-instance',
      async () => {
        const log = new ActionLog(() => START);
        log.record('ec2:DescribeInstances', 'i-0abc', 'observed', 'running, 2 ENIs');
        // A phase records its actions once it ends (pending-actions.ts): this one is cut short by the second move.
        await mutateEc2('enforce', 'ec2:ModifyNetworkInterfaceAttribute', 'eni-a', 'move eni-a to the isolation group', async () => ({}));
        const second = await mutateEc2('enforce', 'ec2:ModifyNetworkInterfaceAttribute', 'eni-b', 'move eni-b to the isolation group', async () => { throw throttled; }).catch(() => undefined);
        if (second === undefined) throw error;
        return { status: 'quarantined', actions: log.actions };
      },
      { records: writer, now: clock(START, MOVED, END) },
    );
    await expect(handler(payload())).rejects.toBe(error);
    // The error Step Functions' Retry/Catch match is the same object, with nothing added to it.
    expect(Reflect.ownKeys(error)).toEqual(keysBefore);
    expect(JSON.stringify(error)).toBe(payloadBefore);
    expect(writer.written.map(({ entry }) => entry)).toEqual([
      expect.objectContaining({
        outcome: 'failed',
        status: 'TransientResponderError',
        actions: [
          { api: 'ec2:DescribeInstances', target: 'i-0abc', outcome: 'observed', detail: 'running, 2 ENIs', at: START.toISOString() },
          { api: 'ec2:ModifyNetworkInterfaceAttribute', target: 'eni-a', outcome: 'done', detail: 'Move eni-a to the isolation group', at: MOVED.toISOString() },
        ],
      }),
    ]);
  });

  it('bounds the actions of a failed attempt as those of a successful one', async () => {
    const writer = new ListWriter();
    const handler = recordingHandler(
      'quarantine-instance',
      async () => {
        const log = new ActionLog(() => START);
        for (let index = 0; index < RECORD_LIMITS.actions + 5; index += 1) log.record('ec2:DescribeInstances', `i-${index}`, 'observed', 'x'.repeat(400));
        throw new TransientResponderError('throttled');
      },
      { records: writer, now: clock(START, END) },
    );
    await expect(handler(payload())).rejects.toBeInstanceOf(TransientResponderError);
    const entry = writer.written[0]!.entry;
    expect(entry.actions).toHaveLength(RECORD_LIMITS.actions);
    expect(entry.actionsOmitted).toBe(5);
    expect(entry.actions[0]!.detail).toHaveLength(RECORD_LIMITS.detail);
  });

  it('keeps the actions of each attempt to itself, even when attempts run side by side', async () => {
    const writer = new ListWriter();
    const step = (target: string) =>
      recordingHandler(
        'quarantine-instance',
        async () => {
          const log = new ActionLog(() => START);
          await new Promise((resolve) => setTimeout(resolve, 1));
          log.record('ec2:ModifyNetworkInterfaceAttribute', target, 'done', `moved ${target}`);
          throw new TransientResponderError('throttled');
        },
        { records: writer, now: () => START },
      );
    await Promise.allSettled([step('eni-a')(payload()), step('eni-b')(payload())]);
    expect(writer.written.map(({ entry }) => entry.actions.map((action) => action.target)).sort()).toEqual([['eni-a'], ['eni-b']]);
  });

  it('does not fail the step when the record cannot be written: it says so in the log', async () => {
    const warn = vi.fn();
    const writer: IncidentRecordWriter = { append: async () => { throw Object.assign(new Error('denied'), { name: 'AccessDeniedException' }); } };
    const handler = recordingHandler('quarantine-instance', async () => ({ status: 'quarantined', actions: [] }), { records: writer, logger: { warn } });
    await expect(handler(payload())).resolves.toMatchObject({ status: 'quarantined' });
    expect(warn).toHaveBeenCalledWith('incident record not written', expect.objectContaining({ step: 'quarantine-instance', error: 'AccessDeniedException: denied' }));
  });

  it('records nothing for a payload that names no usable incident key (an invalid-event alert, a forged key)', async () => {
    const writer = new ListWriter();
    const handler = recordingHandler('publish-alert', async () => ({ status: 'published', actions: [] }), { records: writer });
    await handler({ kind: 'invalid-event', rawEvent: {} });
    await handler({ incident: { key: 'incident#other-item' } });
    await handler({ incident: { key: 'x'.repeat(65) } });
    expect(writer.written).toEqual([]);
  });
});

describe('incidentRecordRetentionDaysFromEnv', () => {
  it('defaults to DEFAULT_INCIDENT_RECORD_RETENTION_DAYS and reads the deployment setting', () => {
    expect(incidentRecordRetentionDaysFromEnv({})).toBe(DEFAULT_INCIDENT_RECORD_RETENTION_DAYS);
    expect(incidentRecordRetentionDaysFromEnv({ [DEPLOYMENT_ENV.incidentRecordRetentionDays]: '90' })).toBe(90);
  });

  it('refuses anything but a whole number of days from 1 to 3650, naming the variable', () => {
    for (const bad of ['0', '3651', '1.5', 'a year', '-3']) {
      expect(() => incidentRecordRetentionDaysFromEnv({ [DEPLOYMENT_ENV.incidentRecordRetentionDays]: bad })).toThrow(IncidentRecordConfigError);
    }
    expect(() => incidentRecordRetentionDaysFromEnv({ [DEPLOYMENT_ENV.incidentRecordRetentionDays]: '0' })).toThrow(/FIREBREAK_INCIDENT_RECORD_RETENTION_DAYS/);
  });
});
