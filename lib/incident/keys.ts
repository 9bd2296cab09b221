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
import { canonicalJson } from '../contracts/canonical-json';
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

/**
 * The playbook execution name of one revision of an incident: `executionNameFor`, except for a copy
 * the oversized-event intake dispatched (`clipped.event`), which is `<key>-u<first 12 hex of
 * sha256(revision, its incident)>` when unconfirmed, `-v<…>` when GuardDuty confirmed it (at most 78
 * characters). The intake cannot authenticate its sender, and a finding's coming revision shows in
 * GuardDuty's GetFindings before GuardDuty exports it to EventBridge: under the bare name, a forged
 * copy sent to the intake first took the name of GuardDuty's own delivery, which then ended as a
 * duplicate delivery and contained nothing (row 8g). A confirmed copy is no better: confirmation
 * compares the event before the clip, and a small real finding grown in breadth by members no parser
 * reads is confirmed, yet clipped (its lists cut to their first items, largest first) into another
 * incident, which under the bare name was the only one to run (row 8i). A genuine name ends in
 * `-<12 hex>`, a copy's in `-u<12 hex>` or `-v<12 hex>`, so they never meet (neither letter is a hex
 * digit: no copy's name reads as a `-<13 hex>` one either); the hash binds the incident as parsed (but
 * its receive time), so two deliveries of one copy still share a name and a copy with other contents
 * (a forgery, another clip) never takes the name of another copy.
 */
export function playbookExecutionName(incident: Pick<Incident, 'key' | 'revision' | 'clipped' | 'times'>): string {
  const clippedEvent = incident.clipped?.event;
  if (clippedEvent === undefined) return executionNameFor(incident);
  const key = KEY_PATTERN.test(incident.key) ? incident.key : `k-${sha256Hex(incident.key).slice(0, 32)}`;
  const { received: _received, ...times } = incident.times;
  const mark = clippedEvent.confirmed === true ? 'v' : 'u';
  return `${key}-${mark}${sha256Hex(`${incident.revision}\n${canonicalJson({ ...incident, times })}`).slice(0, 12)}`;
}

/**
 * The key of a child incident (one execution per resource of a multi-resource incident, e.g. an
 * attack sequence's instances): `<parent key><suffix>`, `suffix` starting with `-`. A key that would
 * be longer than 64 keeps the parent's head, a hash of the whole, and the suffix:
 * `<head>-<8 hex of sha256(parent key + suffix)><suffix>`, exactly 64 characters.
 */
export function childIncidentKey(parentKey: string, suffix: string): string {
  const plain = `${parentKey}${suffix}`;
  if (plain.length <= KEY_MAX) return plain;
  const hash = `-${sha256Hex(plain).slice(0, 8)}`;
  return `${parentKey.slice(0, Math.max(0, KEY_MAX - hash.length - suffix.length))}${hash}${suffix}`;
}

/**
 * The suffix of `childKey` when it is a child of `parentKey` by `childIncidentKey` (so the parent's
 * own key scheme, not a look-alike name), else undefined. A key is never its own child.
 */
export function childKeySuffix(parentKey: string, childKey: string): string | undefined {
  const suffix = anyChildKeySuffix(parentKey, childKey);
  return suffix !== undefined && CHILD_SUFFIX.test(suffix) ? suffix : undefined;
}

/**
 * The suffixes a child key can have: an instance (`-i-<hex>`, per-instance.ts), an IAM user's key
 * (`-AKIA…` or `-key-<16 hex>` for a long id) or a role (`-role-<12 hex>`, per-credential.ts), each
 * with `-<placementHash>` when the resource is in another account or Region. Nothing else: a
 * game-day finding id such as `abc-AKIA…` gives a key that merely starts with `<parent>-`, not a child.
 */
const CHILD_SUFFIX = /^-(i-[0-9a-f]{8,17}|(?:AKIA|ASIA)[A-Z0-9]{12,28}|key-[0-9a-f]{16}|role-[0-9a-f]{12})(-[0-9a-f]{8})?$/;

function anyChildKeySuffix(parentKey: string, childKey: string): string | undefined {
  if (!KEY_PATTERN.test(parentKey) || !KEY_PATTERN.test(childKey)) return undefined;
  if (childKey.length > parentKey.length + 1 && childKey.startsWith(`${parentKey}-`)) return childKey.slice(parentKey.length);
  // The shortened form: <head>-<8 hex><suffix>, 64 characters, whose hash binds the parent's whole key.
  if (childKey.length !== KEY_MAX) return undefined;
  for (let head = 0; head < parentKey.length && childKey.slice(0, head) === parentKey.slice(0, head); head += 1) {
    const suffix = childKey.slice(head + 9);
    if (childKey[head] !== '-' || !suffix.startsWith('-') || !/^[0-9a-f]{8}$/.test(childKey.slice(head + 1, head + 9))) continue;
    if (childIncidentKey(parentKey, suffix) === childKey) return suffix;
  }
  return undefined;
}

/**
 * True when `key` is an incident key of the GuardDuty finding `findingId`: its own (`findingKey`),
 * its game-day injection's, or that of a child incident of either (one execution per resource).
 */
export function isKeyOfFinding(key: string, findingId: string): boolean {
  return ownKeysOfFinding(findingId).some((own) => key === own || childKeySuffix(own, key) !== undefined);
}

/**
 * True when `key` is the GuardDuty finding's own incident key (`findingKey`, or its game-day
 * injection's), not a child incident's: a child is one resource of a multi-resource finding.
 */
export function isOwnKeyOfFinding(key: string, findingId: string): boolean {
  return ownKeysOfFinding(findingId).includes(key);
}

/** The finding's own key and its game-day injection's. */
function ownKeysOfFinding(findingId: string): string[] {
  const base = findingKey(findingId);
  return [incidentKey(base, false), incidentKey(base, true)];
}

/** The 8 hex digits a child key ends with when its resource is in another account or Region than its parent's. */
export function placementHash(account: string, region: string): string {
  return sha256Hex(`${account}|${region}`).slice(0, 8);
}
