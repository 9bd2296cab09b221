/**
 * The incident parser: any event Firebreak accepts → `Incident`, anything else → `EventParseError`
 * naming the field paths at fault. Accepted:
 * - an EventBridge event from `aws.guardduty` ("GuardDuty Finding", or "GuardDuty Malware
 *   Protection Object Scan Result" of Malware Protection for S3) or `aws.cloudwatch`
 *   ("CloudWatch Alarm State Change"), or the same detail-types from `firebreak.gameday`
 *   (EventBridge refuses custom events whose source starts with `aws.`, so game days use their own);
 * - a bare GuardDuty finding, camelCase (an event's `detail`) or PascalCase (GetFindings, as the CLI prints it);
 * - a GetFindings response `{"Findings": [...]}`.
 * Whatever the JSON, the only error that leaves this module is `EventParseError`.
 */
import type * as z from '../contracts/zod-mini';
import type { Incident } from './model';
import { EventParseError, describeReceived } from './errors';
import type { EventParseIssue } from './errors';
import {
  ACCEPTED_DETAIL_TYPES,
  ALARM_DETAIL_TYPE,
  GAMEDAY_SOURCE,
  S3_OBJECT_SCAN_DETAIL_TYPE,
  alarmDetailSchema,
  envelopeSchema,
  guardDutyFindingSchema,
  s3ObjectScanDetailSchema,
} from './schemas';
import { camelCaseKeys, camelKey } from './case';
import { findingToIncident } from './guardduty';
import { alarmToIncident } from './cloudwatch';
import { withinIncidentBudget } from './budget';
import { clippedEventMarkerOf } from './clip-event';
import { s3ObjectScanToIncident } from './malware';
import type { PathSegment, RawIssue, ReadContext } from './reading';
import { RawIssuesError, isRecord, valueAt } from './reading';

export { EventParseError } from './errors';
export type { EventParseIssue } from './errors';
export { severityLabel } from './severity';
export { executionNameFor, playbookExecutionName } from './keys';

export interface ParseOptions {
  /** When Firebreak received the event (`times.received`); defaults to now. */
  readonly receivedAt?: Date;
}

const ACCEPTED_SHAPES =
  'an EventBridge event (source, detail-type, detail), a GuardDuty finding, or a GetFindings response {"Findings": [...]}';

/** Parses an event that must hold exactly one finding or alarm state change. */
export function parseEvent(input: unknown, options: ParseOptions = {}): Incident {
  return guarded(input, () => {
    const incidents = parseAll(input, receivedIso(options), true).map(withinIncidentBudget);
    // parseAll already refused any other count for GetFindings responses; the others hold one.
    const [incident] = incidents;
    if (incidents.length !== 1 || incident === undefined) {
      throw new RawIssuesError([{ path: [], expected: 'exactly one finding or alarm', received: `${incidents.length}` }]);
    }
    return incident;
  });
}

/** Parses an event into its incidents: one, or one per finding of a GetFindings response (none for an empty one). */
export function parseEvents(input: unknown, options: ParseOptions = {}): Incident[] {
  return guarded(input, () => parseAll(input, receivedIso(options), false).map(withinIncidentBudget));
}

/** Parses JSON text (a pasted event, a file) into exactly one incident; unreadable JSON is an `EventParseError` too. */
export function parseEventJson(text: string, options: ParseOptions = {}): Incident {
  let input: unknown;
  try {
    if (typeof text !== 'string') throw new TypeError('not a string');
    input = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof SyntaxError ? ` (${error.message.slice(0, 120)})` : '';
    throw new EventParseError([{ path: '(root)', expected: `JSON text${reason}`, received: describeReceived(text) }], { cause: error });
  }
  return parseEvent(input, options);
}

/** Runs a parse, turning raw issues into the caller-facing error and anything unforeseen into one too. */
function guarded<T>(input: unknown, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof EventParseError) throw error;
    if (error instanceof RawIssuesError) throw new EventParseError(error.issues.map((issue) => toPublicIssue(input, issue)));
    // Defense in depth: a parser bug must still reach triage as a refusal, with the bug as its cause.
    throw new EventParseError([{ path: '(root)', expected: 'an event the parser can read' }], { cause: error });
  }
}

function receivedIso(options: ParseOptions): string {
  const receivedAt = options.receivedAt ?? new Date();
  if (!(receivedAt instanceof Date) || Number.isNaN(receivedAt.getTime())) {
    throw new EventParseError([{ path: 'options.receivedAt', expected: 'a valid Date', received: describeReceived(receivedAt) }]);
  }
  return receivedAt.toISOString();
}

function parseAll(input: unknown, received: string, single: boolean): Incident[] {
  if (!isRecord(input)) throw new RawIssuesError([{ path: [], expected: ACCEPTED_SHAPES, received: describeReceived(input) }]);
  if (Object.hasOwn(input, 'detail-type') || Object.hasOwn(input, 'source') || Object.hasOwn(input, 'detail')) {
    return [parseEnvelope(input, received)];
  }
  const findingsKey = Object.hasOwn(input, 'Findings') ? 'Findings' : Object.hasOwn(input, 'findings') ? 'findings' : undefined;
  if (findingsKey !== undefined) return parseFindingsResponse(input[findingsKey], findingsKey, received, single);

  const finding = camelCaseKeys(input);
  if (isRecord(finding) && Object.hasOwn(finding, 'alarmName') && Object.hasOwn(finding, 'state')) {
    throw new RawIssuesError([
      { path: [], expected: 'the whole "CloudWatch Alarm State Change" event (its account and region), not only its detail', received: 'an alarm detail' },
    ]);
  }
  if (isRecord(finding) && ['id', 'type', 'severity', 'schemaVersion'].some((key) => Object.hasOwn(finding, key))) {
    return [parseFinding(finding, { at: [], gameDay: false, received })];
  }
  throw new RawIssuesError([{ path: [], expected: ACCEPTED_SHAPES, received: describeReceived(input) }]);
}

function parseFindingsResponse(findings: unknown, key: string, received: string, single: boolean): Incident[] {
  if (!Array.isArray(findings)) throw new RawIssuesError([{ path: [key], expected: 'a list of GuardDuty findings', received: describeReceived(findings) }]);
  if (single && findings.length !== 1) {
    throw new RawIssuesError([
      { path: [key], expected: 'exactly one finding (parseEvents accepts several)', received: describeReceived(findings) },
    ]);
  }
  const issues: RawIssue[] = [];
  const incidents: Incident[] = [];
  findings.forEach((item, index) => {
    try {
      incidents.push(parseFinding(camelCaseKeys(item), { at: [key, index], gameDay: false, received }));
    } catch (error) {
      if (!(error instanceof RawIssuesError)) throw error;
      issues.push(...error.issues);
    }
  });
  if (issues.length > 0) throw new RawIssuesError(issues);
  return incidents;
}

function parseEnvelope(input: Record<string, unknown>, received: string): Incident {
  const envelope = envelopeSchema.safeParse(input, { reportInput: true });
  if (!envelope.success) throw new RawIssuesError(fromZod(envelope.error, [], input));
  const { source, detail } = envelope.data;
  const detailType = envelope.data['detail-type'];
  const acceptedTypes = Object.hasOwn(ACCEPTED_DETAIL_TYPES, source) ? ACCEPTED_DETAIL_TYPES[source] : undefined;
  if (acceptedTypes === undefined) {
    const sources = Object.keys(ACCEPTED_DETAIL_TYPES).map((name) => JSON.stringify(name)).join(', ');
    throw new RawIssuesError([{ path: ['source'], expected: `one of ${sources}`, received: describeReceived(source) }]);
  }
  if (!acceptedTypes.includes(detailType)) {
    const types = acceptedTypes.map((name) => JSON.stringify(name)).join(' or ');
    throw new RawIssuesError([
      { path: ['detail-type'], expected: `${types} (the detail-type${acceptedTypes.length > 1 ? 's' : ''} Firebreak handles from ${source})`, received: describeReceived(detailType) },
    ]);
  }
  const context: ReadContext = {
    at: ['detail'],
    gameDay: source === GAMEDAY_SOURCE,
    received,
    envelope: { account: envelope.data.account, region: envelope.data.region, time: envelope.data.time, resources: envelope.data.resources },
  };
  return withEventClipping(parseDetail(detailType, detail, context), input);
}

function parseDetail(detailType: string, detail: Record<string, unknown>, context: ReadContext): Incident {
  if (detailType === ALARM_DETAIL_TYPE) {
    const alarm = alarmDetailSchema.safeParse(detail, { reportInput: true });
    if (!alarm.success) throw new RawIssuesError(fromZod(alarm.error, ['detail'], detail));
    return alarmToIncident(alarm.data, context);
  }
  if (detailType === S3_OBJECT_SCAN_DETAIL_TYPE) {
    const camel = camelCaseKeys(detail);
    const scan = s3ObjectScanDetailSchema.safeParse(camel, { reportInput: true });
    if (!scan.success) throw new RawIssuesError(fromZod(scan.error, ['detail'], camel));
    return s3ObjectScanToIncident(scan.data, camel, context);
  }
  return parseFinding(camelCaseKeys(detail), context);
}

/**
 * The incident of a copy the oversized-event intake clipped says so (`clipped.event`), for the alert,
 * the record and the containment guard (which asks a person unless GuardDuty confirmed the finding,
 * `confirmed`: the intake cannot authenticate its sender); a marker the intake cannot have written
 * is not honoured (clippedEventMarkerOf).
 */
function withEventClipping(incident: Incident, event: Record<string, unknown>): Incident {
  const marker = clippedEventMarkerOf(event);
  if (marker === undefined) return incident;
  const clipped = incident.clipped ?? { tags: 0, networkInterfaces: 0, securityGroups: 0, texts: 0, sections: [] };
  const intake = marker.confirmedBy !== undefined ? { originalBytes: marker.originalBytes, confirmed: true as const } : { originalBytes: marker.originalBytes };
  return { ...incident, clipped: { ...clipped, event: intake } };
}

function parseFinding(finding: unknown, context: ReadContext): Incident {
  const parsed = guardDutyFindingSchema.safeParse(finding, { reportInput: true });
  if (!parsed.success) throw new RawIssuesError(fromZod(parsed.error, context.at, finding));
  return findingToIncident(parsed.data, finding, context);
}

/** zod issues as raw issues; `received` describes what is at the path in `parsed` (the value the schema saw). */
function fromZod(error: z.core.$ZodError, at: readonly PathSegment[], parsed: unknown): RawIssue[] {
  return error.issues.map((issue) => {
    const path = issue.path.filter((segment): segment is PathSegment => typeof segment === 'string' || typeof segment === 'number');
    // Messages set in schemas.ts read as "expected <message>"; zod's own defaults start with "Invalid".
    const expected = issue.message.startsWith('Invalid') && 'expected' in issue ? `a ${String(issue.expected)}` : issue.message;
    return { path: [...at, ...path], expected, received: describeReceived(valueAt(parsed, path)) };
  });
}

/** The issue with its path spelled as the caller wrote it (`Findings[0].Resource.ResourceType`, not the camelCase copy). */
function toPublicIssue(input: unknown, issue: RawIssue): EventParseIssue {
  const issuePath = displayPath(input, issue.path);
  return issue.received === undefined ? { path: issuePath, expected: issue.expected } : { path: issuePath, expected: issue.expected, received: issue.received };
}

const PLAIN_KEY = /^[A-Za-z_$][\w$-]*$/;
const STARTS_UPPER = /^[A-Z]/;

function displayPath(root: unknown, path: readonly PathSegment[]): string {
  if (path.length === 0) return '(root)';
  let current: unknown = root;
  let text = '';
  let pascal = false;
  for (const segment of path) {
    if (typeof segment === 'number') {
      text += `[${segment}]`;
      current = Array.isArray(current) ? current[segment] : undefined;
      continue;
    }
    const key = originalKey(current, segment, pascal);
    pascal = STARTS_UPPER.test(key);
    text += PLAIN_KEY.test(key) ? `${text === '' ? '' : '.'}${key}` : `[${JSON.stringify(key)}]`;
    current = isRecord(current) && Object.hasOwn(current, key) ? current[key] : undefined;
  }
  return text;
}

/**
 * The caller's key for a camelCase segment: itself when present, else its PascalCase twin; a
 * missing key is spelled like its siblings, or like its parent when it has none.
 */
function originalKey(container: unknown, segment: string, parentPascal: boolean): string {
  if (isRecord(container) && Object.hasOwn(container, segment)) return segment;
  const keys = isRecord(container) ? Object.keys(container) : [];
  const twin = keys.find((key) => camelKey(key) === segment);
  if (twin !== undefined) return twin;
  const pascal = keys.length > 0 ? keys.every((key) => STARTS_UPPER.test(key)) : parentPascal;
  return pascal ? segment.charAt(0).toUpperCase() + segment.slice(1) : segment;
}
