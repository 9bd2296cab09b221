/**
 * Clipping an event too large for Step Functions. EventBridge events may carry up to 1 MB since
 * January 2026, Step Functions' execution input 256 KiB (lib/contracts/payload-size.ts): the
 * dispatcher's StartExecution refuses a larger event, and one within about 200 bytes of the limit
 * fails at its Triage state with States.DataLimitExceeded, past every Catch. An attacker grows a
 * finding about their own instance that far (tags, interfaces, addresses, what GuardDuty observed)
 * to escape containment. The oversized-event intake (lib/responders/oversized-event.ts) receives the
 * same events and dispatches, for each one over the threshold, this module's copy of it.
 *
 * The copy is a clip, never a rewrite: only the first items of lists and the first characters of
 * long texts are kept, largest first, until it is within its target; the envelope and every field
 * the parser reads (ids, type, severity, times, account, region, the resource, the service's count
 * and sample flag, an alarm's state, a scan's object and result) are never left out, identifiers
 * are never shorter than 1024 characters, and a list keeps at least its first item. A list whose
 * items name what a decision acts on (an attack sequence's resources and the instances its groups
 * list, an alarm's metrics, an instance's network interfaces and their groups) keeps every item the
 * parser reads (DECISION_LISTS, row 8j): triage starts one execution per instance or credential it
 * names, so a cut one would be neither contained nor mentioned, and the boundary refuses an
 * instance finding whose interfaces or groups are malformed. Only as a last resort, for an event
 * grown in breadth (an object of many small members), are members the parser does not read left
 * out, largest first.
 * Deterministic: the same event gives the same copy, so the incident, its execution name and the
 * grants bound to its digest are the same whichever delivery the copy comes from.
 *
 * Nothing is added but the marker, `firebreak-clipped: { originalBytes, by }` (and `confirmedBy`
 * when GuardDuty confirmed the finding: lib/incident/finding-confirmation.ts), at the top level of
 * the event, where no sender can put a key: EventBridge writes the envelope of every event itself
 * (an `aws.*` event comes from the service, and a PutEvents entry names only Source, DetailType,
 * Detail, Resources, Time, EventBusName and TraceHeader:
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsRequestEntry.html).
 * A marker the event already carries is replaced, never passed on.
 */
import { CLIPPED_EVENT_TARGET_BYTES, EVENTBRIDGE_EVENT_LIMIT_BYTES, OVERSIZED_EVENT_THRESHOLD_BYTES, payloadBytes, payloadBytesOver } from '../contracts/payload-size';
import { OVERSIZED_EVENT } from '../contracts/responders';
import { FirebreakError } from '../contracts/errors';
import { ADDITIONAL_INFO_VALUE_MAX, isSampleFinding } from './sample-flag';
import { GUARDDUTY_DETAIL_TYPE, GUARDDUTY_SOURCE } from './schemas';
import { GROUP_INSTANCES_MAX, INSTANCE_GROUP_DATA } from './affected';
import { RESOURCES_READ_MAX, SEQUENCE_PATH } from './sequence';
import { INSTANCE_LIMITS } from './guardduty';

/** The top-level key of the marker: `firebreak-clipped`. */
export const CLIPPED_EVENT_MARKER = 'firebreak-clipped';

/** Who confirmed a clipped event, as the marker names it: GuardDuty's own copy, by GetFindings (lib/incident/finding-confirmation.ts). */
export const FINDING_CONFIRMED_BY = 'guardduty:GetFindings';

/** Who clipped the event: the intake's responder name. */
export const CLIPPED_BY = OVERSIZED_EVENT;

/** The marker the intake puts on the copy it dispatches. */
export interface ClippedEventMarker {
  /** The event's size as delivered, in bytes of UTF-8 JSON. */
  readonly originalBytes: number;
  readonly by: typeof CLIPPED_BY;
  /**
   * Present only when the intake found the event equal to GuardDuty's own copy of its finding
   * (lib/incident/finding-confirmation.ts): the incident's `clipped.event.confirmed`.
   */
  readonly confirmedBy?: typeof FINDING_CONFIRMED_BY;
}

/** The intake's copy of an oversized event. */
export interface ClippedEvent {
  /** The copy, with the marker as its last top-level key. */
  readonly event: Record<string, unknown>;
  /** The event's size as delivered. */
  readonly originalBytes: number;
  /** The copy's size, marker included. */
  readonly bytes: number;
}

/** The event could not be clipped to its target without leaving out what the parser reads, or it lost its sample flag. */
export class EventClippingError extends FirebreakError {
  override readonly name = 'EventClippingError';
}

/**
 * The marker of an event the intake clipped, when Firebreak can have written it: exactly
 * `{ originalBytes, by: 'oversized-event' }`, or that with `confirmedBy: 'guardduty:GetFindings'`
 * on a GuardDuty finding event (source `aws.guardduty`, the only events the intake confirms), a
 * whole number of bytes over the threshold and within EventBridge's 1 MB, on an event itself within
 * the threshold (the intake dispatches nothing larger). Anything else is not honoured: no sender
 * can put a top-level key on an event (EventBridge writes the envelope), so a marker that fails
 * these came from a caller who may start the dispatcher directly. An honoured one sets the
 * incident's `clipped.event`: a note in the alert, and, unless GuardDuty confirmed the finding
 * (`confirmed: true`), the containment guard asks a person before containing it (the intake cannot
 * authenticate its sender). The intake refuses an input over 1 MB, so every copy it dispatches is honoured.
 */
export function clippedEventMarkerOf(event: Readonly<Record<string, unknown>>): ClippedEventMarker | undefined {
  if (!Object.hasOwn(event, CLIPPED_EVENT_MARKER)) return undefined;
  const marker = event[CLIPPED_EVENT_MARKER];
  if (marker === null || typeof marker !== 'object' || Array.isArray(marker)) return undefined;
  const { originalBytes, by, ...rest } = marker as Record<string, unknown>;
  if (by !== CLIPPED_BY) return undefined;
  const extra = Object.keys(rest);
  const confirmed = extra.length === 1 && extra[0] === 'confirmedBy' && rest.confirmedBy === FINDING_CONFIRMED_BY;
  if (extra.length > 0 && !confirmed) return undefined;
  if (confirmed && (event.source !== GUARDDUTY_SOURCE || event['detail-type'] !== GUARDDUTY_DETAIL_TYPE)) return undefined;
  if (typeof originalBytes !== 'number' || !Number.isInteger(originalBytes)) return undefined;
  if (originalBytes <= OVERSIZED_EVENT_THRESHOLD_BYTES || originalBytes > EVENTBRIDGE_EVENT_LIMIT_BYTES) return undefined;
  if (isOversizedEvent(event)) return undefined;
  return confirmed ? { originalBytes, by, confirmedBy: FINDING_CONFIRMED_BY } : { originalBytes, by };
}

/** True when the event is over the threshold the dispatcher target handles alone (OVERSIZED_EVENT_THRESHOLD_BYTES). */
export function isOversizedEvent(event: unknown): boolean {
  return payloadBytesOver(event, OVERSIZED_EVENT_THRESHOLD_BYTES) !== undefined;
}

/** Texts are never cut shorter than this many UTF-16 units: no identifier, ARN or tag is this long. */
const TEXT_FLOOR = 1024;

/**
 * The texts of an attack sequence's resources that are no id a decision acts on (a group's ARN and
 * name, an instance's Name tag as `name`, whatever `data` says but the instances a group lists, an
 * access key's principal and an object's version) are cut to this many units (row 8l): the parser
 * shows them as untrusted text cut to 256 characters, and at 1,024 each, 150 groups named with 255
 * four-byte characters kept no copy within its target, so the intake refused a genuine sequence and
 * none of its instances was contained. An instance's or an access key's uid keeps TEXT_FLOOR, as an
 * object's ARN does (its key names the object), and a bucket's or a cluster's ARN (row 8m): the
 * parser reads the name in it as a checked id, and cut to 64 it named another bucket or cluster.
 */
const SEQUENCE_TEXT_FLOOR = 64;
const SEQUENCE_RESOURCES: Path = ['detail', ...SEQUENCE_PATH, 'resources'];
const SEQUENCE_ID_TYPES: ReadonlySet<unknown> = new Set(['EC2_INSTANCE', 'ACCESS_KEY', 'S3_OBJECT', 'S3_BUCKET', 'EKS_CLUSTER', 'ECS_CLUSTER']);

/** The fewest UTF-16 units a text at `path` keeps in the last phase: SEQUENCE_TEXT_FLOOR for a sequence resource's text that names nothing acted on, else TEXT_FLOOR. */
function textFloor(root: Record<string, unknown>, path: Path): number {
  if (path.length <= SEQUENCE_RESOURCES.length + 1 || !SEQUENCE_RESOURCES.every((segment, index) => path[index] === segment)) return TEXT_FLOOR;
  const index = path[SEQUENCE_RESOURCES.length];
  if (typeof index !== 'number') return TEXT_FLOOR;
  const rest = path.slice(SEQUENCE_RESOURCES.length + 1);
  if (rest[0] === 'data' && (rest[1] === 'accessKey' || rest[1] === 's3Object' || rest[2] === 'ec2InstanceUids')) return TEXT_FLOOR;
  if (rest.length === 1 && rest[0] === 'uid') {
    let resource: unknown = root;
    for (const segment of [...SEQUENCE_RESOURCES, index]) resource = resource !== null && typeof resource === 'object' ? (resource as Record<string | number, unknown>)[segment] : undefined;
    const type = resource !== null && typeof resource === 'object' ? (resource as Record<string, unknown>).resourceType : undefined;
    if (SEQUENCE_ID_TYPES.has(type)) return TEXT_FLOOR;
  }
  return SEQUENCE_TEXT_FLOOR;
}

type Path = readonly (string | number)[];

/**
 * The fields the parser and triage read (lib/incident/parse.ts, guardduty.ts, cloudwatch.ts,
 * malware.ts, sequence.ts), never left out; `*` is any list index. Below each, lists and long texts
 * are still clipped; only members are never left out.
 */
const READ_FIELDS: readonly Path[] = [
  ...['version', 'id', 'detail-type', 'source', 'account', 'time', 'region', 'resources'].map((field) => [field]),
  // A GuardDuty finding.
  ...['schemaVersion', 'accountId', 'region', 'partition', 'id', 'arn', 'type', 'title', 'description', 'severity', 'createdAt', 'updatedAt', 'resource'].map((field) => ['detail', field]),
  ...['count', 'archived', 'serviceName', 'resourceRole', 'action', 'detection', 'eventFirstSeen', 'eventLastSeen', 'featureName', 'runtimeDetails', 'ebsVolumeScanDetails', 'malwareScanDetails'].map((field) => ['detail', 'service', field]),
  ['detail', 'service', 'additionalInfo', 'sample'],
  ['detail', 'service', 'additionalInfo', 'value'],
  // A Malware Protection for S3 scan result.
  ...['scanStatus', 'resourceType', 's3ObjectDetails', 'scanResultDetails'].map((field) => ['detail', field]),
  // A CloudWatch alarm state change.
  ...['alarmName', 'state', 'previousState', 'configuration'].map((field) => ['detail', field]),
];

/**
 * Lists a decision reads item by item, and the fewest items the clip keeps of each: as many as the
 * parser reads (beyond them it only counts what it left out, which the alert says). An attack sequence's resources and the
 * instances each group resource lists are the instances and credentials triage starts a per-instance
 * or per-credential execution for (lib/playbooks/per-instance.ts, per-credential.ts); an alarm's
 * metrics decide whether it names one instance, or none (lib/incident/cloudwatch.ts `resourceOf`:
 * a fleet's or a custom metric among them names none). The attacker grows what the clip cuts
 * largest first (their instances' tags within such a list's items), and halving the list then took
 * its last items whole: an instance GuardDuty listed late was never contained, and nothing said so.
 */
const DECISION_LISTS: readonly { readonly path: Path; readonly keep: number }[] = [
  // One more than the parser reads, so that the copy's incident still says some were left out.
  { path: ['detail', ...SEQUENCE_PATH, 'resources'], keep: RESOURCES_READ_MAX + 1 },
  ...INSTANCE_GROUP_DATA.map((member) => ({ path: ['detail', ...SEQUENCE_PATH, 'resources', '*', 'data', member, 'ec2InstanceUids'], keep: GROUP_INSTANCES_MAX })),
  { path: ['detail', 'configuration', 'metrics'], keep: Number.POSITIVE_INFINITY },
  // The boundary refuses an incident any of whose interfaces, VPCs, subnets or groups is malformed
  // (lib/incident/identifiers.ts): a cut one would let the copy past it.
  { path: ['detail', 'resource', 'instanceDetails', 'networkInterfaces'], keep: INSTANCE_LIMITS.networkInterfaces },
  { path: ['detail', 'resource', 'instanceDetails', 'networkInterfaces', '*', 'securityGroups'], keep: INSTANCE_LIMITS.securityGroupsPerInterface },
];

/** The fewest items the clip keeps of the list at `path`: its first one, or all a decision reads. */
function listFloor(path: Path): number {
  return DECISION_LISTS.find((list) => matches(list.path, path))?.keep ?? 1;
}

/** The GetFindings shape of the sample flag, a JSON string the parser reads whole up to its limit: never cut (a cut one no longer parses). */
function isUncuttable(path: Path, text: string): boolean {
  return text.length <= ADDITIONAL_INFO_VALUE_MAX && matches(['detail', 'service', 'additionalInfo', 'value'], path);
}

function matches(pattern: Path, path: Path): boolean {
  return pattern.length === path.length && pattern.every((segment, index) => segmentMatches(segment, path[index]));
}

function segmentMatches(segment: string | number, actual: string | number | undefined): boolean {
  return segment === '*' ? typeof actual === 'number' : segment === actual;
}

/**
 * Members under a read field that no reader reads, which may be left out like any unread member: the
 * tags of an attack sequence's resources (sequence.ts and affected.ts read each resource's uid,
 * name, type, account, Region and data, never its tags). Whoever holds an instance or a principal
 * sets them, so they are what such an event is grown with; the resources themselves are kept
 * (DECISION_LISTS), and without their tags they fit.
 */
const UNREAD_FIELDS: readonly Path[] = [['detail', ...SEQUENCE_PATH, 'resources', '*', 'tags']];

/** A member at `path` the parser reads, or on the way to one: never left out. */
function isRead(path: Path): boolean {
  if (UNREAD_FIELDS.some((field) => matches(field, path))) return false;
  return READ_FIELDS.some((field) => {
    const length = Math.min(field.length, path.length);
    for (let index = 0; index < length; index += 1) {
      if (!segmentMatches(field[index] as string | number, path[index])) return false;
    }
    return true;
  });
}

/**
 * The intake's copy of `event` (an EventBridge event, a JSON object), within `targetBytes` with its
 * marker (`confirmedBy` when GuardDuty confirmed the event). Throws EventClippingError when it
 * cannot be made to fit, or when the copy would read as no longer a sample finding (it never does:
 * the flag's fields are never cut or left out).
 */
export function clipOversizedEvent(
  event: Readonly<Record<string, unknown>>,
  targetBytes: number = CLIPPED_EVENT_TARGET_BYTES,
  confirmedBy?: typeof FINDING_CONFIRMED_BY,
): ClippedEvent {
  const originalBytes = payloadBytes(event);
  const copy = JSON.parse(JSON.stringify(event)) as Record<string, unknown>;
  delete copy[CLIPPED_EVENT_MARKER];
  const marker: ClippedEventMarker = { originalBytes, by: CLIPPED_BY, ...(confirmedBy !== undefined ? { confirmedBy } : {}) };
  // The marker's own bytes: its key, its value, and the comma before it.
  const markerBytes = payloadBytes({ [CLIPPED_EVENT_MARKER]: marker }) - 2 + 1;
  clipWithin(copy, targetBytes - markerBytes);
  copy[CLIPPED_EVENT_MARKER] = marker;
  const bytes = payloadBytes(copy);
  if (bytes > targetBytes) {
    throw new EventClippingError(`the event of ${originalBytes} bytes (${eventNamed(event)}) could not be clipped within ${targetBytes} bytes without leaving out what the parser reads (${bytes} bytes left): nothing is contained for it; it is kept whole in the undelivered-events queue`);
  }
  if (sampleOf(event) && !sampleOf(copy)) {
    throw new EventClippingError('the clipped copy of a sample finding no longer reads as a sample: refused');
  }
  return { event: copy, originalBytes, bytes };
}

/**
 * What a refused event is, for the error a person is paged with (row 8l): its source, detail-type and
 * id, and the finding's id and type or the alarm's name, each as JSON text cut to 200 characters
 * (a forged event's words). The error message is the undelivered-events queue's ErrorMessage
 * attribute and the intake's log line: before, it gave only sizes, and which finding or alarm was
 * never contained had to be read out of an event of up to 1 MB.
 */
function eventNamed(event: Readonly<Record<string, unknown>>): string {
  const detail = event.detail !== null && typeof event.detail === 'object' ? (event.detail as Record<string, unknown>) : {};
  const quoted = (value: unknown) => (typeof value === 'string' ? JSON.stringify(value.slice(0, 200)) : undefined);
  return [
    ['source', event.source],
    ['detail-type', event['detail-type']],
    ['event id', event.id],
    ['finding id', detail.id],
    ['finding type', detail.type],
    ['alarm', detail.alarmName],
  ]
    .flatMap(([name, value]) => (quoted(value) === undefined ? [] : [`${String(name)} ${quoted(value)}`]))
    .join(', ');
}

/** Whether the event's finding reads as a GuardDuty sample (lib/incident/sample-flag.ts). */
function sampleOf(event: Readonly<Record<string, unknown>>): boolean {
  const detail = event.detail as { title?: unknown; service?: { additionalInfo?: unknown } } | null | undefined;
  if (detail === null || typeof detail !== 'object') return false;
  return isSampleFinding(detail.service?.additionalInfo, typeof detail.title === 'string' ? detail.title : '');
}

/** One way to make the event smaller: what it saves, and how. */
interface Cut {
  readonly path: Path;
  /** Traversal order: among equal savings, the first one found goes first (deterministic). */
  readonly order: number;
  readonly saves: number;
  readonly apply: () => void;
}

/**
 * The phases, in order: lists and long texts; members holding lists or objects; any member; last,
 * the texts of a sequence's resources that name nothing acted on, below TEXT_FLOOR (row 8l), so that
 * an event that fits otherwise keeps them as they were.
 */
type Phase = 'lists-and-texts' | 'containers' | 'members' | 'sequence-texts';
const PHASES: readonly Phase[] = ['lists-and-texts', 'containers', 'members', 'sequence-texts'];

/** At most this many passes (each cuts as much as the excess needs, so a handful suffice). */
const MAX_PASSES = 400;

/** Clips `root` in place until its JSON is within `limit` bytes, or nothing more can be cut. */
function clipWithin(root: Record<string, unknown>, limit: number): void {
  let phase = 0;
  for (let pass = 0; pass < MAX_PASSES && phase < PHASES.length; pass += 1) {
    const sizes = new Map<object, number>();
    const total = measure(root, sizes);
    if (total <= limit) return;
    const cuts = collectCuts(root, sizes, PHASES[phase] as Phase).sort((a, b) => b.saves - a.saves || a.order - b.order);
    let excess = total - limit;
    // Cuts of one pass never nest (the sizes they were measured with would be stale): the paths
    // cut, and every path on the way to one.
    const cutPaths = new Set<string>();
    const onTheWay = new Set<string>();
    let applied = 0;
    for (const cut of cuts) {
      if (excess <= 0) break;
      const keys = cut.path.map((_, index) => pathKey(cut.path.slice(0, index + 1)));
      const own = pathKey(cut.path);
      if (onTheWay.has(own) || cutPaths.has(own) || keys.some((key) => cutPaths.has(key))) continue;
      cut.apply();
      applied += 1;
      cutPaths.add(own);
      for (const key of keys) onTheWay.add(key);
      excess -= cut.saves;
    }
    if (applied === 0) phase += 1;
  }
}

function pathKey(path: Path): string {
  return path.join('\u0000');
}

/** Bytes of `value`'s JSON text in UTF-8, remembering each object's and list's. */
function measure(value: unknown, sizes: Map<object, number>): number {
  if (typeof value === 'string') return textBytes(value);
  if (value === null || typeof value !== 'object') return Buffer.byteLength(JSON.stringify(value) ?? 'null');
  let bytes = 2;
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      bytes += measure(item, sizes) + (index > 0 ? 1 : 0);
    });
  } else {
    let first = true;
    for (const [key, item] of Object.entries(value)) {
      bytes += textBytes(key) + 1 + measure(item, sizes) + (first ? 0 : 1);
      first = false;
    }
  }
  sizes.set(value, bytes);
  return bytes;
}

function textBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text));
}

function sizeOf(value: unknown, sizes: Map<object, number>): number {
  return value !== null && typeof value === 'object' ? (sizes.get(value) ?? 0) : typeof value === 'string' ? textBytes(value) : Buffer.byteLength(JSON.stringify(value) ?? 'null');
}

/** The first `length` UTF-16 units of `text`, not splitting a surrogate pair. */
function prefix(text: string, length: number): string {
  const code = text.charCodeAt(length - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? length - 1 : length);
}

function collectCuts(root: Record<string, unknown>, sizes: Map<object, number>, phase: Phase): Cut[] {
  const cuts: Cut[] = [];
  let order = 0;
  const visit = (value: unknown, path: Path, replace: (next: unknown) => void): void => {
    order += 1;
    if (typeof value === 'string') {
      const floor = phase === 'lists-and-texts' ? TEXT_FLOOR : phase === 'sequence-texts' && value.length > SEQUENCE_TEXT_FLOOR ? textFloor(root, path) : undefined;
      if (floor !== undefined && value.length > floor && !isUncuttable(path, value)) {
        const kept = prefix(value, Math.max(floor, Math.floor(value.length / 2)));
        cuts.push({ path, order, saves: textBytes(value) - textBytes(kept), apply: () => replace(kept) });
      }
      return;
    }
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      const floor = listFloor(path);
      if (phase === 'lists-and-texts' && value.length > floor) {
        const keep = Math.max(floor, Math.ceil(value.length / 2));
        const saves = value.slice(keep).reduce((sum: number, item) => sum + sizeOf(item, sizes) + 1, 0);
        cuts.push({ path, order, saves, apply: () => value.splice(keep) });
      }
      value.forEach((item, index) => visit(item, [...path, index], (next) => (value[index] = next)));
      return;
    }
    const members = value as Record<string, unknown>;
    for (const [key, item] of Object.entries(members)) {
      const memberPath = [...path, key];
      const container = item !== null && typeof item === 'object';
      if ((phase === 'members' || (phase === 'containers' && container)) && !isRead(memberPath)) {
        cuts.push({ path: memberPath, order, saves: textBytes(key) + 2 + sizeOf(item, sizes), apply: () => delete members[key] });
      }
      visit(item, memberPath, (next) => (members[key] = next));
    }
  };
  visit(root, [], () => undefined);
  return cuts;
}
