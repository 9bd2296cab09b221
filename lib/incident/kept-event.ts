/**
 * What the dispatcher keeps of an event it could not handle (the unprocessable-events queue) and
 * shows in the alert about it. The event is up to StartExecution's 256 KiB (an EventBridge event may
 * be up to 1 MB, but a larger one never starts the dispatcher: the oversized-event intake dispatches
 * a clipped copy of it), and the kept message and the
 * alert carry it beside the error and the reasons: the whole event there could exceed Step
 * Functions' 256 KiB payload limit (lib/contracts/payload-size.ts) and fail the Keep or alert task
 * with States.DataLimitExceeded, past every Catch, so that the event is neither kept nor alerted.
 * So the kept copy has its own budget: the whole event when it fits, else its envelope (enough to
 * find it again, and for a finding the id GuardDuty has it under) and a note naming its size.
 */
import { payloadBytes, payloadBytesOver } from '../contracts/payload-size';

/** 32 KiB of UTF-8 JSON: the most of the event a kept message or its alert carries. */
export const KEPT_EVENT_BUDGET_BYTES = 32 * 1024;

/** The EventBridge envelope fields kept when the event is over its budget. */
export const KEPT_ENVELOPE_FIELDS = ['id', 'source', 'detail-type', 'account', 'region', 'time'] as const;

/** The longest envelope or finding text kept: EventBridge's own fields are far shorter; a forged one is cut out. */
const KEPT_TEXT_MAX_BYTES = 1024;

/** The most bytes of the event's `resources` kept (ARNs, up to 2 KB each). */
const KEPT_RESOURCES_MAX_BYTES = 8 * 1024;

/** The kept copy of an event over its budget: the envelope, the finding's identity, and what was left out. */
export interface ClippedEvent {
  readonly [field: string]: unknown;
  /** The event's size in bytes of UTF-8 JSON, which the copy does not hold. */
  readonly clipped: string;
  readonly note: string;
}

/** The event as kept and alerted: itself when within `KEPT_EVENT_BUDGET_BYTES`, else its envelope with a note. */
export function keptEventOf(event: unknown): unknown {
  const bytes = payloadBytesOver(event, KEPT_EVENT_BUDGET_BYTES);
  if (bytes === undefined) return event;
  const fields = isObject(event) ? event : {};
  const envelope: Record<string, unknown> = {};
  for (const name of KEPT_ENVELOPE_FIELDS) {
    const text = shortText(fields[name]);
    if (text !== undefined) envelope[name] = text;
  }
  const resources = keptResources(fields.resources);
  if (resources !== undefined) envelope.resources = resources;
  const finding = findingIdentity(fields.detail);
  if (finding !== undefined) envelope.finding = finding;
  const clipped: ClippedEvent = {
    ...envelope,
    clipped: `${bytes} bytes`,
    note: `The event is ${bytes} bytes, over the ${KEPT_EVENT_BUDGET_BYTES} kept here: only its envelope is kept (and, for a finding, its id, type and severity: GuardDuty has the whole finding, and the deployment's event archive the whole event when it came on the default bus).`,
  };
  return clipped;
}

/** A GuardDuty finding's id, type and severity (what finds it again in GuardDuty), when the detail has them. */
function findingIdentity(detail: unknown): Record<string, unknown> | undefined {
  if (!isObject(detail)) return undefined;
  const identity: Record<string, unknown> = {};
  const id = shortText(detail.id);
  const type = shortText(detail.type);
  if (id !== undefined) identity.id = id;
  if (type !== undefined) identity.type = type;
  if (typeof detail.severity === 'number') identity.severity = detail.severity;
  return Object.keys(identity).length === 0 ? undefined : identity;
}

/** The event's resources while they fit their budget, in order; undefined when none is a short text. */
function keptResources(resources: unknown): string[] | undefined {
  if (!Array.isArray(resources)) return undefined;
  const kept: string[] = [];
  let bytes = 0;
  for (const resource of resources) {
    if (typeof resource !== 'string') continue;
    const size = payloadBytes(resource);
    if (size > KEPT_TEXT_MAX_BYTES) continue;
    bytes += size;
    if (bytes > KEPT_RESOURCES_MAX_BYTES) break;
    kept.push(resource);
  }
  return kept.length === 0 ? undefined : kept;
}

function shortText(value: unknown): string | undefined {
  return typeof value === 'string' && payloadBytes(value) <= KEPT_TEXT_MAX_BYTES ? value : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
