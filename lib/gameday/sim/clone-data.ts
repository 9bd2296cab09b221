/**
 * A deep copy of call data (plain objects, arrays, dates, bytes), as structuredClone would make it
 * but about 7x faster on the small documents every call carries (the storm makes tens of
 * thousands); anything else (a Map, a class instance) still goes through structuredClone.
 */
export function cloneData<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(cloneData) as T;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (value instanceof Uint8Array) return new Uint8Array(value) as T;
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return structuredClone(value);
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = cloneData((value as Record<string, unknown>)[key]);
    // A "__proto__" key (a DynamoDB attribute may be named so) stays data, as structuredClone keeps it.
    if (key === '__proto__') Object.defineProperty(copy, key, { value: item, enumerable: true, configurable: true, writable: true });
    else copy[key] = item;
  }
  return copy as T;
}
