/**
 * sortedKeys rebuilds each object key by key, and sameCanonicalJson compares two values without
 * writing their texts; what they must give is what the simple definitions give: the sorted copy made
 * through entry arrays (`Object.fromEntries`), which the sealed records' MACs and the grants' digests
 * were taken of, and `canonicalJson(a) === canonicalJson(b)`. These tests compare them on random JSON
 * data, on random values of every kind (array-index keys, `__proto__` keys, holes, undefined,
 * functions, Dates, boxed primitives, non-finite numbers, -0), on the shipped event templates with
 * their keys shuffled and their values changed, and on the values JSON writes through a toJSON,
 * refuses or cannot end.
 */
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Canonical } from '../../lib/contracts/canonical-json';
import { canonicalJson, sameCanonicalJson, sortedKeys } from '../../lib/contracts/canonical-json';
import { PROJECT_ROOT } from '../../lib/stack/responder-function';

/** The simple definition of the sorted copy, through entry arrays. */
function sortedByEntries(value: Canonical): Canonical {
  if (Array.isArray(value)) return value.map(sortedByEntries);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortedByEntries(value[key] as Canonical)]),
    );
  }
  return value;
}

/** The definition: the simple sorted copy, written by JSON. */
function reference(value: unknown): { text?: string; error?: string } {
  try {
    return { text: JSON.stringify(sortedByEntries(value as Canonical)) };
  } catch (error) {
    return { error: (error as Error).name };
  }
}

function written(value: unknown): { text?: string; error?: string } {
  try {
    return { text: canonicalJson(value) };
  } catch (error) {
    return { error: (error as Error).name };
  }
}

/** Keys an object orders in its own way: array indices (numeric order, first), their look-alikes, `__proto__`. */
const awkwardKey = fc.constantFrom('0', '1', '2', '9', '10', '01', '-1', '1.5', '4294967294', '4294967295', '4294967296', '__proto__', 'toJSON', 'a', 'B', 'é', '\u2028', '');

function objectFrom(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  // defineProperty: a "__proto__" key stays an own data property, as JSON.parse makes it.
  for (const [key, value] of entries) Object.defineProperty(object, key, { value, enumerable: true, configurable: true, writable: true });
  return object;
}

const anyValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.double(),
    fc.constantFrom(0, -0, Number.NaN, Infinity, -Infinity, 1e21, 5e-324, true, false, null, undefined),
    fc.constantFrom(
      () => 1,
      Symbol('s'),
      new Date(0),
      new Number(5),
      new String('ab'),
      new Map([['a', 1]]),
      // eslint-disable-next-line no-sparse-arrays -- a hole, which JSON writes as null
      [1, , 3],
    ),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.array(fc.tuple(fc.oneof(fc.string(), awkwardKey), tie('value')), { maxLength: 5 }).map(objectFrom),
  ),
}));

/** Whether the two canonical texts are equal, or the error computing them. */
function referenceSame(a: unknown, b: unknown): { same?: boolean; error?: string } {
  const left = reference(a);
  const right = reference(b);
  if (left.error !== undefined) return { error: left.error };
  if (right.error !== undefined) return { error: right.error };
  return { same: left.text === right.text };
}

function compared(a: unknown, b: unknown): { same?: boolean; error?: string } {
  try {
    return { same: sameCanonicalJson(a, b) };
  } catch (error) {
    return { error: (error as Error).name };
  }
}

/** A copy of JSON data with every object's keys in another order (a seeded rotation). */
function reordered(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((item, index) => reordered(item, seed + index));
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  const shift = keys.length === 0 ? 0 : seed % keys.length;
  return objectFrom([...keys.slice(shift), ...keys.slice(0, shift)].reverse().map((key) => [key, reordered((value as Record<string, unknown>)[key], seed + 1)]));
}

/** A copy of JSON data with one scalar changed (the `pick`-th one met), or the value itself when it has none. */
function changed(value: unknown, pick: { left: number }): unknown {
  if (Array.isArray(value)) return value.map((item) => changed(item, pick));
  if (value !== null && typeof value === 'object') return objectFrom(Object.keys(value).map((key) => [key, changed((value as Record<string, unknown>)[key], pick)]));
  pick.left -= 1;
  if (pick.left !== 0) return value;
  return typeof value === 'string' ? `${value}x` : typeof value === 'number' ? value + 1 : value === null ? false : null;
}

/** Same structure, same key order at every level, same own `__proto__` keys. */
function expectSameCopy(actual: unknown, expected: unknown): void {
  expect(typeof actual).toBe(typeof expected);
  if (expected === null || typeof expected !== 'object') {
    if (typeof expected === 'number' && Number.isNaN(expected)) expect(Number.isNaN(actual)).toBe(true);
    else expect(actual).toBe(expected);
    return;
  }
  expect(Array.isArray(actual)).toBe(Array.isArray(expected));
  expect(Object.getPrototypeOf(actual)).toBe(Object.getPrototypeOf(expected));
  expect(Object.keys(actual as object)).toEqual(Object.keys(expected));
  for (const key of Object.keys(expected)) expectSameCopy((actual as Record<string, unknown>)[key], (expected as Record<string, unknown>)[key]);
}

describe('sortedKeys', () => {
  it('makes the copy the entry arrays make: same keys, same order, same values, for random values of every kind', () => {
    fc.assert(
      fc.property(anyValue.value, (value) => {
        expectSameCopy(sortedKeys(value as Canonical), sortedByEntries(value as Canonical));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('canonicalJson', () => {
  it('writes the text of the sorted copy for random JSON data', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(written(value)).toEqual(reference(value));
      }),
      { numRuns: 2000 },
    );
  });

  it('writes the text of the sorted copy for random values of every kind, awkward keys among them', () => {
    fc.assert(
      fc.property(anyValue.value, (value) => {
        expect(written(value)).toEqual(reference(value));
      }),
      { numRuns: 3000 },
    );
  });

  it('orders array-index keys numerically and first, the other keys by UTF-16 code units', () => {
    const value = objectFrom([
      ['b', 1],
      ['10', 2],
      ['a', 3],
      ['9', 4],
      ['4294967295', 5],
      ['01', 6],
      ['B', 7],
    ]);
    expect(canonicalJson(value)).toBe('{"9":4,"10":2,"01":6,"4294967295":5,"B":7,"a":3,"b":1}');
    expect(canonicalJson(value)).toBe(reference(value).text);
  });

  it('writes every shipped event template as the sorted copy does', () => {
    const directory = `${PROJECT_ROOT}playbooks/events/`;
    const files = readdirSync(directory).filter((file) => file.endsWith('.json'));
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const event = JSON.parse(readFileSync(`${directory}${file}`, 'utf8')) as unknown;
      expect(written(event)).toEqual(reference(event));
    }
  });

  it('writes what JSON writes through a toJSON, a subclass of Array, or leaves out at the top', () => {
    class Listed extends Array<unknown> {
      toJSON(): string {
        return 'listed';
      }
    }
    const cases: unknown[] = [
      { toJSON: () => ({ z: 1, a: 2 }) },
      { nested: { toJSON: () => 'x' }, a: 1 },
      Listed.from([1, 2]),
      { list: Listed.from([{ b: 1, a: 2 }]) },
      () => 1,
      undefined,
      Symbol('top'),
    ];
    for (const value of cases) expect(written(value)).toEqual(reference(value));
  });

  it('refuses what JSON refuses, as the sorted copy does', () => {
    expect(written({ a: 1n })).toEqual(reference({ a: 1n }));
    expect(written({ a: 1n }).error).toBe('TypeError');
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = cycle;
    expect(written(cycle)).toEqual(reference(cycle));
    expect(written(cycle).error).toBe('RangeError');
  });

  it('writes deep values (past its own depth limit) as the sorted copy does', () => {
    let deep: unknown = { leaf: true };
    for (let level = 0; level < 700; level += 1) deep = level % 2 === 0 ? { b: deep, a: level } : [deep, level];
    expect(written(deep)).toEqual(reference(deep));
  });
});

describe('sameCanonicalJson', () => {
  it('answers as the comparison of the two canonical texts, for random pairs of values of every kind', () => {
    fc.assert(
      fc.property(anyValue.value, anyValue.value, (a, b) => {
        expect(compared(a, b)).toEqual(referenceSame(a, b));
      }),
      { numRuns: 3000 },
    );
  });

  it('finds JSON data equal to a copy with its keys reordered, and unequal to one with a value changed', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(), fc.nat({ max: 20 }), (value, seed, which) => {
        const copy = reordered(value, seed);
        expect(compared(value, copy)).toEqual({ same: true });
        const other = changed(copy, { left: which + 1 });
        expect(compared(value, other)).toEqual(referenceSame(value, other));
      }),
      { numRuns: 2000 },
    );
  });

  it('compares random values of every kind with their reordered copies as the texts do', () => {
    fc.assert(
      fc.property(anyValue.value, fc.nat(), (value, seed) => {
        const copy = reordered(value, seed);
        expect(compared(value, copy)).toEqual(referenceSame(value, copy));
      }),
      { numRuns: 2000 },
    );
  });

  it('compares every shipped event template with its reordered and changed copies as the texts do', () => {
    const directory = `${PROJECT_ROOT}playbooks/events/`;
    for (const file of readdirSync(directory).filter((name) => name.endsWith('.json'))) {
      const event = JSON.parse(readFileSync(`${directory}${file}`, 'utf8')) as unknown;
      const copy = reordered(event, file.length);
      expect(sameCanonicalJson(event, copy)).toBe(true);
      for (const which of [1, 5, 40]) {
        const other = changed(copy, { left: which });
        expect(compared(event, other)).toEqual(referenceSame(event, other));
      }
    }
  });

  it('leaves to the texts what JSON leaves out or writes by its own rules', () => {
    const pairs: [unknown, unknown][] = [
      [{ a: 1, b: undefined }, { a: 1 }],
      [{ a: 1, f: () => 2 }, { a: 1 }],
      [[undefined], [null]],
      [[Number.NaN], [null]],
      [{ toJSON: () => 'same', x: 1 }, { toJSON: () => 'same', x: 2 }],
      [{ toJSON: () => 1 }, 1],
      [0, -0],
      [new Date(0), {}],
      [undefined, undefined],
      [{ a: 1n }, { a: 1n }],
    ];
    for (const [a, b] of pairs) expect(compared(a, b)).toEqual(referenceSame(a, b));
  });
});
