/** Loads real-format events for the parser tests: the shared published ones and our own fixtures. */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { SHARED_EVENTS_DIR } from '../support/shared-events';

export { HAS_SHARED_EVENTS, SHARED_EVENTS_DIR } from '../support/shared-events';

const repoRoot = path.resolve(import.meta.dirname, '../..');
export const FIXTURE_EVENTS_DIR = path.resolve(repoRoot, 'test/fixtures/events');
/** The events the game day ships (its templates), with the same conventions as the fixtures. */
export const SHIPPED_EVENTS_DIR = path.resolve(repoRoot, 'playbooks/events');
/** Our own events: the shipped ones and the test-only fixtures. */
export const OWN_EVENT_DIRS = [SHIPPED_EVENTS_DIR, FIXTURE_EVENTS_DIR] as const;

/** The parsed JSON of `<dir>/<name>`. */
export function loadEvent(dir: string, name: string): unknown {
  return JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as unknown;
}

/** Reads ../shared/events/<name>: only inside a test guarded by HAS_SHARED_EVENTS. */
export const sharedEvent = (name: string): unknown => loadEvent(SHARED_EVENTS_DIR, name);
export const fixtureEvent = (name: string): unknown => loadEvent(OWN_EVENT_DIRS.find((dir) => existsSync(path.join(dir, name))) ?? FIXTURE_EVENTS_DIR, name);

/** Every `.json` file name in a directory. */
export function eventFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort();
}

/** A deep copy that can be edited freely. */
export function clone<T>(value: T): T {
  return structuredClone(value);
}

/** Uppercases the first letter of every key, as the AWS CLI prints GetFindings output. */
export function toPascalCase(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toPascalCase);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key.charAt(0).toUpperCase() + key.slice(1), toPascalCase(item)]),
  );
}

export type FieldPath = readonly (string | number)[];

/** A copy of `event` with the field at `path` set to `value`, or removed when `value` is undefined. */
export function withField(event: unknown, path: FieldPath, value: unknown): unknown {
  const copy = structuredClone(event);
  const parentPath = path.slice(0, -1);
  const last = path[path.length - 1];
  let parent: unknown = copy;
  for (const segment of parentPath) {
    parent = (parent as Record<string | number, unknown>)[segment];
  }
  if (parent === null || typeof parent !== 'object' || last === undefined) throw new Error(`no parent at ${path.join('.')}`);
  const container = parent as Record<string | number, unknown>;
  if (value === undefined) delete container[last];
  else container[last] = value;
  return copy;
}

/** The value at `path` in `event`. */
export function fieldAt(event: unknown, path: FieldPath): unknown {
  let current: unknown = event;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

/**
 * JSON values that are not text and cannot become text: `String(value)` or `${value}` throws a
 * TypeError on the first three (their `toString`/`valueOf` are not functions), and the others read
 * as `[object Object]`. A parser must refuse them by name, or leave them out, never coerce them.
 */
export const NOT_TEXT_VALUES: readonly unknown[] = [{ toString: null }, { toString: 'x', valueOf: null }, { toString: null, valueOf: null }, [{ toString: null }], {}];
