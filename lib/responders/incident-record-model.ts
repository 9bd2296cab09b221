/**
 * The incident record's model, without any SDK client: what an entry and the header hold, their
 * bounds, the retention, and the UpdateItem that appends an entry (used by every step's writer,
 * ./incident-record.ts, and by triage, whose write the dispatcher makes: ./triage-record.ts). Apart
 * from the writer so that the triage bundle, which makes no call, carries no DynamoDB client.
 */
import { DEPLOYMENT_ENV } from '../contracts/environment';
import { FirebreakError } from '../contracts/errors';
import { STATE_TTL_ATTRIBUTE } from '../contracts/incident-record';
import { STATE_KEY_PREFIX } from '../contracts/security';

/** Days a record is kept after its last entry when the deployment says nothing (a little over a year: one audit cycle). */
export const DEFAULT_INCIDENT_RECORD_RETENTION_DAYS = 400;

/** Bounds of one entry, so that a long incident stays far below DynamoDB's 400 KB item size. */
export const RECORD_LIMITS = { actions: 60, detail: 300, text: 500, reasons: 20 } as const;

/**
 * The most bytes of entries the steps may append to one record (STEP_ENTRY_BYTES_ATTRIBUTE): the
 * rest of DynamoDB's 400 KB item is triage's. DynamoDB refuses a write that would take the item past
 * 400 KB, and every step appends for the incident key its payload names, a direct invocation's too
 * (lambda:InvokeFunction, a payload of the invoker's choosing: 20 reasons of 500 characters, up to
 * 60 KB once JSON escapes them): without a budget, a few dozen invocations before the finding
 * arrived filled the record, the first triage's write was refused, and its facts with it (`triageFacts`,
 * row 17b). Past it a step's entry is not written (logged), as a write that fails always was; 144 KiB
 * stay for the facts and triage's writes, one per revision (docs/security.md row 17c).
 */
export const STEP_ENTRY_BUDGET_BYTES = 256 * 1024;

/**
 * Of STEP_ENTRY_BUDGET_BYTES, the most the entries of invocations the step did not confirm as its
 * playbook execution's may take (UNCONFIRMED_ENTRY_BYTES_ATTRIBUTE): a direct invocation names any
 * incident key, so without it a few dozen, sent before or during the incident, used the whole budget
 * and the entries of what the incident's own steps did were not written. The confirmed entries
 * (noteVerifiedOrigin, attempt-actions.ts) keep the 192 KiB left (docs/security.md row 17d).
 */
export const UNCONFIRMED_ENTRY_BUDGET_BYTES = 64 * 1024;

/**
 * Room past STEP_ENTRY_BUDGET_BYTES for the compact entry (compactChangeEntry) of a confirmed step
 * that changed something, written when the budget refuses its full entry (CHANGE_RESERVE_BYTES_ATTRIBUTE).
 * A confirmed entry is one whose execution runs and cleared it (row 17d), and a grant does not bind
 * the payload's `reasons`: replays of the running execution's step with 60 KB of reasons each spent
 * the budget, and the genuine step's isolation was not recorded (row 17f). Only a confirmed entry
 * with a `done` action enters, without its payload's words: a replay enters only when it changed
 * something itself (then it records that change). 256 + 32 KiB leave 112 KiB for the facts and triage.
 */
export const CHANGE_RESERVE_BYTES = 32 * 1024;

/**
 * The entry of a confirmed step that changed something, as it is written past the budget: the step,
 * its times, status and execution, and its `done` actions with short details; none of the payload's
 * reasons, failure or request, nor the error's message (row 17f). At most some 24 KB.
 */
export function compactChangeEntry(entry: IncidentRecordEntry): IncidentRecordEntry | undefined {
  if (entry.unconfirmed === true) return undefined;
  const done = entry.actions.filter((action) => action.outcome === 'done');
  if (done.length === 0) return undefined;
  const { reasons: _reasons, failure: _failure, request: _request, error, actionsOmitted: _omitted, ...kept } = entry;
  return {
    ...kept,
    ...(error !== undefined ? { error: { name: error.name, message: '' } } : {}),
    actions: done.map((action) => ({ api: action.api, target: action.target.slice(0, 120), outcome: action.outcome, detail: action.detail.slice(0, 80), ...optionalField('at', action.at) })),
    ...(entry.actions.length > done.length || entry.actionsOmitted !== undefined ? { actionsOmitted: entry.actions.length - done.length + (entry.actionsOmitted ?? 0) } : {}),
  };
}

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
  /**
   * Set by the recorder (never from the payload) when the step did not confirm that its playbook
   * execution invoked it (noteVerifiedOrigin: a direct invocation, a step that failed before its
   * check, the dispatcher's unverifiable alerts): the execution, alert kind, failure, request and
   * mode the entry names are then its invoker's words, which the report shows and never counts
   * (docs/security.md row 17e).
   */
  readonly unconfirmed?: true;
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
  /** `origin.verified`: the step's own check confirmed its playbook execution invoked it (row 17d). */
  append(header: IncidentRecordHeader, entry: IncidentRecordEntry, origin?: { readonly verified: boolean }): Promise<void>;
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

/** A DynamoDB attribute value as the low-level API (and a Step Functions DynamoDB task) takes it. */
export type RecordAttributeValue = { S: string } | { N: string } | { BOOL: boolean } | { L: { S: string }[] } | { SS: string[] } | { M: Record<string, RecordAttributeValue> };

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
  const names: Record<string, string> = { '#entries': RECORD_ENTRIES_ATTRIBUTE, '#updatedAt': 'updatedAt', '#ttl': STATE_TTL_ATTRIBUTE };
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

/** The value as an object when it is one (not null, not an array): a step's payload is a claim. */
export function objectField(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** The value when it is a string, cut to `max` characters. */
export function boundedText(value: unknown, max: number = RECORD_LIMITS.text): string | undefined {
  return typeof value === 'string' ? value.slice(0, max) : undefined;
}

/** `{ key: value }` when value is defined, else `{}`: keeps optional fields absent rather than undefined. */
export function optionalField<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** The incident key of a step's payload, when it names one (a payload that does not is not recorded). */
export function incidentKeyOf(event: unknown): string | undefined {
  const key = objectField(objectField(event)?.incident)?.key;
  return typeof key === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(key) ? key : undefined;
}

/** The incident's facts as a step's payload states them. */
export function recordHeaderOf(incidentKey: string, event: unknown): IncidentRecordHeader {
  const incident = objectField(objectField(event)?.incident) ?? {};
  const severity = objectField(incident.severity);
  const resource = objectField(incident.resource);
  const times = objectField(incident.times);
  const score = severity?.score;
  const resourceId = boundedText(resource?.instanceId, 64) ?? boundedText(resource?.accessKeyId, 64) ?? boundedText(resource?.id, 200);
  return {
    incidentKey,
    ...optionalField('account', boundedText(incident.account, 12)),
    ...optionalField('region', boundedText(incident.region, 32)),
    ...optionalField('source', boundedText(incident.source, 32)),
    ...optionalField('findingType', boundedText(incident.findingType, 200)),
    ...optionalField('severityLabel', boundedText(severity?.label, 16)),
    ...optionalField('severityScore', typeof score === 'number' && Number.isFinite(score) ? score : undefined),
    ...optionalField('resource', resourceId),
    ...optionalField('gameDay', typeof incident.gameDay === 'boolean' ? incident.gameDay : undefined),
    ...optionalField('sample', typeof incident.sample === 'boolean' ? incident.sample : undefined),
    ...optionalField('createdAt', boundedText(times?.created, 40)),
    ...optionalField('receivedAt', boundedText(times?.received, 40)),
  };
}
