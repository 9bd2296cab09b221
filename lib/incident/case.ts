/**
 * Key-case normalization. The GetFindings API, as the AWS CLI and SDKs print it, names every
 * member in PascalCase (`Resource.InstanceDetails.NetworkInterfaces[].SecurityGroups[].GroupId`)
 * where the EventBridge event uses camelCase; otherwise the two shapes are the same. Rather than
 * keep two schemas, the finding is rewritten to camelCase once and validated by one schema.
 */

/**
 * Deeper than this the value is left as it is: no schema reads past a dozen levels, and the cap
 * keeps hostile nesting (or a cyclic object from a JavaScript caller) from exhausting the stack.
 */
const MAX_DEPTH = 32;

/** `InstanceDetails` → `instanceDetails`, `EcsClusterDetails` → `ecsClusterDetails`, `IpAddressV4` → `ipAddressV4`. */
export function camelKey(key: string): string {
  const first = key.charCodeAt(0);
  if (!(first >= 65 && first <= 90)) return key; // not A–Z: already camelCase (or not a name at all)
  // A leading acronym (`ECSCluster`, `ID`) is lowered up to the start of the next word.
  let run = 1;
  while (run < key.length && isUpper(key.charCodeAt(run))) run += 1;
  const nextWordStarts = run > 1 && run < key.length && isLower(key.charCodeAt(run));
  const lowered = nextWordStarts ? run - 1 : run;
  return key.slice(0, lowered).toLowerCase() + key.slice(lowered);
}

function isUpper(code: number): boolean {
  return code >= 65 && code <= 90;
}

function isLower(code: number): boolean {
  return code >= 97 && code <= 122;
}

/** A copy of a JSON value with every object key in camelCase; a key already in camelCase wins over its PascalCase twin. */
export function camelCaseKeys(value: unknown, depth = 0): unknown {
  if (depth >= MAX_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const items = new Array<unknown>(value.length);
    for (let index = 0; index < value.length; index += 1) items[index] = camelCaseKeys(value[index], depth + 1);
    return items;
  }
  const source = value as Record<string, unknown>;
  const keys = Object.keys(source);
  const camels = new Array<string>(keys.length);
  let renamed = false;
  for (let index = 0; index < keys.length; index += 1) {
    const camel = camelKey(keys[index] as string);
    camels[index] = camel;
    if (camel !== keys[index]) renamed = true;
  }
  const out: Record<string, unknown> = {};
  // Keys already camelCase first, so `{"id": …, "Id": …}` keeps `id` whatever the order.
  for (let index = 0; index < keys.length; index += 1) {
    const key = keys[index] as string;
    if (camels[index] === key) define(out, key, camelCaseKeys(source[key], depth + 1));
  }
  if (renamed) {
    for (let index = 0; index < keys.length; index += 1) {
      const key = keys[index] as string;
      const camel = camels[index] as string;
      if (camel !== key && !Object.hasOwn(out, camel)) define(out, camel, camelCaseKeys(source[key], depth + 1));
    }
  }
  return out;
}

/** Sets an own data property; a `__proto__` key stays data and never becomes a prototype. */
function define(target: Record<string, unknown>, key: string, item: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value: item, enumerable: true, writable: true, configurable: true });
  else target[key] = item;
}
