// JSON with sorted object keys: equal values always give equal text (stable files, checksums, config keys).

/** A copy of `v` whose objects have their keys sorted (undefined values left out, as JSON.stringify does). */
export function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v as object)
        .sort()
        .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

/** Compact JSON with sorted keys. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(sortKeys(v));
}
