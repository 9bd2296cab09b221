import { describe, expect, it } from 'vitest';
import { cloneData } from '../../../lib/gameday/sim/simulated-aws';

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
});
