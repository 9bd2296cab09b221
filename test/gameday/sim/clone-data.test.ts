import { describe, expect, it } from 'vitest';
import { cloneData } from '../../../lib/gameday/sim/clone-data';

describe('cloneData', () => {
  it('copies plain call data deeply, as structuredClone would', () => {
    const input = { Groups: ['sg-1'], Nested: { at: new Date(0), bytes: new Uint8Array([1, 2]), absent: undefined }, n: 1, s: 'x', none: null };
    const copy = cloneData(input);
    expect(copy).toEqual(structuredClone(input));
    expect(copy.Groups).not.toBe(input.Groups);
    expect(copy.Nested.at).not.toBe(input.Nested.at);
    expect(copy.Nested.bytes).not.toBe(input.Nested.bytes);
    expect(Object.keys(copy.Nested)).toContain('absent');
    input.Groups.push('sg-2');
    input.Nested.bytes[0] = 9;
    expect(copy.Groups).toEqual(['sg-1']);
    expect(copy.Nested.bytes[0]).toBe(1);
  });

  it('hands anything else to structuredClone (a Map stays a Map)', () => {
    const copy = cloneData({ map: new Map([['a', 1]]) });
    expect(copy.map).toBeInstanceOf(Map);
    expect(copy.map.get('a')).toBe(1);
  });

  it('copies a DynamoDB item as structuredClone does, a "__proto__" attribute included (kept as data, nothing polluted)', () => {
    const item = JSON.parse('{"pk": {"S": "incident#1"}, "__proto__": {"M": {"polluted": {"BOOL": true}}}, "entries": {"L": [{"S": "a"}, {"M": {"n": {"N": "1"}}}]}}') as Record<string, unknown>;
    Object.assign(item, { bytes: { B: new Uint8Array([7]) }, set: { BS: [new Uint8Array([1])] } });
    const copy = cloneData(item);
    expect(copy).toEqual(structuredClone(item));
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.hasOwn(copy, '__proto__')).toBe(true);
    expect(Object.keys(copy)).toEqual(Object.keys(item));
    expect((copy as { polluted?: unknown }).polluted).toBeUndefined();
    expect(copy.entries).not.toBe(item.entries);
  });
});
