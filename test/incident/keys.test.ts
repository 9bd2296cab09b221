import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alarmKey, childIncidentKey, executionNameFor, findingKey, incidentKey, isKeyOfFinding, isOwnKeyOfFinding } from '../../lib/incident/keys';
import { parseEvent } from '../../lib/incident/parse';
import { ec2Incident } from '../support/incidents';
import { fixtureEvent, withField } from './events';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const KEY = /^[A-Za-z0-9_-]{1,64}$/;

describe('findingKey', () => {
  it('prefixes a GuardDuty finding id unchanged', () => {
    expect(findingKey('4ec5f3a1b2d94e8f9a0b1c2d3e4f5a6b')).toBe('gd-4ec5f3a1b2d94e8f9a0b1c2d3e4f5a6b');
  });

  it('sanitizes other ids and adds a hash of the original so that they cannot collide', () => {
    expect(findingKey('a/b')).toBe(`gd-a-b-${sha256('a/b').slice(0, 16)}`);
    expect(findingKey('a/b')).not.toBe(findingKey('a:b'));
  });

  it('keeps a key of at most 64 characters for an id too long to prefix', () => {
    const id = 'f'.repeat(62);
    expect(findingKey(id)).toBe(`gd-${'f'.repeat(40)}-${sha256(id).slice(0, 16)}`);
    expect(findingKey(id)).toHaveLength(60);
  });

  it('always yields [A-Za-z0-9_-]{1,64}, distinct for distinct ids', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 300 }), fc.string({ minLength: 1, maxLength: 300 }), (a, b) => {
        expect(findingKey(a)).toMatch(KEY);
        if (a !== b) expect(findingKey(a)).not.toBe(findingKey(b));
      }),
      { numRuns: 500 },
    );
  });
});

describe('isKeyOfFinding', () => {
  const id = '4ec5f3a1b2d94e8f9a0b1c2d3e4f5a6b';
  it("accepts the finding's own key, its game-day injection's and a child incident's; nothing else", () => {
    expect(isKeyOfFinding(`gd-${id}`, id)).toBe(true);
    expect(isKeyOfFinding(`gameday-gd-${id}`, id)).toBe(true);
    expect(isKeyOfFinding(childIncidentKey(`gd-${id}`, '-i-0123456789abcdef0'), id)).toBe(true);
    expect(isKeyOfFinding('gd-0000aaaa0000aaaa0000aaaa0000aaaa', id)).toBe(false);
    expect(isKeyOfFinding(`gd-${id}-other`, id)).toBe(false);
    expect(isKeyOfFinding(`cw-${id}`, id)).toBe(false);
  });
});

describe('isOwnKeyOfFinding', () => {
  const id = '4ec5f3a1b2d94e8f9a0b1c2d3e4f5a6b';
  it("accepts the finding's own key and its game-day injection's, never a child incident's (one resource of it)", () => {
    expect(isOwnKeyOfFinding(`gd-${id}`, id)).toBe(true);
    expect(isOwnKeyOfFinding(`gameday-gd-${id}`, id)).toBe(true);
    expect(isOwnKeyOfFinding(childIncidentKey(`gd-${id}`, '-i-0123456789abcdef0'), id)).toBe(false);
    expect(isOwnKeyOfFinding(childIncidentKey(`gameday-gd-${id}`, '-AKIAIOSFODNN7EXAMPLE'), id)).toBe(false);
    expect(isOwnKeyOfFinding('gd-0000aaaa0000aaaa0000aaaa0000aaaa', id)).toBe(false);
  });
});

describe('isOwnKeyOfFinding: test (review-13c, checked and holds)', () => {
  const id = '4ec5f3a1b2d94e8f9a0b1c2d3e4f5a6b';
  // A finding id as the write-back reads it from a GuardDuty ARN: [a-z0-9]{1,64}.
  const findingIds = fc.stringMatching(/^[a-z0-9]{1,64}$/);
  const suffixes = fc.constantFrom('-i-0123456789abcdef0', '-i-0123456789abcdef0-1a2b3c4d', '-AKIAIOSFODNN7EXAMPLE', '-key-0123456789abcdef', '-role-0123456789ab');

  it("reads no look-alike of the finding's own key as its own: another finding whose id is a prefix or an extension of it, case, separators, a drill's of another", () => {
    for (const key of [`gd-${id.slice(0, 31)}`, `gd-${id}0`, `GD-${id}`, `gd-${id.toUpperCase()}`, `gd_${id}`, `gd--${id}`, `gd-${id}-`, `gameday-${`gd-${id}`.slice(0, 30)}`, `gameday-gd-${id}0`, `gameday-gameday-gd-${id}`, ` gd-${id}`]) {
      expect(isOwnKeyOfFinding(key, id), key).toBe(false);
    }
    expect(isOwnKeyOfFinding(`gd-${id}`, `${id}0`)).toBe(false);
    expect(isOwnKeyOfFinding(`gd-${id}`, id.slice(0, 31))).toBe(false);
  });

  it("never reads a child key (any suffix, shortened or not) as any finding's own key, and always reads each finding's own keys as its own", () => {
    fc.assert(
      fc.property(findingIds, findingIds, suffixes, fc.boolean(), (parentId, otherId, suffix, drill) => {
        const own = incidentKey(findingKey(parentId), drill);
        expect(isOwnKeyOfFinding(own, parentId)).toBe(true);
        const child = childIncidentKey(own, suffix);
        expect(isOwnKeyOfFinding(child, parentId)).toBe(false);
        expect(isOwnKeyOfFinding(child, otherId)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('a long id (the hashed key form) is its own, and its children are not', () => {
    const long = 'a'.repeat(64);
    expect(isOwnKeyOfFinding(findingKey(long), long)).toBe(true);
    expect(isOwnKeyOfFinding(findingKey(long), 'a'.repeat(63))).toBe(false);
    expect(isOwnKeyOfFinding(childIncidentKey(findingKey(long), '-i-0123456789abcdef0'), long)).toBe(false);
  });
});

describe('alarmKey', () => {
  it('is cw- + 16 hex of sha256(account|region|alarmName) + the compact UTC state time', () => {
    const hash = sha256('123456789012|us-east-1|ServerCpuTooHigh').slice(0, 16);
    expect(alarmKey('123456789012', 'us-east-1', 'ServerCpuTooHigh', '2019-10-28T19:13:05.317Z')).toBe(`cw-${hash}-20191028T191305Z`);
  });

  it('differs by account and by region for the same alarm name', () => {
    const key = alarmKey('123456789012', 'us-east-1', 'cpu', '2019-10-28T19:13:05.317Z');
    expect(alarmKey('210987654321', 'us-east-1', 'cpu', '2019-10-28T19:13:05.317Z')).not.toBe(key);
    expect(alarmKey('123456789012', 'eu-west-1', 'cpu', '2019-10-28T19:13:05.317Z')).not.toBe(key);
  });
});

describe('executionNameFor', () => {
  const event = fixtureEvent('guardduty-ec2-backdoor-c2activity-multi-eni.json');
  const incident = parseEvent(event, { receivedAt: new Date('2026-04-01T12:00:00Z') });

  it('is the key plus 12 hex of sha256(revision)', () => {
    expect(executionNameFor(incident)).toBe(`gd-4ec5f3a1b2d94e8f9a0b1c2d3e4f5a6b-${sha256('2025-01-02T10:47:05.912Z#4').slice(0, 12)}`);
  });

  it('names a duplicate delivery (received later) the same', () => {
    const duplicate = parseEvent(structuredClone(event), { receivedAt: new Date('2026-04-01T12:05:00Z') });
    expect(executionNameFor(duplicate)).toBe(executionNameFor(incident));
  });

  it('names an update of the finding (count and updatedAt grow) differently, under the same key', () => {
    const updated = parseEvent(
      withField(withField(event, ['detail', 'service', 'count'], 5), ['detail', 'updatedAt'], '2025-01-02T11:02:09.000Z'),
    );
    expect(updated.key).toBe(incident.key);
    expect(executionNameFor(updated)).not.toBe(executionNameFor(incident));
    const recounted = parseEvent(withField(event, ['detail', 'service', 'count'], 5));
    expect(executionNameFor(recounted)).not.toBe(executionNameFor(incident));
  });

  it('works on the test builders incidents too', () => {
    expect(executionNameFor(ec2Incident())).toMatch(EXECUTION_NAME);
  });

  it('is 1–80 characters of [A-Za-z0-9_-] and deterministic for any key and revision, even hand-built ones', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.string({ maxLength: 200 }), (key, revision) => {
        const name = executionNameFor({ key, revision });
        expect(name).toMatch(EXECUTION_NAME);
        expect(executionNameFor({ key, revision })).toBe(name);
      }),
      { numRuns: 500 },
    );
  });
});
