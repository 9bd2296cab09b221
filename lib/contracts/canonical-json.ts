/**
 * Canonical JSON: the same value always gives the same text, whatever order its keys arrived in
 * (Step Functions, DynamoDB and the SDK do not promise one). The sealed records' MACs and the
 * containment grant's incident digest are taken of it. A leaf module: a responder that only needs
 * the digest bundles no KMS.
 */
export type Canonical = null | boolean | number | string | Canonical[] | { [key: string]: Canonical };

/**
 * The value with every object's keys sorted (arrays keep their order): the canonical JSON of a record
 * or an API answer. Each object is rebuilt key by key (a `__proto__` key stays data, as
 * Object.fromEntries keeps it) rather than through entry arrays: publish-alert takes the canonical
 * JSON of every alert, and the entry arrays were most of what it allocated.
 */
export function sortedKeys(value: Canonical): Canonical {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value !== null && typeof value === 'object') {
    const sorted: { [key: string]: Canonical } = {};
    for (const key of Object.keys(value).sort()) {
      const item = sortedKeys(value[key] as Canonical);
      if (key === '__proto__') Object.defineProperty(sorted, key, { value: item, enumerable: true, configurable: true, writable: true });
      else sorted[key] = item;
    }
    return sorted;
  }
  return value;
}

/** The canonical JSON text of `value` (keys sorted at every level): what the MACs and digests are taken of. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortedKeys(value as Canonical));
}

/** Thrown inside the direct comparison when a value needs canonical JSON's own rules. */
const NEEDS_TEXT: unique symbol = Symbol('needs the canonical texts');

/** Deeper than this, the texts decide (and fail on a cycle as canonicalJson does). */
const MAX_DEPTH = 500;

/** Whether `value` is JSON data whose canonical text the direct comparison knows: null, a boolean, a finite number or a string. */
function isPlainScalar(value: unknown): boolean {
  return value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
}

/** Whether JSON would write `value` through a toJSON (an array's own one is dropped by sortedKeys' map). */
function hasToJson(value: object): boolean {
  return !Array.isArray(value) && typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

/** Whether one of the object's values is one JSON leaves out of it or writes by its own rules. */
function holdsOmitted(value: Record<string, unknown>): boolean {
  return Object.keys(value).some((key) => {
    const item = value[key];
    return !isPlainScalar(item) && (item === null || typeof item !== 'object');
  });
}

/** Plain JSON data `a` and `b` have the same canonical text (see sameCanonicalJson); NEEDS_TEXT otherwise. */
function samePlain(a: unknown, b: unknown, depth: number): boolean {
  const aObject = a !== null && typeof a === 'object';
  const bObject = b !== null && typeof b === 'object';
  // An object of its own toJSON (sortedKeys keeps one as a key) is written as JSON calls it.
  if ((aObject && hasToJson(a)) || (bObject && hasToJson(b))) throw NEEDS_TEXT;
  if (!aObject || !bObject) {
    if ((!aObject && !isPlainScalar(a)) || (!bObject && !isPlainScalar(b))) throw NEEDS_TEXT;
    // Scalars of one kind write one text exactly when they are equal (0 and -0 both write 0); a
    // scalar and an object never write the same text.
    return a === b;
  }
  if (depth > MAX_DEPTH) throw NEEDS_TEXT;
  const array = Array.isArray(a);
  if (array !== Array.isArray(b)) return false;
  if (array) {
    if (Object.getPrototypeOf(a) !== Array.prototype || Object.getPrototypeOf(b) !== Array.prototype) throw NEEDS_TEXT;
    const left = a as unknown[];
    const right = b as unknown[];
    if (left.length !== right.length) return false;
    for (let index = 0; index < left.length; index += 1) {
      // A hole or an undefined item writes null, as null does: the texts decide.
      if (left[index] === undefined || right[index] === undefined) throw NEEDS_TEXT;
      if (!samePlain(left[index], right[index], depth + 1)) return false;
    }
    return true;
  }
  // Any other object is written as its own enumerable keys, sorted: the same text exactly when both
  // have the same keys with the same values (one left out by JSON, e.g. undefined, needs the texts).
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  const sameKeys = keys.length === Object.keys(right).length && keys.every((key) => Object.prototype.propertyIsEnumerable.call(right, key));
  if (!sameKeys) {
    // Other keys, unless a property JSON leaves out (undefined, a function…) explains it.
    if (holdsOmitted(left) || holdsOmitted(right)) throw NEEDS_TEXT;
    return false;
  }
  for (const key of keys) if (!samePlain(left[key], right[key], depth + 1)) return false;
  return true;
}

/**
 * Exactly `canonicalJson(a) === canonicalJson(b)`, without writing either text for JSON data (the
 * sorted copies of two alerts were a large share of a finding storm's allocations), and stopping at
 * the first difference; anything canonical JSON writes by JSON's own rules (undefined, functions,
 * non-finite numbers, holes, a subclass of Array, a very deep value) is compared by its texts.
 */
export function sameCanonicalJson(a: unknown, b: unknown): boolean {
  try {
    return samePlain(a, b, 0);
  } catch (error) {
    if (error !== NEEDS_TEXT) throw error;
    return canonicalJson(a) === canonicalJson(b);
  }
}
