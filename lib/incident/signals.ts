/**
 * The signals that led to an incident, earliest first. An attack sequence lists its own
 * (`sequence.signals[]`: GuardDuty findings and the API calls, flows, DNS queries and runtime
 * events it correlated); any other finding is its own single signal, and an alarm's state change
 * is its. Names and descriptions are GuardDuty's or the alarm's words about attacker activity:
 * untrusted text. https://docs.aws.amazon.com/guardduty/latest/APIReference/API_Signal.html
 */
import type { Incident, IncidentSignal } from './model';
import { REFERENCE_ID, TOKEN, countAt, idAt, idsAt, listAt, numberAt, textAt, timeAt, untrusted } from './lenient';
import type { PathSegment } from './reading';
import { withoutUndefined } from './reading';
import { severityOf } from './severity';
import { payloadBytes } from '../contracts/payload-size';

/** GuardDuty's maximum per sequence. */
export const SIGNALS_MAX = 100;
/** Bytes of signals (as UTF-8 JSON) kept in the incident; later ones beyond it are counted as omitted. */
export const SIGNALS_BUDGET = 40 * 1024;
const NAME_MAX = 256;
const DESCRIPTION_MAX = 512;
/** Ids listed per signal and per kind (resources, actors, endpoints). */
const REFERENCES_MAX = 20;
const REFERENCE_ID_SHORT = /^[\w:/.+=,@-]{1,160}$/;

/** The signals of the incident: the parser's list when it stored one, else the finding or alarm itself. */
export function incidentSignals(incident: Incident): readonly IncidentSignal[] {
  if (incident.signals !== undefined) return incident.signals;
  if (incident.source === 'guardduty') {
    return [
      withoutUndefined({
        type: 'FINDING',
        name: untrusted(incident.findingType, NAME_MAX),
        description: untrusted(incident.title, DESCRIPTION_MAX),
        uid: incident.guardDuty?.findingId,
        firstSeen: incident.times.created,
        lastSeen: incident.times.updated,
        created: incident.times.created,
        severity: incident.severity,
        count: incident.guardDuty?.count,
        resourceUids: [],
        actorIds: [],
        endpointIds: [],
      }),
    ];
  }
  if (incident.source === 'cloudwatch' && incident.alarm !== undefined) {
    return [
      withoutUndefined({
        type: 'CLOUDWATCH_ALARM',
        name: untrusted(incident.alarm.alarmName, NAME_MAX),
        description: incident.alarm.reason === undefined ? undefined : untrusted(incident.alarm.reason, DESCRIPTION_MAX),
        firstSeen: incident.times.created,
        lastSeen: incident.times.updated,
        created: incident.times.created,
        severity: incident.severity,
        resourceUids: [],
        actorIds: [],
        endpointIds: [],
      }),
    ];
  }
  return [];
}

/** The signals of `sequence.signals[]`, earliest first, within the budget; and how many were left out. */
export function sequenceSignals(raw: unknown, signalsPath: readonly PathSegment[]): { readonly signals: IncidentSignal[]; readonly omitted: number } {
  const { items, omitted: beyondMax } = listAt(raw, signalsPath, SIGNALS_MAX);
  const read: { signal: IncidentSignal; index: number }[] = [];
  items.forEach((_, index) => {
    const signal = signalAt(raw, [...signalsPath, index]);
    if (signal !== undefined) read.push({ signal, index });
  });
  read.sort((a, b) => orderKey(a.signal).localeCompare(orderKey(b.signal)) || a.index - b.index);
  const signals: IncidentSignal[] = [];
  let size = 0;
  let omitted = beyondMax + (items.length - read.length);
  for (const { signal } of read) {
    const length = payloadBytes(signal);
    if (size + length > SIGNALS_BUDGET) {
      omitted += 1;
      continue;
    }
    size += length;
    signals.push(signal);
  }
  return { signals, omitted };
}

/** Time order: first seen, else created, else last seen; a signal with no readable time goes last. */
function orderKey(signal: IncidentSignal): string {
  return signal.firstSeen ?? signal.created ?? signal.lastSeen ?? '\uffff';
}

function signalAt(raw: unknown, path: readonly PathSegment[]): IncidentSignal | undefined {
  const name = textAt(raw, [...path, 'name'], NAME_MAX);
  if (name === undefined) return undefined;
  const severity = numberAt(raw, [...path, 'severity']);
  const description = textAt(raw, [...path, 'description'], DESCRIPTION_MAX);
  return withoutUndefined({
    type: idAt(raw, [...path, 'type'], TOKEN) ?? 'UNKNOWN',
    name: untrusted(name, NAME_MAX),
    description: description === undefined ? undefined : untrusted(description, DESCRIPTION_MAX),
    uid: idAt(raw, [...path, 'uid'], REFERENCE_ID),
    firstSeen: timeAt(raw, [...path, 'firstSeenAt']),
    lastSeen: timeAt(raw, [...path, 'lastSeenAt']),
    created: timeAt(raw, [...path, 'createdAt']),
    severity: severity !== undefined && severity >= 0 && severity <= 10 ? severityOf(severity) : undefined,
    count: countAt(raw, [...path, 'count']),
    resourceUids: idsAt(raw, [...path, 'resourceUids'], REFERENCE_ID_SHORT, REFERENCES_MAX),
    actorIds: idsAt(raw, [...path, 'actorIds'], REFERENCE_ID_SHORT, REFERENCES_MAX),
    endpointIds: idsAt(raw, [...path, 'endpointIds'], REFERENCE_ID_SHORT, REFERENCES_MAX),
  });
}
