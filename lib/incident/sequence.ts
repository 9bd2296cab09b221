/**
 * GuardDuty Extended Threat Detection: the attack sequence of an `AttackSequence:*` finding, under
 * `detail.service.detection.sequence` (`uid`, `description`, `actors[]`, `resources[]`,
 * `endpoints[]`, `signals[]`, `sequenceIndicators[]`, `additionalSequenceTypes[]`), not under
 * `resource.instanceDetails`: one sequence may name many instances and many credentials.
 * https://docs.aws.amazon.com/guardduty/latest/APIReference/API_Sequence.html
 * https://docs.aws.amazon.com/guardduty/latest/ug/guardduty-attack-sequence-finding-types.html
 * Read best-effort (lenient.ts); lists are capped and what is left out is counted in `omitted`.
 */
import { isIP } from 'node:net';
import type { AttackSequenceContext, IncidentSignal, SequenceActor, SequenceEndpoint } from './model';
import { RESOURCE_ID_FORMAT } from './identifiers';
import type { AffectedResourceList } from './affected';
import { sequenceResourcesAffected } from './affected';
import {
  REFERENCE_ID,
  TOKEN,
  countAt,
  idAt,
  isRecord,
  keepWithin,
  listAt,
  textAt,
  timeAt,
  untrusted,
  untrustedAt,
} from './lenient';
import type { PathSegment } from './reading';
import { valueAt, withoutUndefined } from './reading';
import { sequenceSignals } from './signals';

/** Where the sequence sits in a (camelCase) finding. */
export const SEQUENCE_PATH = ['service', 'detection', 'sequence'] as const;

/** Caps: the API allows 400 resources, actors and endpoints; the incident keeps what an alert and the responders can use. */
export const RESOURCES_READ_MAX = 250;
/** GuardDuty lists at most 400: those beyond what the parser reads are looked through for the ids they name (row 8k). */
const RESOURCES_NAMED_MAX = 400;
const ACTORS_MAX = 50;
const ENDPOINTS_MAX = 50;
const INDICATORS_MAX = 50;
const INDICATOR_VALUES_MAX = 20;
const ADDITIONAL_TYPES_MAX = 10;
/** Characters (as JSON) of actors, endpoints and indicators kept; the rest is counted in `omitted`. */
const ACTORS_BUDGET = 12 * 1024;
const ENDPOINTS_BUDGET = 8 * 1024;
const INDICATORS_BUDGET = 8 * 1024;

export interface SequenceReading {
  readonly sequence: AttackSequenceContext;
  readonly signals: IncidentSignal[];
}

/** True when the finding carries an attack sequence object. */
export function hasSequence(finding: unknown): boolean {
  return isRecord(valueAt(finding, SEQUENCE_PATH));
}

/** Reads the sequence of a finding (camelCase) and adds its resources to `affected`. */
export function readSequence(finding: unknown, affected: AffectedResourceList): SequenceReading {
  const at = (...rest: PathSegment[]): PathSegment[] => [...SEQUENCE_PATH, ...rest];
  const resources = listAt(finding, at('resources'), RESOURCES_READ_MAX);
  const before = affected.omitted;
  sequenceResourcesAffected(finding, at('resources'), resources.items.length, affected);
  // At least 0: an entry left out before the sequence and kept by it is no longer counted (AffectedResourceList.add).
  const leftOutOfList = Math.max(0, affected.omitted - before);
  // Those beyond: not kept, but an instance or credential among them is named as left out, so the
  // alert says which ones Firebreak did not act on (their count is resources.omitted).
  const listed = listAt(finding, at('resources'), RESOURCES_NAMED_MAX).items.length;
  if (listed > resources.items.length) affected.nameOnly(() => sequenceResourcesAffected(finding, at('resources'), listed, affected, resources.items.length));
  const { signals, omitted: signalsOmitted } = sequenceSignals(finding, at('signals'));
  const actors = listAt(finding, at('actors'), ACTORS_MAX);
  const endpoints = listAt(finding, at('endpoints'), ENDPOINTS_MAX);
  const indicators = listAt(finding, at('sequenceIndicators'), INDICATORS_MAX);

  const actorsKept = keepWithin(actors.items.flatMap((_, index) => actorAt(finding, at('actors', index)) ?? []), ACTORS_BUDGET);
  const endpointsKept = keepWithin(endpoints.items.flatMap((_, index) => endpointAt(finding, at('endpoints', index)) ?? []), ENDPOINTS_BUDGET);
  const indicatorsKept = keepWithin(indicators.items.flatMap((_, index) => indicatorAt(finding, at('sequenceIndicators', index)) ?? []), INDICATORS_BUDGET);
  const sequence: AttackSequenceContext = withoutUndefined({
    uid: idAt(finding, at('uid'), REFERENCE_ID),
    description: untrustedAt(finding, at('description'), 1024),
    actors: actorsKept.kept,
    endpoints: endpointsKept.kept,
    indicators: indicatorsKept.kept,
    leftOut: affected.leftOut.length > 0 ? [...affected.leftOut] : undefined,
    additionalSequenceTypes: listAt(finding, at('additionalSequenceTypes'), ADDITIONAL_TYPES_MAX).items.filter(
      (type): type is string => typeof type === 'string' && /^[A-Za-z0-9:/._-]{1,100}$/.test(type),
    ),
    omitted: {
      resources: resources.omitted + leftOutOfList,
      signals: signalsOmitted,
      actors: actors.omitted + actorsKept.omitted,
      endpoints: endpoints.omitted + endpointsKept.omitted,
      indicators: indicators.omitted + indicatorsKept.omitted,
    },
  });
  return { sequence, signals };
}

const USER_TYPE = /^[A-Za-z]{1,32}$/;

function actorAt(raw: unknown, path: readonly PathSegment[]): SequenceActor | undefined {
  const id = idAt(raw, [...path, 'id'], REFERENCE_ID);
  if (id === undefined) return undefined;
  const userName = untrustedAt(raw, [...path, 'user', 'name'], 128);
  const processName = untrustedAt(raw, [...path, 'process', 'name'], 256);
  const session = isRecord(valueAt(raw, [...path, 'session']))
    ? withoutUndefined({
        uid: idAt(raw, [...path, 'session', 'uid'], REFERENCE_ID),
        mfaStatus: idAt(raw, [...path, 'session', 'mfaStatus'], TOKEN),
        created: timeAt(raw, [...path, 'session', 'createdTime']),
        issuer: idAt(raw, [...path, 'session', 'issuer'], REFERENCE_ID),
      })
    : undefined;
  return withoutUndefined({
    id,
    user:
      userName === undefined
        ? undefined
        : withoutUndefined({
            name: userName,
            uid: idAt(raw, [...path, 'user', 'uid'], REFERENCE_ID),
            type: idAt(raw, [...path, 'user', 'type'], USER_TYPE),
            credentialUid: idAt(raw, [...path, 'user', 'credentialUid'], REFERENCE_ID),
            account: idAt(raw, [...path, 'user', 'account', 'uid'], /^\d{12}$/),
          }),
    session,
    process:
      processName === undefined
        ? undefined
        : withoutUndefined({
            name: processName,
            path: untrustedAt(raw, [...path, 'process', 'path'], 1024),
            sha256: idAt(raw, [...path, 'process', 'sha256'], RESOURCE_ID_FORMAT.hexDigest),
          }),
  });
}

function endpointAt(raw: unknown, path: readonly PathSegment[]): SequenceEndpoint | undefined {
  const id = idAt(raw, [...path, 'id'], REFERENCE_ID);
  if (id === undefined) return undefined;
  const ip = textAt(raw, [...path, 'ip'], 64);
  const port = countAt(raw, [...path, 'port']);
  const asName = textAt(raw, [...path, 'autonomousSystem', 'name'], 128);
  const asNumber = countAt(raw, [...path, 'autonomousSystem', 'number']);
  return withoutUndefined({
    id,
    ip: ip !== undefined && isIP(ip) !== 0 ? ip : undefined,
    domain: untrustedAt(raw, [...path, 'domain'], 253),
    port: port !== undefined && port <= 65_535 ? port : undefined,
    country: textAt(raw, [...path, 'location', 'country'], 64),
    city: textAt(raw, [...path, 'location', 'city'], 64),
    autonomousSystem: asName === undefined && asNumber === undefined ? undefined : withoutUndefined({ name: asName, number: asNumber }),
  });
}

function indicatorAt(raw: unknown, path: readonly PathSegment[]): AttackSequenceContext['indicators'][number] | undefined {
  const key = idAt(raw, [...path, 'key'], TOKEN);
  if (key === undefined) return undefined;
  return withoutUndefined({
    key,
    title: untrustedAt(raw, [...path, 'title'], 256),
    values: listAt(raw, [...path, 'values'], INDICATOR_VALUES_MAX).items.flatMap((value) =>
      typeof value === 'string' && value !== '' ? [untrusted(value, 256)] : typeof value === 'number' ? [untrusted(String(value), 256)] : [],
    ),
  });
}
