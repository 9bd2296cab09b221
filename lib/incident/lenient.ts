/**
 * Best-effort reads of the parts of a finding that add detail to an incident without deciding
 * whether it is one: attack sequences, malware scans, runtime details. A field of the wrong type
 * is left out, never a reason to refuse the finding (GuardDuty adds and reshapes these sections
 * over time, and losing a Critical finding over an auxiliary field would be the worse failure);
 * the fields an incident cannot do without keep their strict schemas (schemas.ts). Total: none
 * of these can throw on any JSON value.
 */
import type { UntrustedText } from './model';
import type { PathSegment } from './reading';
import { clip, isRecord, valueAt } from './reading';
import { payloadBytes } from '../contracts/payload-size';
import { toIsoTime } from './time';

/** Wraps attacker-controllable text (see `UntrustedText`), capped so one finding cannot fill a payload. */
export function untrusted(text: string, max: number): UntrustedText {
  return { untrusted: clip(text, max) };
}

/** A non-empty string at the path, or undefined. Longer than `max` is left out rather than cut when `exact` (ids must be whole). */
export function textAt(root: unknown, path: readonly PathSegment[], max: number): string | undefined {
  const value = valueAt(root, path);
  if (typeof value !== 'string' || value.length === 0) return undefined;
  return clip(value, max);
}

/** A string at the path only when it matches `format` (an identifier: never cut, never coerced). */
export function idAt(root: unknown, path: readonly PathSegment[], format: RegExp): string | undefined {
  const value = valueAt(root, path);
  return typeof value === 'string' && value.length <= 2048 && format.test(value) ? value : undefined;
}

/** Untrusted text at the path, or undefined. */
export function untrustedAt(root: unknown, path: readonly PathSegment[], max: number): UntrustedText | undefined {
  const value = textAt(root, path, max);
  return value === undefined ? undefined : untrusted(value, max);
}

/** A finite number at the path (a numeric string too: exporters write `"64511"`), or undefined. */
export function numberAt(root: unknown, path: readonly PathSegment[]): number | undefined {
  const value = valueAt(root, path);
  const number = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d{1,15}(?:\.\d+)?$/.test(value) ? Number(value) : NaN;
  return Number.isFinite(number) ? number : undefined;
}

/** A whole number ≥ 0 at the path, or undefined. */
export function countAt(root: unknown, path: readonly PathSegment[]): number | undefined {
  const value = numberAt(root, path);
  return value !== undefined && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

export function booleanAt(root: unknown, path: readonly PathSegment[]): boolean | undefined {
  const value = valueAt(root, path);
  return typeof value === 'boolean' ? value : undefined;
}

/** An ISO 8601 time at the path (ISO text or epoch), or undefined. */
export function timeAt(root: unknown, path: readonly PathSegment[]): string | undefined {
  return toIsoTime(valueAt(root, path));
}

/** The first `max` items of the array at the path, and how many were left out. */
export function listAt(root: unknown, path: readonly PathSegment[], max: number): { readonly items: readonly unknown[]; readonly omitted: number } {
  const value = valueAt(root, path);
  if (!Array.isArray(value)) return { items: [], omitted: 0 };
  return { items: value.slice(0, max), omitted: Math.max(0, value.length - max) };
}

/** The strings of the array at the path that match `format`, deduplicated, at most `max`. */
export function idsAt(root: unknown, path: readonly PathSegment[], format: RegExp, max: number): string[] {
  const out = new Set<string>();
  for (const item of listAt(root, path, max * 4).items) {
    if (typeof item === 'string' && item.length <= 2048 && format.test(item)) out.add(item);
    if (out.size >= max) break;
  }
  return [...out];
}

/** An upper-case token (`FINDING`, `THREATS_FOUND`, `GUARDDUTY_INITIATED`) at the path, or undefined. */
export function tokenAt(root: unknown, path: readonly PathSegment[]): string | undefined {
  return idAt(root, path, TOKEN);
}

/**
 * The leading items whose JSON fits in `budget` bytes of UTF-8 (the unit Step Functions counts),
 * and how many did not fit. Every list an incident carries is capped in count and in size: the
 * incident rides in every Step Functions payload (256 KiB), and a forged or runaway event must not
 * push it past that (lib/incident/budget.ts).
 */
export function keepWithin<T>(items: readonly T[], budget: number): { readonly kept: T[]; readonly omitted: number } {
  const kept: T[] = [];
  let size = 0;
  for (const item of items) {
    const length = payloadBytes(item) + 1;
    if (size + length > budget) break;
    size += length;
    kept.push(item);
  }
  return { kept, omitted: items.length - kept.length };
}

/** Upper-case enumeration values as AWS writes them. */
export const TOKEN = /^[A-Z][A-Z0-9_]{0,63}$/;

/** Ids that cross-reference parts of an event (sequence uids, actor and endpoint ids): no spaces, no markup, bounded. */
export const REFERENCE_ID = /^[\w:/.+=,@-]{1,256}$/;

export { isRecord };
