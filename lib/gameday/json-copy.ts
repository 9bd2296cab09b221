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
