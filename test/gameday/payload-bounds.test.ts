/**
 * The engine's per-execution payload bounds (lib/gameday/payload-bounds.ts) give what
 * payloadBytesAtMost gives, payload after payload, when later payloads hold objects of earlier ones
 * (as a state's output holds its task's result and its input), past the number of objects kept, and
 * answer the limit check as payloadBytesOver does.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { payloadBytesAtMost, payloadBytesOver } from '../../lib/contracts/payload-size';
import { PayloadBounds } from '../../lib/gameday/payload-bounds';

/** JSON data large enough for its objects to be kept (long strings), and small values beside them. */
const jsonData = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ maxLength: 400 }),
    fc.double(),
    fc.constantFrom(true, false, null),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string({ maxLength: 12 }), tie('value'), { maxKeys: 6 }),
  ),
}));

/** What a state machine makes of earlier payloads: a new object holding some of them at some depth. */
function wrapping(parts: readonly unknown[], depths: readonly number[]): unknown {
  const payload: Record<string, unknown> = { note: 'x'.repeat(50) };
  parts.forEach((part, index) => {
    let value: unknown = part;
    for (let level = 0; level < (depths[index % depths.length] ?? 0); level += 1) value = { [`level${level}`]: value, beside: level };
    payload[`part${index}`] = value;
  });
  return payload;
}

describe('PayloadBounds', () => {
  it('bounds random JSON data as payloadBytesAtMost does', () => {
    fc.assert(
      fc.property(jsonData.value, (value) => {
        expect(new PayloadBounds().bytesAtMost(value)).toBe(payloadBytesAtMost(value));
      }),
      { numRuns: 1000 },
    );
  });

  it('bounds payloads made of earlier payloads (at every depth, again and again) as payloadBytesAtMost does', () => {
    fc.assert(
      fc.property(fc.array(jsonData.value, { minLength: 1, maxLength: 6 }), fc.array(fc.nat({ max: 5 }), { minLength: 1, maxLength: 4 }), fc.nat({ max: 40 }), (values, depths, rounds) => {
        const bounds = new PayloadBounds();
        const seen: unknown[] = [];
        for (const value of values) {
          expect(bounds.bytesAtMost(value)).toBe(payloadBytesAtMost(value));
          seen.push(value);
        }
        // Later payloads hold earlier ones, as outputs hold results: more of them than are kept.
        for (let round = 0; round < rounds; round += 1) {
          // The values, and the payload before (which holds them too), as a state's output holds its input.
          const payload = wrapping(
            [...values.filter((_, index) => (index + round) % 3 !== 0), seen.at(-1)],
            depths.map((depth) => depth + (round % 2)),
          );
          expect(bounds.bytesAtMost(payload)).toBe(payloadBytesAtMost(payload));
          seen.push(payload);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('bounds a task result held in the state output as it was bounded alone', () => {
    const result = { Payload: { incident: { summary: 'é'.repeat(3000), resources: Array.from({ length: 40 }, (_, index) => ({ id: `i-${index}` })) } }, StatusCode: 200 };
    const bounds = new PayloadBounds();
    expect(bounds.bytesAtMost(result)).toBe(payloadBytesAtMost(result));
    const output = { input: { id: 'a' }, triage: { decision: result.Payload } };
    expect(bounds.bytesAtMost(output)).toBe(payloadBytesAtMost(output));
    const next = { triage: output.triage, started: { executionArn: 'arn' } };
    expect(bounds.bytesAtMost(next)).toBe(payloadBytesAtMost(next));
  });

  it('answers the limit check as payloadBytesOver does, under, at and over the limit', () => {
    for (const length of [100, 262_000, 262_142, 262_143, 300_000]) {
      const value = { text: 'a'.repeat(length) };
      const bounds = new PayloadBounds();
      const inner = bounds.bytesOver(value, 262_144);
      expect(inner).toBe(payloadBytesOver(value, 262_144));
      expect(bounds.bytesOver({ held: value }, 262_144)).toBe(payloadBytesOver({ held: value }, 262_144));
    }
  });

  it('measures a value with a toJSON as JSON writes it', () => {
    const value = { at: new Date(0), list: [{ toJSON: () => 'x'.repeat(5000) }] };
    expect(new PayloadBounds().bytesAtMost(value)).toBe(payloadBytesAtMost(value));
  });
});
