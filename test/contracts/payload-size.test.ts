/** The payload measures the dispatcher, triage and the local engine hold Step Functions' limit with. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { payloadBytes, payloadBytesAtMost, payloadBytesOver } from '../../lib/contracts/payload-size';

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
