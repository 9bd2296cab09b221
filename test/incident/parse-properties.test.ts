/**
 * Property tests: on any JSON at all, and on real events with any one field replaced or removed,
 * the parser either returns incidents or throws an EventParseError, never anything else; and a
 * PascalCase copy of a finding always parses to the same incident as the camelCase original.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventParseError, parseEvent, parseEventJson, parseEvents } from '../../lib/incident/parse';
import type { Incident } from '../../lib/incident/model';
import { HAS_SHARED_EVENTS, NOT_TEXT_VALUES, OWN_EVENT_DIRS, SHARED_EVENTS_DIR, eventFiles, fieldAt, loadEvent, toPascalCase, withField } from './events';
import type { FieldPath } from './events';
import { seedProperties } from '../support/property-seed';

seedProperties('test/incident/parse-properties.test.ts');

const receivedAt = new Date('2026-04-01T12:00:00.000Z');

type Outcome = { readonly ok: true; readonly incidents: Incident[] } | { readonly ok: false; readonly error: EventParseError };

/** Runs the parser and classifies the result; anything thrown that is not a clean EventParseError fails the property. */
function outcomeOf(run: () => Incident[]): Outcome {
  try {
    return { ok: true, incidents: run() };
  } catch (error) {
    if (!(error instanceof EventParseError)) throw new Error(`threw ${String(error)} instead of an EventParseError`, { cause: error });
    // A cause other than JSON.parse's SyntaxError would mean the catch-all wrapped an unforeseen
    // error: a parser bug, even if contained.
    if (error.cause !== undefined && !(error.cause instanceof SyntaxError)) throw new Error(`EventParseError wrapped a ${String(error.cause)}`, { cause: error });
    expect(error.issues.length).toBeGreaterThan(0);
    for (const issue of error.issues) {
      expect(typeof issue.path).toBe('string');
      expect(issue.path.length).toBeGreaterThan(0);
      expect(typeof issue.expected).toBe('string');
    }
    return { ok: false, error };
  }
}

function assertWellFormed(incident: Incident): void {
  expect(incident.key).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  expect(incident.severity.score).toBeGreaterThanOrEqual(0);
  expect(incident.severity.score).toBeLessThanOrEqual(10);
  expect(incident.account).toMatch(/^\d{12}$/);
  for (const time of [incident.times.created, incident.times.updated, incident.times.received]) {
    expect(new Date(time).toISOString()).toBe(time);
  }
  // Plain JSON: it must survive a Step Functions payload round trip unchanged.
  expect(JSON.parse(JSON.stringify(incident))).toEqual(incident);
}

// Our fixtures always; the published events in ../shared/events too where that folder exists.
const realEvents: readonly { readonly name: string; readonly shared: boolean; readonly event: unknown }[] = [
  ...(HAS_SHARED_EVENTS ? eventFiles(SHARED_EVENTS_DIR) : []).map((name) => ({ name, shared: true, event: loadEvent(SHARED_EVENTS_DIR, name) })),
  ...OWN_EVENT_DIRS.flatMap((dir) => eventFiles(dir).map((name) => ({ name, shared: false, event: loadEvent(dir, name) }))),
];

/** Every path to a value in a JSON document (objects' keys and arrays' indexes), the root excluded. */
function pathsOf(value: unknown, prefix: FieldPath = []): FieldPath[] {
  if (value === null || typeof value !== 'object') return [];
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((item, index) => [index, item]) : Object.entries(value);
  return entries.flatMap(([key, item]) => [[...prefix, key], ...pathsOf(item, [...prefix, key])]);
}

const mutationArbitrary = fc.record({
  eventIndex: fc.nat({ max: realEvents.length - 1 }),
  pathIndex: fc.nat(),
  replacement: fc.oneof(
    fc.constant(undefined),
    fc.jsonValue({ maxDepth: 3 }),
    fc.constantFrom(null, '', 'high', -1, 11, 1e308, '__proto__', [], {}, 'XXXX-XX-XXTXX:XX:XXZ', 'x'.repeat(70_000)),
    fc.constantFrom(...NOT_TEXT_VALUES),
  ),
});

const realEventPaths = realEvents.map(({ event }) => pathsOf(event));

function mutate(eventIndex: number, pathIndex: number, replacement: unknown): unknown {
  const { event } = realEvents[eventIndex]!;
  const paths = realEventPaths[eventIndex]!;
  const path = paths[pathIndex % paths.length]!;
  return withField(event, path, replacement);
}

describe('parser totality', () => {
  it('on any JSON value, parseEvent and parseEvents return incidents or throw EventParseError', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (input) => {
        const single = outcomeOf(() => [parseEvent(input, { receivedAt })]);
        const many = outcomeOf(() => parseEvents(input, { receivedAt }));
        if (single.ok) single.incidents.forEach(assertWellFormed);
        if (many.ok) many.incidents.forEach(assertWellFormed);
      }),
      { numRuns: 500 },
    );
  });

  it('on any JSON value under an accepted envelope, the same holds', () => {
    const envelope = fc.record(
      {
        source: fc.constantFrom('aws.guardduty', 'aws.cloudwatch', 'firebreak.gameday', 'aws.securityhub'),
        'detail-type': fc.constantFrom('GuardDuty Finding', 'CloudWatch Alarm State Change', 'Other'),
        account: fc.oneof(fc.constant('111122223333'), fc.jsonValue()),
        region: fc.oneof(fc.constant('eu-west-1'), fc.jsonValue()),
        detail: fc.jsonValue(),
        resources: fc.oneof(fc.constant([]), fc.jsonValue()),
      },
      { requiredKeys: ['source', 'detail-type'] },
    );
    fc.assert(
      fc.property(envelope, (input) => {
        const outcome = outcomeOf(() => [parseEvent(input, { receivedAt })]);
        if (outcome.ok) outcome.incidents.forEach(assertWellFormed);
      }),
      { numRuns: 500 },
    );
  });

  it('on any text, parseEventJson returns an incident or throws EventParseError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        outcomeOf(() => [parseEventJson(text, { receivedAt })]);
      }),
      { numRuns: 300 },
    );
  });

  it('on a real event with one field replaced by anything (or removed), the same holds', () => {
    fc.assert(
      fc.property(mutationArbitrary, ({ eventIndex, pathIndex, replacement }) => {
        const outcome = outcomeOf(() => parseEvents(mutate(eventIndex, pathIndex, replacement), { receivedAt }));
        if (outcome.ok) outcome.incidents.forEach(assertWellFormed);
      }),
      { numRuns: 600 },
    );
  });
});

describe('PascalCase equivalence', () => {
  const findings = realEvents.flatMap(({ name, shared, event }) => {
    const detail = fieldAt(event, ['detail']);
    const findingList = fieldAt(event, ['Findings']);
    if (Array.isArray(findingList)) return findingList.map((finding: unknown) => ({ name, shared, finding }));
    if (fieldAt(event, ['detail-type']) === 'GuardDuty Finding') return [{ name, shared, finding: detail }];
    return [];
  });

  it('has GuardDuty findings to compare', () => {
    // Ten come from our fixtures; ../shared/events, where it exists, brings the total to 12 or more.
    expect(findings.filter(({ shared }) => !shared).length).toBeGreaterThanOrEqual(10);
    if (HAS_SHARED_EVENTS) expect(findings.length).toBeGreaterThanOrEqual(12);
  });

  it('parses a mutated finding and its PascalCase copy alike: the same incident, or both refused', () => {
    const arbitrary = fc.record({
      findingIndex: fc.nat({ max: findings.length - 1 }),
      pathIndex: fc.nat(),
      replacement: fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 2 })),
    });
    fc.assert(
      fc.property(arbitrary, ({ findingIndex, pathIndex, replacement }) => {
        const { finding } = findings[findingIndex]!;
        const paths = pathsOf(finding);
        const mutated = withField(finding, paths[pathIndex % paths.length]!, replacement);
        const camel = outcomeOf(() => [parseEvent(mutated, { receivedAt })]);
        const pascal = outcomeOf(() => [parseEvent({ Findings: [toPascalCase(mutated)] }, { receivedAt })]);
        expect(pascal.ok).toBe(camel.ok);
        if (camel.ok && pascal.ok) expect(pascal.incidents).toEqual(camel.incidents);
        if (!camel.ok && !pascal.ok) expect(pascal.error.issues.length).toBe(camel.error.issues.length);
      }),
      { numRuns: 500 },
    );
  });
});
