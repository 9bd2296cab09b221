/**
 * The engine's Lambda payload copy (lib/gameday/json-copy.ts) is exactly a JSON round trip: on
 * random JSON data, on the shipped event templates, and on every value JSON changes or refuses
 * (undefined, functions, symbols, non-finite numbers, -0, holes, toJSON, Dates, Maps, class
 * instances, bigints, `__proto__` keys, cycles, deep values), it gives what
 * `JSON.parse(JSON.stringify(value))` gives, or throws what it throws.
 */
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonCopy, sameJsonText } from '../../lib/gameday/json-copy';
import { PROJECT_ROOT } from '../../lib/stack/responder-function';

function roundTrip(value: unknown): { value?: unknown; error?: string } {
  try {
    return { value: JSON.parse(JSON.stringify(value) as string) as unknown };
  } catch (error) {
    return { error: `${(error as Error).name}` };
  }
}

function copied(value: unknown): { value?: unknown; error?: string } {
  try {
    return { value: jsonCopy(value) };
  } catch (error) {
    return { error: `${(error as Error).name}` };
  }
}

/** Same value, same key order, same own "__proto__" keys, same prototypes (plain objects and arrays only). */
function expectSame(actual: unknown, expected: unknown): void {
  expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
  expect(actual).toStrictEqual(expected);
  if (expected !== null && typeof expected === 'object') {
    expect(Object.getPrototypeOf(actual)).toBe(Object.getPrototypeOf(expected));
    expect(Object.keys(actual as object)).toEqual(Object.keys(expected));
    for (const key of Object.keys(expected)) expectSame((actual as Record<string, unknown>)[key], (expected as Record<string, unknown>)[key]);
  }
}

function expectLikeJson(value: unknown): void {
  const expected = roundTrip(value);
  const actual = copied(value);
  expect(actual.error).toBe(expected.error);
  if (expected.error === undefined) expectSame(actual.value, expected.value);
}

describe('jsonCopy', () => {
  it('copies random JSON data exactly as a JSON round trip, and never shares a part of it', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expectLikeJson(value);
        const copy = jsonCopy(value);
        if (value !== null && typeof value === 'object') expect(copy).not.toBe(value);
      }),
      { numRuns: 500 },
    );
  });

  it('copies random values JSON changes or refuses exactly as a JSON round trip', () => {
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withBoxedValues: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true, withObjectString: true, withSparseArray: true, withTypedArray: true, withUnicodeString: true }), (value) => {
        expectLikeJson(value);
      }),
      { numRuns: 500 },
    );
  });

  it('copies every shipped event template exactly', () => {
    const directory = `${PROJECT_ROOT}playbooks/events/`;
    const files = readdirSync(directory).filter((file) => file.endsWith('.json'));
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) expectLikeJson(JSON.parse(readFileSync(directory + file, 'utf8')));
  });

  it('follows JSON on every value it does not copy itself', () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = cycle;
    let deep: unknown = 'bottom';
    for (let depth = 0; depth < 600; depth += 1) deep = { next: deep };
    const holey: unknown[] = new Array<unknown>(3);
    holey[0] = 1;
    holey[2] = 3;
    const proto = JSON.parse('{"__proto__": {"polluted": true}, "b": [1, {"__proto__": 2}]}') as unknown;
    const edge: unknown[] = [
      undefined,
      null,
      0,
      -0,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      1e308,
      'text',
      '',
      true,
      () => 1,
      Symbol('s'),
      10n,
      { a: undefined, b: () => 1, c: Symbol('c'), d: 1 },
      [undefined, () => 1, Symbol('x'), 2],
      // A hole: JSON writes null.
      holey,
      { n: -0, m: [Number.NaN, -0] },
      { when: new Date(0) },
      { toJSON: () => ({ replaced: true }) },
      { nested: { toJSON: () => 'text' } },
      new Map([['k', 1]]),
      new Set([1]),
      new Point(1, 2),
      Object.assign(Object.create(null) as object, { a: 1, b: { c: [1, 2] } }),
      Object.assign([1, 2], { extra: 'ignored' }),
      // An array with a toJSON of its own: JSON writes what it returns.
      Object.assign([1], { toJSON: () => 'x' }),
      { list: Object.assign([1, 2], { toJSON: () => ({ replaced: 'list' }) }) },
      new String('boxed'),
      new Number(3),
      new Uint8Array([1, 2]),
      { [Symbol('k')]: 1, visible: 2 },
      { 2: 'b', 1: 'a', z: 'z', y: 'y' },
      proto,
      cycle,
      deep,
      Object.defineProperty({}, 'hidden', { value: 1, enumerable: false }),
      Object.defineProperty({}, 'computed', { get: () => 'got', enumerable: true }),
    ];
    for (const value of edge) expectLikeJson(value);
    // The "__proto__" key stays data, as JSON.parse makes it, and nothing is polluted.
    const copy = jsonCopy(proto) as Record<string, unknown>;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.hasOwn(copy, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('passes on what a getter throws, as JSON does', () => {
    const failing = Object.defineProperty({}, 'boom', {
      get: () => {
        throw new RangeError('from the getter');
      },
      enumerable: true,
    });
    expect(() => jsonCopy(failing)).toThrow('from the getter');
    expect(() => JSON.parse(JSON.stringify(failing))).toThrow('from the getter');
  });
});

describe('sameJsonText', () => {
  const same = (a: unknown, b: unknown) => {
    let expected: boolean | string;
    try {
      expected = JSON.stringify(a) === JSON.stringify(b);
    } catch (error) {
      expected = (error as Error).name;
    }
    let actual: boolean | string;
    try {
      actual = sameJsonText(a, b);
    } catch (error) {
      actual = (error as Error).name;
    }
    expect(actual).toBe(expected);
  };

  it('is JSON.stringify(a) === JSON.stringify(b) on random JSON data, copies and near copies alike', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        same(a, b);
        same(a, jsonCopy(a));
        same(a, JSON.parse(JSON.stringify(a) ?? 'null') as unknown);
      }),
      { numRuns: 500 },
    );
  });

  it('is JSON.stringify(a) === JSON.stringify(b) on anything fast-check makes (undefined, NaN, -0, Maps, boxed values, null prototypes…)', () => {
    fc.assert(
      fc.property(fc.anything({ withBoxedValues: true, withMap: true, withSet: true, withNullPrototype: true, withSparseArray: true, withDate: true }), fc.anything(), (a, b) => {
        same(a, b);
        same(a, a);
      }),
      { numRuns: 1000 },
    );
  });

  it('follows JSON on key order, -0, non-finite numbers, undefined, holes, toJSON, Dates, Maps and cycles', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    const cases: [unknown, unknown][] = [
      [{ a: 1, b: 2 }, { b: 2, a: 1 }],
      [{ a: 1, b: { c: [1, 2] } }, { a: 1, b: { c: [1, 2] } }],
      [{ big: { deep: 'x' }, id: 'one' }, { big: { deep: 'x' }, id: 'two' }],
      [-0, 0],
      [{ n: -0 }, { n: 0 }],
      [Number.NaN, null],
      [[Number.POSITIVE_INFINITY], [null]],
      [{ a: undefined, b: 1 }, { b: 1 }],
      [[undefined], [null]],
      // eslint-disable-next-line no-sparse-arrays
      [[1, , 3], [1, null, 3]],
      [new Date(0), '1970-01-01T00:00:00.000Z'],
      [{ at: new Date(0) }, { at: '1970-01-01T00:00:00.000Z' }],
      [{ toJSON: () => 'x' }, 'x'],
      [new Map([[1, 2]]), {}],
      [undefined, undefined],
      [undefined, null],
      [[], {}],
      ['1', 1],
      [cycle, cycle],
      [Object.assign(Object.create(null) as object, { a: 1 }), { a: 1 }],
    ];
    for (const [a, b] of cases) {
      same(a, b);
      same(b, a);
    }
  });
});
