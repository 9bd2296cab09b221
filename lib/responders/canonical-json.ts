/**
 * Canonical JSON: the same value always gives the same text, whatever order its keys arrived in
 * (Step Functions, DynamoDB and the SDK do not promise one). The sealed records' MACs and the
 * containment grant's incident digest are taken of it. A leaf module: a responder that only needs
 * the digest bundles no KMS.
 */
export type Canonical = null | boolean | number | string | Canonical[] | { [key: string]: Canonical };

/** The value with every object's keys sorted (arrays keep their order): the canonical JSON of a record or an API answer. */
export function sortedKeys(value: Canonical): Canonical {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortedKeys(value[key] as Canonical)]),
    );
  }
  return value;
}

/** The canonical JSON text of `value` (keys sorted at every level): what the MACs and digests are taken of. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortedKeys(value as Canonical));
}
