/**
 * What an alert is about, read from its input: the reason triage or a step gave, the resource and
 * instance the incident names, whether it is a game day or a GuardDuty sample.
 */
import type { Incident } from '../incident/model';
import { alarmMetricInstanceIds } from '../incident/alarm-instances';
import { GAMEDAY_INCIDENT_KEY_PREFIX } from '../contracts/security';
import type { AlertInput } from './alert-model';
import { stringify } from './alert-text';

/** A non-empty top-level string field of the raw event, read without trusting its shape. */
export function rawEventField(rawEvent: unknown, field: string): string | undefined {
  if (rawEvent === null || typeof rawEvent !== 'object' || Array.isArray(rawEvent)) return undefined;
  const value = (rawEvent as Record<string, unknown>)[field];
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/**
 * Triage hands the dispatcher its parse error as `{ message, issues }`: people read the message and
 * one line per issue, never the JSON.
 */
function readableReason(reason: unknown): string {
  if (typeof reason === 'object' && reason !== null && typeof (reason as { message?: unknown }).message === 'string') {
    const { message, issues } = reason as { message: string; issues?: unknown };
    const lines = Array.isArray(issues)
      ? issues.flatMap((issue: unknown) => {
          if (typeof issue !== 'object' || issue === null) return [];
          const { path, expected } = issue as { path?: unknown; expected?: unknown };
          return typeof path === 'string' && typeof expected === 'string' ? [`- ${path}: expected ${expected}`] : [];
        })
      : [];
    return [message, ...lines].join('\n');
  }
  return stringify(reason);
}

/** The first line of the reason, for the subject. */
export function reasonHeadline(input: AlertInput): string | undefined {
  return reasonText(input)?.split('\n')[0];
}

/** The reasons triage or a step gave, one per line, or undefined when none was given. */
export function reasonText(input: AlertInput): string | undefined {
  const parts: string[] = [];
  if (input.reason !== undefined && input.reason !== null) parts.push(readableReason(input.reason));
  if (typeof input.reasons === 'string') parts.push(input.reasons);
  else if (Array.isArray(input.reasons)) parts.push(...input.reasons);
  const text = parts.filter((p) => p.trim() !== '').join('\n');
  return text === '' ? undefined : text;
}

/** The id of the resource the incident concerns, for the subject (instance, access key, other). */
export function resourceId(incident: Incident): string | undefined {
  const r = incident.resource;
  switch (r.kind) {
    case 'ec2-instance':
      return r.instanceId;
    case 'access-key':
      return r.accessKeyId ?? r.userName;
    case 'other':
      return r.id ?? r.type;
    default:
      return alarmInstanceId(incident);
  }
}

/** The instance an alarm's metrics name through their InstanceId dimension, when they name exactly one. */
export function alarmInstanceId(incident: Incident): string | undefined {
  const ids = alarmMetricInstanceIds(incident.alarm?.metrics ?? []);
  return ids.length === 1 ? ids[0] : undefined;
}

/** The instance the incident is about: its EC2 resource, else the alarm's metric dimension. */
export function instanceIdOf(incident: Incident): string | undefined {
  return incident.resource.kind === 'ec2-instance' ? incident.resource.instanceId : alarmInstanceId(incident);
}

/**
 * Whether the alert is about a game-day drill. With an incident, its key alone says so, as the
 * parser wrote it: a `gameday-` key is given only to an event of source `firebreak.gameday` (the
 * game-day bus), no real key starts with it, and a drill's release (release-instance,
 * release-credentials, release-s3-object, unblock-dns-domains, whose incident is Firebreak's own
 * request) carries the key of the drill it undoes, the one key whose claims it can take back. Never
 * the input's `gameDay` nor a raw event beside a real key: a release input saying "drill" for a real
 * incident would have its real release read as a rehearsal. Without an incident (an event triage
 * could not parse), the event's source.
 */
export function isGameDay(input: AlertInput): boolean {
  if (input.incident !== undefined) return isDrillIncident(input.incident);
  return rawEventField(input.rawEvent, 'source') === 'firebreak.gameday';
}

/** Whether the incident is a drill's, or a request about one, by its key (`gameday-`): see isGameDay. */
export function isDrillIncident(incident: Pick<Incident, 'key'>): boolean {
  // The prefix itself, not incident/keys.ts's isGameDayKey: that module would bring node:crypto's hashing into publish-alert.
  return incident.key.startsWith(GAMEDAY_INCIDENT_KEY_PREFIX);
}

/**
 * Whether the incident comes from a GuardDuty sample finding: the parser's flag (sample-flag.ts,
 * which reads a `[SAMPLE]` title prefix too), the one containment ran under. Not `[SAMPLE]`
 * anywhere in the title: an alarm's name (or any text a title quotes) is chosen by whoever created
 * it, and a real incident must never read as a sample ("nothing to investigate").
 */
export function isSample(incident: Incident | undefined): boolean {
  return incident?.sample === true;
}
