/**
 * Confirming an oversized GuardDuty finding event at its source. The oversized-event intake cannot
 * authenticate its sender (anyone allowed lambda:InvokeFunction on it can hand it a forged event:
 * docs/security.md row 8d), so it asks GuardDuty for the finding by its id (GetFindings) and
 * compares what the event claims with GuardDuty's own copy. Pure: the AWS calls are the intake's
 * (lib/responders/finding-confirmation.ts).
 *
 * Both are read by the one parser (lib/incident/parse.ts reads the event and a PascalCase
 * GetFindings finding alike), so they are compared as the incidents triage and the responders
 * would act on, not as JSON. The whole incident is compared, but for what an update of the same
 * finding legitimately changes between the event GuardDuty emitted and the copy it holds a moment
 * later: GuardDuty aggregates repeats into the same finding id, bumping `service.count` and
 * `updatedAt` (so the incident's `revision`, `times.updated` and `guardDuty.count`), and
 * `times.received` is ours. Everything else must be equal: the account, region, type, severity,
 * title, the resource (instance, its interfaces, groups, tags, profile; access key, user, role,
 * bucket, object), every affected resource, the DNS domain and remote indicators, the archived and
 * sample flags, signals, sequence, malware scan and runtime details. Taking the whole rather than a
 * list of fields means a field added to the incident later is compared by default: an omission
 * fails closed (a person approves), never open. The cost is that a finding GuardDuty updated with
 * other details between the event and the call (a new remote address on the latest occurrence)
 * is not confirmed and waits for a person, as every clipped event did before this check.
 *
 * What is compared is the event as the intake received it, before clipping: the clip is the
 * intake's own deterministic work on a confirmed event (lib/incident/clip-event.ts), which only
 * keeps the first items of lists and the first characters of long texts.
 *
 * The update counters are not compared, but neither are they the sender's to choose: a confirmed
 * event is dispatched with GuardDuty's `updatedAt` and `service.count` (`withHeldCounters`), so its
 * revision is one GuardDuty held. The revision names every execution of the incident (the playbook's
 * and, since rows 1zh and 1zj, each instance's and credential's of a sequence): with the sender's
 * counters, a real finding sent again and again with made-up ones started all of them again each
 * time (docs/security.md row 1zk).
 */
import { isDeepStrictEqual } from 'node:util';
import type { Incident } from './model';
import { parseEvent } from './parse';
import { GUARDDUTY_DETAIL_TYPE, GUARDDUTY_SOURCE } from './schemas';

export { FINDING_CONFIRMED_BY } from './clip-event';

/** What GetFindings is asked: the finding id and the region of the detector that holds it. */
export interface FindingLookup {
  readonly findingId: string;
  readonly region: string;
}

/** Why an event is not confirmed, in words for the intake's log. */
export type FindingConfirmation = { readonly confirmed: true } | { readonly confirmed: false; readonly reason: string };

/** A confirmation with the event to dispatch: the one received, with GuardDuty's update counters (`withHeldCounters`). */
export type HeldConfirmation = { readonly confirmed: true; readonly event: Readonly<Record<string, unknown>> } | { readonly confirmed: false; readonly reason: string };

/** GuardDuty finding ids: up to 300 characters of [A-Za-z0-9_-] (GuardDuty's own are 32 hex). */
const FINDING_ID = /^[A-Za-z0-9_-]{1,300}$/;
/** A region name as AWS spells it: an attacker's text never picks an endpoint. */
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/**
 * The finding to ask GuardDuty for, when `event` is a GuardDuty finding event as GuardDuty emits it
 * (source `aws.guardduty`, detail-type `GuardDuty Finding`) with a well-formed id and region; else
 * why not. A game-day injection (`firebreak.gameday`) is never confirmed: GuardDuty did not emit it.
 */
export function findingLookupOf(event: Readonly<Record<string, unknown>>): FindingLookup | { readonly reason: string } {
  if (event.source !== GUARDDUTY_SOURCE || event['detail-type'] !== GUARDDUTY_DETAIL_TYPE) {
    return { reason: `not a GuardDuty finding event (source ${describe(event.source)}, detail-type ${describe(event['detail-type'])}): only GuardDuty's own findings can be confirmed` };
  }
  const detail = event.detail as { id?: unknown } | undefined;
  const findingId = detail?.id;
  if (typeof findingId !== 'string' || !FINDING_ID.test(findingId)) return { reason: `the event's finding id ${describe(findingId)} is not a GuardDuty finding id` };
  const region = event.region;
  if (typeof region !== 'string' || !REGION.test(region)) return { reason: `the event's region ${describe(region)} is not a region name` };
  return { findingId, region };
}

/**
 * Compares the event with GuardDuty's copy of its finding (one GetFindings finding, PascalCase as
 * the SDK returns it, or undefined when GuardDuty has no such finding): confirmed only when both
 * parse and their incidents are equal but for the update counters (see the module comment).
 */
export function confirmFinding(event: Readonly<Record<string, unknown>>, guardDutyCopy: unknown, receivedAt: Date = new Date()): FindingConfirmation {
  const answer = confirmAsHeld(event, guardDutyCopy, receivedAt);
  return answer.confirmed ? { confirmed: true } : answer;
}

/**
 * `confirmFinding`, and for a confirmed event the event to dispatch: with GuardDuty's update
 * counters, so that its revision (and every execution name derived from it) is one GuardDuty held,
 * never the sender's (row 1zk).
 */
export function confirmAsHeld(event: Readonly<Record<string, unknown>>, guardDutyCopy: unknown, receivedAt: Date = new Date()): HeldConfirmation {
  if (guardDutyCopy === undefined) return { confirmed: false, reason: 'GuardDuty has no finding with the event\'s id in the event\'s region' };
  let claimed: Incident;
  let held: Incident;
  try {
    held = parseEvent({ Findings: [guardDutyCopy] }, { receivedAt });
  } catch (error) {
    return { confirmed: false, reason: `GuardDuty's copy does not parse as an incident (${(error as Error).message.slice(0, 200)})` };
  }
  const asHeld = withHeldCounters(event, guardDutyCopy);
  try {
    claimed = parseEvent(asHeld, { receivedAt });
  } catch (error) {
    return { confirmed: false, reason: `the event does not parse as an incident (${(error as Error).message.slice(0, 200)})` };
  }
  const differences = differingPaths(comparable(claimed), comparable(held));
  if (differences.length > 0) {
    const named = differences.slice(0, 8).join(', ');
    return { confirmed: false, reason: `the event differs from GuardDuty's copy of finding ${held.guardDuty?.findingId ?? '?'} at ${named}${differences.length > 8 ? ` and ${differences.length - 8} more` : ''}` };
  }
  // Fail closed: an event whose counters did not take GuardDuty's (a detail the parser reads elsewhere) is no copy of what GuardDuty holds.
  if (claimed.revision !== held.revision) return { confirmed: false, reason: `the event's update counters could not be read as GuardDuty's copy holds them (revision ${describe(held.revision)})` };
  return { confirmed: true, event: asHeld };
}

/**
 * `event` with the update counters of GuardDuty's copy of its finding (`UpdatedAt`, `Service.Count`,
 * PascalCase as GetFindings answers, or camelCase) in place of its own (`detail.updatedAt`,
 * `detail.service.count`); a counter the copy lacks is left out. Nothing else changes.
 */
export function withHeldCounters(event: Readonly<Record<string, unknown>>, guardDutyCopy: unknown): Record<string, unknown> {
  const copy = objectOf(guardDutyCopy);
  const detail = objectOf(event.detail);
  const copyService = objectOf('Service' in copy ? copy.Service : copy.service);
  const { updatedAt: _updatedAt, ...otherDetail } = detail;
  const { count: _count, ...otherService } = objectOf(detail.service);
  const updatedAt = 'UpdatedAt' in copy ? copy.UpdatedAt : copy.updatedAt;
  const count = 'Count' in copyService ? copyService.Count : copyService.count;
  const service = count !== undefined ? { ...otherService, count } : otherService;
  return {
    ...event,
    detail: {
      ...otherDetail,
      ...(updatedAt !== undefined ? { updatedAt } : {}),
      ...(detail.service !== undefined || count !== undefined ? { service } : {}),
    },
  };
}

/** A plain object's own members, or none. */
function objectOf(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** The incident without what an update of the same finding changes, and without what is ours (receive time, the intake's marker). */
function comparable(incident: Incident): Record<string, unknown> {
  const { revision: _revision, times, guardDuty, clipped, ...rest } = incident;
  const { updated: _updated, received: _received, ...otherTimes } = times;
  const { count: _count, ...otherGuardDuty } = guardDuty ?? { count: 0 };
  const { event: _event, ...parserClipping } = clipped ?? {};
  return {
    ...rest,
    times: otherTimes,
    ...(guardDuty !== undefined ? { guardDuty: otherGuardDuty } : {}),
    ...(clipped !== undefined ? { clipped: parserClipping } : {}),
  };
}

/** The paths (`resource.instanceId`, `affected[0].instanceId`) at which two plain JSON values differ: names only, never values (they are the attacker's text). */
function differingPaths(a: unknown, b: unknown, path = ''): string[] {
  if (isDeepStrictEqual(a, b)) return [];
  const bothObjects = a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b);
  if (!bothObjects) return [path === '' ? '(the whole incident)' : path];
  if (Array.isArray(a) && Array.isArray(b) && a.length !== b.length) return [`${path}.length`];
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.flatMap((key) => {
    // A key of the attacker's (a tag key) is not written out.
    const segment = Array.isArray(a) ? `[${key}]` : PLAIN_KEY.test(key) ? key : '[a key]';
    const next = path === '' || segment.startsWith('[') ? `${path}${segment}` : `${path}.${segment}`;
    return differingPaths((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], next);
  });
}

const PLAIN_KEY = /^[A-Za-z][A-Za-z0-9]{0,40}$/;

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 80)) : value === undefined ? 'missing' : typeof value;
}
