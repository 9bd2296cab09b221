/**
 * The incident record: one item per incident in the state table (`incident#<incident key>`) to which
 * every step appends what it did, as it happens: its start and end times, its status, the actions
 * it took or would take (its own ActionLog), and, when it threw, the error with the actions the
 * attempt took before it (a retried step's changes are dated by the attempt that made them). Alerts append too, with
 * the failure they report (a step that failed without reaching its own handler, e.g. a Lambda
 * timeout, is recorded there) or the approval they request.
 *
 * Written by `recordingHandler` around each responder handler, in Lambda and in the local game day
 * alike, after the responder ran (the write never delays the responder's own calls) and before the
 * state machine sees the result: when the execution fails later, what was written stays. One
 * UpdateItem with `list_append` per step: no read, no lost update between parallel branches.
 *
 * The record is a log, not a rail: no responder reads it to decide anything, and every field is
 * a claim of the step that wrote it (the operator's reader validates each entry and quotes it).
 * A record write that fails is logged and does not fail the step: containment must not depend on
 * the bookkeeping. The retention is the deployment's (FIREBREAK_INCIDENT_RECORD_RETENTION_DAYS),
 * counted from the last entry through the table's TTL attribute.
 */
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CHANGE_RESERVE_BYTES_ATTRIBUTE, STEP_ENTRY_BYTES_ATTRIBUTE, UNCONFIRMED_ENTRY_BYTES_ATTRIBUTE } from '../contracts/incident-record';
import { awsErrorCode } from '../aws/errors';
import type { IncidentLogger } from './logging';
import { runAttempt } from './attempt-actions';
import type { IncidentRecordEntry, IncidentRecordHeader, IncidentRecordWriter, RecordedAction } from './incident-record-model';
import { CHANGE_RESERVE_BYTES, compactChangeEntry, DEFAULT_INCIDENT_RECORD_RETENTION_DAYS, STEP_ENTRY_BUDGET_BYTES, UNCONFIRMED_ENTRY_BUDGET_BYTES, incidentKeyOf, incidentRecordKey, objectField, optionalField, boundedText, RECORD_LIMITS, recordAppendUpdate, recordHeaderOf } from './incident-record-model';

// The model (types, bounds, retention, the append's UpdateItem) lives apart, with no SDK client.
export * from './incident-record-model';

/** Appends entries to `incident#<key>` items of the state table, one UpdateItem each. */
export class DynamoDbIncidentRecords implements IncidentRecordWriter {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly retentionDays: number = DEFAULT_INCIDENT_RECORD_RETENTION_DAYS,
  ) {}

  async append(header: IncidentRecordHeader, entry: IncidentRecordEntry, origin?: { readonly verified: boolean }): Promise<void> {
    const update = recordAppendUpdate(header, entry, this.retentionDays);
    // The entry's bytes as DynamoDB counts them (its JSON in UTF-8, and a list element's byte),
    // counted against the steps' budget, which the append may not pass (row 17c); an entry whose
    // step did not confirm its execution's origin also against the smaller budget of such entries,
    // so that direct invocations never take the room of the incident's own steps (row 17d).
    const bytes = Buffer.byteLength(JSON.stringify(entry)) + 1;
    const unconfirmed = origin?.verified !== true;
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: incidentRecordKey(header.incidentKey) } },
        UpdateExpression: `${update.updateExpression} ADD #b :b${unconfirmed ? ', #u :b' : ''}`,
        ConditionExpression: `(attribute_not_exists(#b) OR #b <= :r)${unconfirmed ? ' AND (attribute_not_exists(#u) OR #u <= :ru)' : ''}`,
        ExpressionAttributeNames: { ...update.names, '#b': STEP_ENTRY_BYTES_ATTRIBUTE, ...(unconfirmed ? { '#u': UNCONFIRMED_ENTRY_BYTES_ATTRIBUTE } : {}) },
        ExpressionAttributeValues: {
          ...update.values,
          ':b': { N: String(bytes) },
          ':r': { N: String(STEP_ENTRY_BUDGET_BYTES - bytes) },
          ...(unconfirmed ? { ':ru': { N: String(UNCONFIRMED_ENTRY_BUDGET_BYTES - bytes) } } : {}),
        },
      }),
    ).catch((error: unknown) => this.appendChange(header, entry, error));
  }

  /**
   * Past the budget, a confirmed step's change still recorded: its compact entry in the room of its
   * own (row 17f); any other refusal, or entry, is `error` again.
   */
  private async appendChange(header: IncidentRecordHeader, entry: IncidentRecordEntry, error: unknown): Promise<void> {
    const compact = awsErrorCode(error) === 'ConditionalCheckFailedException' ? compactChangeEntry(entry) : undefined;
    if (compact === undefined) throw error;
    const update = recordAppendUpdate(header, compact, this.retentionDays);
    const bytes = Buffer.byteLength(JSON.stringify(compact)) + 1;
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: incidentRecordKey(header.incidentKey) } },
        UpdateExpression: `${update.updateExpression} ADD #b :b, #c :b`,
        ConditionExpression: 'attribute_not_exists(#c) OR #c <= :rc',
        ExpressionAttributeNames: { ...update.names, '#b': STEP_ENTRY_BYTES_ATTRIBUTE, '#c': CHANGE_RESERVE_BYTES_ATTRIBUTE },
        ExpressionAttributeValues: { ...update.values, ':b': { N: String(bytes) }, ':rc': { N: String(CHANGE_RESERVE_BYTES - bytes) } },
      }),
    );
  }
}

function actionsOf(value: unknown): { actions: RecordedAction[]; omitted: number } {
  const list = Array.isArray(value) ? value : [];
  const actions: RecordedAction[] = [];
  for (const item of list.slice(0, RECORD_LIMITS.actions)) {
    const action = objectField(item);
    if (!action) continue;
    actions.push({
      api: boundedText(action.api, 120) ?? '',
      target: boundedText(action.target, 300) ?? '',
      outcome: boundedText(action.outcome, 40) ?? '',
      detail: boundedText(action.detail, RECORD_LIMITS.detail) ?? '',
      ...optionalField('at', boundedText(action.at, 40)),
    });
  }
  return { actions, omitted: Math.max(0, list.length - RECORD_LIMITS.actions) };
}

function reasonsOf(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value.slice(0, RECORD_LIMITS.text)];
  if (!Array.isArray(value)) return undefined;
  return value.filter((reason): reason is string => typeof reason === 'string').slice(0, RECORD_LIMITS.reasons).map((reason) => reason.slice(0, RECORD_LIMITS.text));
}

/** What a step did, as its payload and its result (or its error) say: the entry it appends. */
export function incidentRecordEntry(
  step: string,
  event: unknown,
  ended: { readonly result: unknown } | { readonly error: unknown; readonly actions?: readonly unknown[] },
  times: { readonly startedAt: Date; readonly endedAt: Date },
): IncidentRecordEntry {
  const input = objectField(event) ?? {};
  const execution = objectField(input.execution);
  const request = objectField(input.request);
  const failure = objectField(input.failure);
  const requestedBy = boundedText(request?.requestedBy, 300);
  const common = {
    step,
    startedAt: times.startedAt.toISOString(),
    endedAt: times.endedAt.toISOString(),
    ...optionalField('playbook', boundedText(execution?.playbook, 80) ?? boundedText(input.playbook, 80)),
    ...optionalField('executionArn', boundedText(execution?.executionArn, 300)),
    ...optionalField('executionName', boundedText(execution?.executionName, 80)),
    ...optionalField('alertKind', boundedText(input.kind, 40)),
    ...optionalField(
      'failure',
      failure ? { step: boundedText(failure.step, 120) ?? 'unknown', error: boundedText(failure.error, 200) ?? 'unknown error', ...optionalField('cause', boundedText(failure.cause)) } : undefined,
    ),
    ...optionalField('reasons', reasonsOf(input.reasons)),
    ...optionalField('request', requestedBy !== undefined ? { requestedBy, ...optionalField('reason', boundedText(request?.reason)) } : undefined),
  };
  if ('error' in ended) {
    const error = ended.error;
    const name = error instanceof Error ? error.name : 'Error';
    const message = error instanceof Error ? error.message : String(error);
    // The actions the attempt took before it threw (attempt-actions.ts), bounded as a result's are.
    const { actions, omitted } = actionsOf(ended.actions);
    return {
      ...common,
      outcome: 'failed',
      status: name.slice(0, 120),
      ...optionalField('mode', boundedText(input.mode, 16)),
      error: { name: name.slice(0, 120), message: message.slice(0, RECORD_LIMITS.text) },
      actions,
      ...(omitted > 0 ? { actionsOmitted: omitted } : {}),
    };
  }
  const result = objectField(ended.result) ?? {};
  const { actions, omitted } = actionsOf(result.actions);
  return {
    ...common,
    outcome: 'succeeded',
    status: boundedText(result.status, 80) ?? 'succeeded',
    ...optionalField('mode', boundedText(result.mode, 16) ?? boundedText(input.mode, 16)),
    actions,
    ...(omitted > 0 ? { actionsOmitted: omitted } : {}),
  };
}

/** What recordingHandler needs: where to write, the clock, and where to say a write failed. */
export interface RecordingDeps {
  readonly records: IncidentRecordWriter;
  readonly now?: () => Date;
  readonly logger?: Pick<IncidentLogger, 'warn'>;
}

/**
 * `handler`, appending what it did to its incident's record after each invocation: its result, or
 * its error with the actions the attempt took before it (attempt-actions.ts), then rethrown
 * unchanged, so the state machine's Retry/Catch see what they always saw.
 * A payload without an incident key is not recorded (it is not about an incident).
 */
export function recordingHandler<Result>(step: string, handler: (event: unknown) => Promise<Result>, deps: RecordingDeps): (event: unknown) => Promise<Result> {
  const now = deps.now ?? (() => new Date());
  const write = async (event: unknown, ended: { result: unknown } | { error: unknown; actions: readonly unknown[] }, startedAt: Date, verified: boolean) => {
    const incidentKey = incidentKeyOf(event);
    if (incidentKey === undefined) return;
    try {
      const entry = incidentRecordEntry(step, event, ended, { startedAt, endedAt: now() });
      // The mark is the recorder's, never the payload's: the report counts no claim of an entry
      // whose step did not confirm its execution invoked it (row 17e).
      await deps.records.append(recordHeaderOf(incidentKey, event), verified ? entry : { ...entry, unconfirmed: true }, { verified });
    } catch (error) {
      deps.logger?.warn('incident record not written', { incidentKey, step, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    }
  };
  return async (event) => {
    const startedAt = now();
    const attempt = await runAttempt(() => handler(event), now);
    if (!attempt.ok) {
      await write(event, { error: attempt.error, actions: attempt.actions }, startedAt, attempt.originVerified);
      throw attempt.error;
    }
    await write(event, { result: attempt.value }, startedAt, attempt.originVerified);
    return attempt.value;
  };
}
