/**
 * Incident keys and execution names. The key is the incident's identity (one finding, one alarm
 * state change); the Step Functions execution name adds the revision, so that a duplicate
 * EventBridge delivery (at-least-once) maps to the same name and ends in ExecutionAlreadyExists,
 * while an update of the finding (GuardDuty aggregates repeats into the same id, bumping
 * `service.count` and `updatedAt`) starts a new run.
 * Execution names: 1–80 characters, not reusable for 90 days
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
 */
import { createHash } from 'node:crypto';
import { GAMEDAY_INCIDENT_KEY_PREFIX } from '../contracts/security';
import type { Incident } from './model';
import { compactUtc } from './time';

const KEY_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const KEY_MAX = 64;

/** Hex SHA-256 of a UTF-8 string. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * `gd-<finding id>`. GuardDuty ids are 32 hex characters and pass unchanged; any other id is
 * sanitized to [A-Za-z0-9_-], shortened, and suffixed with a hash of the original, so that two ids
 * differing only in characters the sanitizer replaced can never share a key (a shared key would
 * make the second incident look like a duplicate delivery of the first).
 */
export function findingKey(findingId: string): string {
  const plain = `gd-${findingId}`;
  if (KEY_PATTERN.test(plain)) return plain;
  const sanitized = findingId.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 40);
  return `gd-${sanitized}-${sha256Hex(findingId).slice(0, 16)}`.slice(0, KEY_MAX);
}

/**
 * `cw-<16 hex of sha256(account|region|alarmName)>-<state time, basic ISO>`: each state change of
 * an alarm is its own incident; alarm names are up to 255 characters of almost anything, hence the hash.
 */
export function alarmKey(account: string, region: string, alarmName: string, stateChangedAt: string): string {
  return `cw-${sha256Hex(`${account}|${region}|${alarmName}`).slice(0, 16)}-${compactUtc(stateChangedAt)}`;
}

/**
 * The key of an incident from its base key (`findingKey` or `alarmKey`): a game-day injection's key
 * starts with `gameday-`, so a game-day copy of a real finding (same id, same update time) can
 * never take that finding's execution name first and make GuardDuty's own event look like a
 * duplicate delivery. No real key starts with it (they start with `gd-` or `cw-`). A prefixed key
 * too long for 64 characters keeps its head and a hash of the whole base key.
 */
export function incidentKey(baseKey: string, gameDay: boolean): string {
  if (!gameDay) return baseKey;
  const prefixed = `${GAMEDAY_INCIDENT_KEY_PREFIX}${baseKey}`;
  if (prefixed.length <= KEY_MAX) return prefixed;
  const hash = sha256Hex(baseKey).slice(0, 16);
  return `${GAMEDAY_INCIDENT_KEY_PREFIX}${baseKey.slice(0, KEY_MAX - GAMEDAY_INCIDENT_KEY_PREFIX.length - hash.length - 1)}-${hash}`;
}

/** True for the key of a game-day injection. */
export function isGameDayKey(key: string): boolean {
  return key.startsWith(GAMEDAY_INCIDENT_KEY_PREFIX);
}

/**
 * Deterministic Step Functions execution name for one revision of an incident:
 * `<key>-<first 12 hex of sha256(revision)>` (at most 77 characters of [A-Za-z0-9_-]).
 */
export function executionNameFor(incident: Pick<Incident, 'key' | 'revision'>): string {
  // Keys from the parser always match; a hand-built one that does not is hashed rather than trusted.
  const key = KEY_PATTERN.test(incident.key) ? incident.key : `k-${sha256Hex(incident.key).slice(0, 32)}`;
  return `${key}-${sha256Hex(incident.revision).slice(0, 12)}`;
}
