/**
 * The incident record: one item per incident in the state table (`incident#<incident key>`) to which
 * every step appends what it did, as it happens: its start and end times, its status, the actions
 * it took or would take (its own ActionLog), and, when it threw, the error. Alerts append too, with
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
import { DEPLOYMENT_ENV } from '../contracts/environment';
import { FirebreakError } from '../contracts/errors';
import { STATE_KEY_PREFIX } from '../contracts/security';
import { BLAST_RADIUS_TTL_ATTRIBUTE } from './blast-radius';
import type { IncidentLogger } from './logging';

/** Days a record is kept after its last entry when the deployment says nothing (a little over a year: one audit cycle). */
export const DEFAULT_INCIDENT_RECORD_RETENTION_DAYS = 400;

/** Bounds of one entry, so that a long incident stays far below DynamoDB's 400 KB item size. */
export const RECORD_LIMITS = { actions: 60, detail: 300, text: 500, reasons: 20 } as const;

/** One action a step took, as its ActionLog recorded it (outcome: done, would-do, skipped, …). */
export interface RecordedAction {
  readonly api: string;
  readonly target: string;
  readonly outcome: string;
  readonly detail: string;
  readonly at?: string;
}

/** What one step appends to the incident record. */
export interface IncidentRecordEntry {
  /** The responder that ran (containment-guard, quarantine-instance, publish-alert, …). */
  readonly step: string;
  readonly startedAt: string;
  readonly endedAt: string;
  /** `succeeded` (its result has a status) or `failed` (it threw: `error` says what). */
  readonly outcome: 'succeeded' | 'failed';
  /** The responder's own status (quarantined, proceed, dry-run, published…) or the error's name. */
  readonly status: string;
  readonly mode?: string;
  readonly playbook?: string;
  readonly executionArn?: string;
  readonly executionName?: string;
  /** publish-alert: which alert (report, failure, approval-request, triage-only, invalid-event). */
  readonly alertKind?: string;
  /** A failure alert's failure: the state that failed and its error, as the state machine caught it. */
  readonly failure?: { readonly step: string; readonly error: string; readonly cause?: string };
  /** Triage's reasons on an alert-only incident. */
  readonly reasons?: readonly string[];
  /** A manual playbook's request (a release): who asked, and why. */
  readonly request?: { readonly requestedBy: string; readonly reason?: string };
  /** The error the step threw. */
  readonly error?: { readonly name: string; readonly message: string };
  readonly actions: readonly RecordedAction[];
  /** How many actions were left out to keep the entry bounded. */
  readonly actionsOmitted?: number;
  /** Triage: the keys of the child incidents its decision starts (one per instance of an attack sequence…). */
  readonly children?: readonly string[];
}

/** The incident's own facts, written with the first entry (and kept: `if_not_exists`). */
export interface IncidentRecordHeader {
  readonly incidentKey: string;
  readonly account?: string;
  readonly region?: string;
  readonly source?: string;
  readonly findingType?: string;
  readonly severityLabel?: string;
  readonly severityScore?: number;
  /** The resource the incident is about (an instance id…), as the incident names it. */
  readonly resource?: string;
  readonly gameDay?: boolean;
  readonly sample?: boolean;
  /** When the finding was created at its source, and when Firebreak received it (ISO 8601). */
  readonly createdAt?: string;
  readonly receivedAt?: string;
}

/** Where entries go: the state table in Lambda and in the game day, a list in tests. */
export interface IncidentRecordWriter {
  append(header: IncidentRecordHeader, entry: IncidentRecordEntry): Promise<void>;
}

/** FIREBREAK_INCIDENT_RECORD_RETENTION_DAYS is not a whole number of days from 1 to 3650. */
export class IncidentRecordConfigError extends FirebreakError {
  override readonly name = 'IncidentRecordConfigError';
}

/** The deployment's retention in days (default DEFAULT_INCIDENT_RECORD_RETENTION_DAYS); throws naming the variable. */
export function incidentRecordRetentionDaysFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const raw = env[DEPLOYMENT_ENV.incidentRecordRetentionDays]?.trim();
  if (raw === undefined || raw === '') return DEFAULT_INCIDENT_RECORD_RETENTION_DAYS;
  const days = Number(raw);
  if (!Number.isInteger(days) || days < 1 || days > 3650) {
    throw new IncidentRecordConfigError(`${DEPLOYMENT_ENV.incidentRecordRetentionDays} must be a whole number of days from 1 to 3650; got ${JSON.stringify(raw.slice(0, 20))}`);
  }
  return days;
}

/** The record's partition key. */
export function incidentRecordKey(incidentKey: string): string {
  return `${STATE_KEY_PREFIX.incident}${incidentKey}`;
}

/** The attribute holding the entries (a list of JSON strings, oldest first). */
export const RECORD_ENTRIES_ATTRIBUTE = 'entries';

/** The header's fields, stored as attributes of the same names (the operator's list filters on them). */
export const HEADER_FACTS = ['account', 'region', 'source', 'findingType', 'severityLabel', 'severityScore', 'resource', 'gameDay', 'sample', 'createdAt', 'receivedAt'] as const satisfies readonly (keyof IncidentRecordHeader)[];

/** Appends entries to `incident#<key>` items of the state table, one UpdateItem each. */
export class DynamoDbIncidentRecords implements IncidentRecordWriter {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly retentionDays: number = DEFAULT_INCIDENT_RECORD_RETENTION_DAYS,
  ) {}

  async append(header: IncidentRecordHeader, entry: IncidentRecordEntry): Promise<void> {
    const update = recordAppendUpdate(header, entry, this.retentionDays);
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: incidentRecordKey(header.incidentKey) } },
        UpdateExpression: update.updateExpression,
        ExpressionAttributeNames: update.names,
        ExpressionAttributeValues: update.values,
      }),
    );
  }
}

/** A DynamoDB attribute value as the low-level API (and a Step Functions DynamoDB task) takes it. */
export type RecordAttributeValue = { S: string } | { N: string } | { BOOL: boolean } | { L: { S: string }[] } | { SS: string[] };

/** The variable parts of one append's UpdateItem: the same for every step and for the dispatcher's triage write. */
export interface RecordAppendUpdate {
  readonly updateExpression: string;
  readonly names: Record<string, string>;
  readonly values: Record<string, RecordAttributeValue>;
}

/**
 * The UpdateItem that appends `entry` to the record: `list_append` on the entries (no read, so
 * parallel writers never lose each other's), the last update time, the TTL (the retention counted
 * from this entry), and the incident's facts, each `if_not_exists` (the first writer's stay: a later
 * step cannot rewrite where it happened).
 */
export function recordAppendUpdate(header: IncidentRecordHeader, entry: IncidentRecordEntry, retentionDays: number): RecordAppendUpdate {
  const values: Record<string, RecordAttributeValue> = {
    ':entry': { L: [{ S: JSON.stringify(entry) }] },
    ':none': { L: [] },
    ':updatedAt': { S: entry.endedAt },
    ':ttl': { N: String(Math.floor(Date.parse(entry.endedAt) / 1000) + retentionDays * 86_400) },
  };
  // Every attribute through a placeholder: `source`, `region`, `resource` and `ttl` are DynamoDB reserved words.
  const names: Record<string, string> = { '#entries': RECORD_ENTRIES_ATTRIBUTE, '#updatedAt': 'updatedAt', '#ttl': BLAST_RADIUS_TTL_ATTRIBUTE };
  const sets = ['#entries = list_append(if_not_exists(#entries, :none), :entry)', '#updatedAt = :updatedAt', '#ttl = :ttl'];
  for (const field of HEADER_FACTS) {
    const value = header[field];
    if (value === undefined) continue;
    names[`#${field}`] = field;
    values[`:${field}`] = typeof value === 'number' ? { N: String(value) } : typeof value === 'boolean' ? { BOOL: value } : { S: value };
    sets.push(`#${field} = if_not_exists(#${field}, :${field})`);
  }
  return { updateExpression: `SET ${sets.join(', ')}`, names, values };
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function text(value: unknown, max: number = RECORD_LIMITS.text): string | undefined {
  return typeof value === 'string' ? value.slice(0, max) : undefined;
}

/** `{ key: value }` when value is defined, else `{}`: keeps optional fields absent rather than undefined. */
function some<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** The incident key of a step's payload, when it names one (a payload that does not is not recorded). */
export function incidentKeyOf(event: unknown): string | undefined {
  const key = record(record(event)?.incident)?.key;
  return typeof key === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(key) ? key : undefined;
}

/** The incident's facts as a step's payload states them. */
export function recordHeaderOf(incidentKey: string, event: unknown): IncidentRecordHeader {
  const incident = record(record(event)?.incident) ?? {};
  const severity = record(incident.severity);
  const resource = record(incident.resource);
  const times = record(incident.times);
  const score = severity?.score;
  const resourceId = text(resource?.instanceId, 64) ?? text(resource?.accessKeyId, 64) ?? text(resource?.id, 200);
  return {
    incidentKey,
    ...some('account', text(incident.account, 12)),
    ...some('region', text(incident.region, 32)),
    ...some('source', text(incident.source, 32)),
    ...some('findingType', text(incident.findingType, 200)),
    ...some('severityLabel', text(severity?.label, 16)),
    ...some('severityScore', typeof score === 'number' && Number.isFinite(score) ? score : undefined),
    ...some('resource', resourceId),
    ...some('gameDay', typeof incident.gameDay === 'boolean' ? incident.gameDay : undefined),
    ...some('sample', typeof incident.sample === 'boolean' ? incident.sample : undefined),
    ...some('createdAt', text(times?.created, 40)),
    ...some('receivedAt', text(times?.received, 40)),
  };
}

function actionsOf(value: unknown): { actions: RecordedAction[]; omitted: number } {
  const list = Array.isArray(value) ? value : [];
  const actions: RecordedAction[] = [];
  for (const item of list.slice(0, RECORD_LIMITS.actions)) {
    const action = record(item);
    if (!action) continue;
    actions.push({
      api: text(action.api, 120) ?? '',
      target: text(action.target, 300) ?? '',
      outcome: text(action.outcome, 40) ?? '',
      detail: text(action.detail, RECORD_LIMITS.detail) ?? '',
      ...some('at', text(action.at, 40)),
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
  ended: { readonly result: unknown } | { readonly error: unknown },
  times: { readonly startedAt: Date; readonly endedAt: Date },
): IncidentRecordEntry {
  const input = record(event) ?? {};
  const execution = record(input.execution);
  const request = record(input.request);
  const failure = record(input.failure);
  const requestedBy = text(request?.requestedBy, 300);
  const common = {
    step,
    startedAt: times.startedAt.toISOString(),
    endedAt: times.endedAt.toISOString(),
    ...some('playbook', text(execution?.playbook, 80) ?? text(input.playbook, 80)),
    ...some('executionArn', text(execution?.executionArn, 300)),
    ...some('executionName', text(execution?.executionName, 80)),
    ...some('alertKind', text(input.kind, 40)),
    ...some(
      'failure',
      failure ? { step: text(failure.step, 120) ?? 'unknown', error: text(failure.error, 200) ?? 'unknown error', ...some('cause', text(failure.cause)) } : undefined,
    ),
    ...some('reasons', reasonsOf(input.reasons)),
    ...some('request', requestedBy !== undefined ? { requestedBy, ...some('reason', text(request?.reason)) } : undefined),
  };
  if ('error' in ended) {
    const error = ended.error;
    const name = error instanceof Error ? error.name : 'Error';
    const message = error instanceof Error ? error.message : String(error);
    return { ...common, outcome: 'failed', status: name.slice(0, 120), ...some('mode', text(input.mode, 16)), error: { name: name.slice(0, 120), message: message.slice(0, RECORD_LIMITS.text) }, actions: [] };
  }
  const result = record(ended.result) ?? {};
  const { actions, omitted } = actionsOf(result.actions);
  return {
    ...common,
    outcome: 'succeeded',
    status: text(result.status, 80) ?? 'succeeded',
    ...some('mode', text(result.mode, 16) ?? text(input.mode, 16)),
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
 * its error (then rethrown unchanged, so the state machine's Retry/Catch see what they always saw).
 * A payload without an incident key is not recorded (it is not about an incident).
 */
export function recordingHandler<Result>(step: string, handler: (event: unknown) => Promise<Result>, deps: RecordingDeps): (event: unknown) => Promise<Result> {
  const now = deps.now ?? (() => new Date());
  const write = async (event: unknown, ended: { result: unknown } | { error: unknown }, startedAt: Date) => {
    const incidentKey = incidentKeyOf(event);
    if (incidentKey === undefined) return;
    try {
      await deps.records.append(recordHeaderOf(incidentKey, event), incidentRecordEntry(step, event, ended, { startedAt, endedAt: now() }));
    } catch (error) {
      deps.logger?.warn('incident record not written', { incidentKey, step, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    }
  };
  return async (event) => {
    const startedAt = now();
    let result: Result;
    try {
      result = await handler(event);
    } catch (error) {
      await write(event, { error }, startedAt);
      throw error;
    }
    await write(event, { result }, startedAt);
    return result;
  };
}
