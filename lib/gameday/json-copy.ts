/**
 * `JSON.parse(JSON.stringify(value))`, for what a Lambda payload is: the engine hands every
 * function its own copy of the payload, as Lambda carries it as JSON. State-machine data is plain
 * JSON data (objects, arrays, strings, finite numbers, booleans, null), and for such data the copy
 * is made directly, without writing and reading the text (several times faster on a finding, and
 * no text to collect). Anything JSON would change or refuse (undefined, a function, a symbol, a
 * non-finite number, -0, a hole in an array, a `toJSON` method, a Date, a Map, a class instance, a
 * bigint, a cycle or a very deep value) makes the whole copy go through JSON itself, so the result
 * is JSON's in every case. (test/gameday/json-copy.test.ts compares the two.)
 */

/** Thrown inside the direct copy when a value needs JSON's own rules. */
const NEEDS_JSON: unique symbol = Symbol('needs JSON');

/** Deeper than this, JSON's own copy decides (and names a cycle as JSON does). */
const MAX_DEPTH = 500;

function copyPlain(value: unknown, depth: number): unknown {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value) || Object.is(value, -0)) throw NEEDS_JSON;
      return value;
    case 'object':
      break;
    default:
      // undefined, function, symbol, bigint
      throw NEEDS_JSON;
  }
  if (depth > MAX_DEPTH) throw NEEDS_JSON;
  const prototype = Object.getPrototypeOf(value) as unknown;
  // A toJSON of its own (an array's or an object's) decides what JSON writes.
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') throw NEEDS_JSON;
  if (Array.isArray(value)) {
    if (prototype !== Array.prototype) throw NEEDS_JSON;
    const length = value.length;
    const copy = new Array<unknown>(length);
    for (let index = 0; index < length; index += 1) {
      const item: unknown = value[index];
      // undefined: an undefined item or a hole, both null in JSON.
      if (item === undefined) throw NEEDS_JSON;
      copy[index] = copyPlain(item, depth + 1);
    }
    return copy;
  }
  if (prototype !== Object.prototype && prototype !== null) throw NEEDS_JSON;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = copyPlain((value as Record<string, unknown>)[key], depth + 1);
    // JSON.parse makes "__proto__" an own data property; an assignment would set the prototype.
    if (key === '__proto__') Object.defineProperty(copy, key, { value: item, enumerable: true, configurable: true, writable: true });
    else copy[key] = item;
  }
  return copy;
}

/** Exactly `JSON.parse(JSON.stringify(value))`, its errors included. */
export function jsonCopy(value: unknown): unknown {
  try {
    return copyPlain(value, 0);
  } catch (error) {
    if (error !== NEEDS_JSON) throw error;
    return JSON.parse(JSON.stringify(value) as string) as unknown;
  }
}

/** Plain JSON data `a` and `b` would write the same text (see sameJsonText); NEEDS_JSON otherwise. */
function samePlain(a: unknown, b: unknown, depth: number): boolean {
  if (a === null || b === null) {
    if (a === b) return true;
    // null beside a string, a boolean or a finite number: different texts; anything else (NaN,
    // undefined, an object with toJSON…) may write null or nothing, which JSON decides.
    const other = a === null ? b : a;
    if (typeof other === 'string' || typeof other === 'boolean' || (typeof other === 'number' && Number.isFinite(other))) return false;
    throw NEEDS_JSON;
  }
  const kind = typeof a;
  if (kind !== typeof b || kind === 'number') {
    // JSON writes -0 as 0 and non-finite numbers as null, and an object of one side may write a
    // string or number (toJSON): those texts are compared by JSON's rules.
    for (const value of [a, b]) {
      if (typeof value === 'number' ? !Number.isFinite(value) || Object.is(value, -0) : !['string', 'boolean'].includes(typeof value)) throw NEEDS_JSON;
    }
    return a === b;
  }
  if (kind === 'string' || kind === 'boolean') return a === b;
  if (kind !== 'object') throw NEEDS_JSON;
  if (depth > MAX_DEPTH) throw NEEDS_JSON;
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  if (typeof left.toJSON === 'function' || typeof right.toJSON === 'function') throw NEEDS_JSON;
  const array = Array.isArray(left);
  if (array !== Array.isArray(right)) return false;
  const prototypes = array ? [Array.prototype] : [Object.prototype, null];
  if (!prototypes.includes(Object.getPrototypeOf(left) as object | null) || !prototypes.includes(Object.getPrototypeOf(right) as object | null)) throw NEEDS_JSON;
  const keys = array ? undefined : Object.keys(left);
  const count = array ? (left as unknown as unknown[]).length : (keys as string[]).length;
  if (array ? (right as unknown as unknown[]).length !== count : !sameKeys(keys as string[], Object.keys(right))) {
    // Other keys, unless a property JSON leaves out (undefined, a function, a symbol) explains it.
    if (!array && [left, right].some((side) => Object.values(side).some((value) => value === undefined || typeof value === 'function' || typeof value === 'symbol'))) throw NEEDS_JSON;
    return false;
  }
  const at = (values: Record<string, unknown>, index: number): unknown => {
    const value = array ? (values as unknown as unknown[])[index] : values[(keys as string[])[index] as string];
    // An undefined item, a hole or an undefined property: JSON writes null, or nothing.
    if (value === undefined) throw NEEDS_JSON;
    return value;
  };
  // Scalars first, at every level: two inputs that differ in a field beside a large object (an
  // execution id beside an incident) are told apart before the object is walked.
  for (let index = 0; index < count; index += 1) {
    const value = at(left, index);
    if ((value === null || typeof value !== 'object') && !samePlain(value, at(right, index), depth + 1)) return false;
  }
  for (let index = 0; index < count; index += 1) {
    const value = at(left, index);
    if (value !== null && typeof value === 'object' && !samePlain(value, at(right, index), depth + 1)) return false;
  }
  return true;
}

function sameKeys(left: readonly string[], right: readonly string[]): boolean {
  return left.length === right.length && left.every((key, index) => key === right[index]);
}

/**
 * Exactly `JSON.stringify(a) === JSON.stringify(b)` (key order included, as Step Functions compares
 * an execution's input text), without writing the texts for plain JSON data, and stopping at the
 * first difference; anything JSON would change or refuse is compared by JSON itself.
 */
export function sameJsonText(a: unknown, b: unknown): boolean {
  try {
    return samePlain(a, b, 0);
  } catch (error) {
    if (error !== NEEDS_JSON) throw error;
    return JSON.stringify(a) === JSON.stringify(b);
  }
}
