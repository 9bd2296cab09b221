/** The payload measures the dispatcher, triage and the local engine hold Step Functions' limit with. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PAYLOAD_MEMO_MIN_BYTES, payloadBytes, payloadBytesAtMost, payloadBytesOver } from '../../lib/contracts/payload-size';

describe('payloadBytesAtMost', () => {
  it('is never below the exact UTF-8 size of the JSON text, for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => payloadBytesAtMost(value) >= payloadBytes(value)),
      { numRuns: 2000 },
    );
  });

  it('bounds the strings JSON escapes most (control characters) and those UTF-8 writes widest', () => {
    for (const text of ['\u0000'.repeat(100), '😀'.repeat(100), '\u2028"\\\n', 'ü'.repeat(100)]) {
      const value = { [text]: [text, { text }] };
      expect(payloadBytesAtMost(value)).toBeGreaterThanOrEqual(payloadBytes(value));
    }
  });

  it('gives the same bound through a memo shared by values built from one another, and keeps only large objects', () => {
    const memo = new WeakMap<object, number>();
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        // As state data is built: a new object holding earlier ones (measured before) beside new values.
        const whole = { earlier: a, result: b, again: [a, b] };
        expect(payloadBytesAtMost(a, memo)).toBe(payloadBytesAtMost(a));
        expect(payloadBytesAtMost(whole, memo)).toBe(payloadBytesAtMost(whole));
      }),
      { numRuns: 500 },
    );
    const small = { a: 'x' };
    const large = { text: 'y'.repeat(PAYLOAD_MEMO_MIN_BYTES) };
    payloadBytesAtMost({ small, large }, memo);
    expect(memo.has(small)).toBe(false);
    expect(memo.get(large)).toBe(payloadBytesAtMost(large));
  });

  it('measures a value with toJSON (a Date) as JSON writes it', () => {
    const value = { at: new Date('2026-12-04T23:00:00.000Z') };
    expect(payloadBytesAtMost(value)).toBeGreaterThanOrEqual(payloadBytes(value));
  });
});

describe('payloadBytesOver', () => {
  it('is the exact size past the limit, and undefined within it, whatever the bound says', () => {
    fc.assert(
      fc.property(fc.json().map((text) => JSON.parse(text) as unknown), fc.nat({ max: 400 }), (value, limit) => {
        const bytes = payloadBytes(value);
        expect(payloadBytesOver(value, limit)).toBe(bytes > limit ? bytes : undefined);
      }),
      { numRuns: 300 },
    );
  });
});
