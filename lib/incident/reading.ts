/**
 * Small, total helpers shared by the GuardDuty and CloudWatch normalizers: paths for issues,
 * safe reads of free-form JSON, and length caps. None of them can throw on any JSON value.
 */
import { FirebreakError } from '../contracts/errors';
export type PathSegment = string | number;

/** An issue whose path is still a list of segments (turned into the caller's spelling at the end). */
export interface RawIssue {
  readonly path: readonly PathSegment[];
  readonly expected: string;
  readonly received?: string;
}

/** What the envelope (if any) contributes to a finding or an alarm. */
export interface ReadContext {
  /** Where the finding or alarm detail sits in the input, e.g. `['detail']`, `['findings', 2]` or `[]`. */
  readonly at: readonly PathSegment[];
  readonly gameDay: boolean;
  readonly received: string;
  readonly envelope?: {
    readonly account?: string | null;
    readonly region?: string | null;
    /** Checked by the envelope schema: a short string or a finite number (read with `toIsoTime`). */
    readonly time?: string | number | null;
    readonly resources?: readonly unknown[] | null;
  };
}

/** Thrown inside the parser with raw issues; `parse.ts` turns it into an `EventParseError`. */
export class RawIssuesError extends FirebreakError {
  override readonly name = 'RawIssuesError';
  constructor(readonly issues: readonly RawIssue[]) {
    super('event refused');
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at a path of own properties, or undefined; never follows the prototype chain. */
export function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let current: unknown = root;
  for (const segment of path) {
    if (typeof segment === 'number') {
      if (!Array.isArray(current) || segment >= current.length) return undefined;
      current = current[segment];
    } else {
      if (!isRecord(current) || !Object.hasOwn(current, segment)) return undefined;
      current = current[segment];
    }
  }
  return current;
}

/** The first non-empty string among the paths (best-effort reads of shapes no schema covers). */
export function firstText(root: unknown, paths: readonly (readonly PathSegment[])[], max = 2048): string | undefined {
  for (const path of paths) {
    const value = valueAt(root, path);
    if (typeof value === 'string' && value.length > 0 && value.length <= max) return value;
  }
  return undefined;
}

/** Caps free text so that one verbose finding cannot push an incident past the 256 KiB Step Functions payload limit. */
export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `null` → undefined, so optional model fields are absent rather than null. */
export function orUndefined<T>(value: T | null | undefined): T | undefined {
  return value ?? undefined;
}

/** A copy without the keys whose value is undefined, so the incident serializes without them. */
export function withoutUndefined<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    if (item === undefined) continue;
    // A `__proto__` key stays data and never becomes a prototype (as Object.fromEntries keeps it).
    if (key === '__proto__') Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
    else out[key] = item;
  }
  return out as T;
}

/** Builds a string record from pairs, dropping `__proto__` so later `record[k] = v` code cannot be turned against the prototype. */
export function toRecord(pairs: Iterable<readonly [string, string]>): Record<string, string> {
  return Object.fromEntries([...pairs].filter(([key]) => key !== '__proto__'));
}
