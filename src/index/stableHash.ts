import { createHash } from 'node:crypto';

/** A short hash of a JSON value that ignores key order, so equal bodies hash equal. */
export function stableHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(sortKeys(value))).digest('hex').slice(0, 16);
}

/**
 * The hash of a document's content, for comparing what the graph answers with what the index
 * holds: a key absent and a key holding null are the same (a field only some members of a union
 * select is absent from the graph's answer, and null once through the Avro documents topic).
 */
export function documentHash(document: unknown): string {
  return stableHash(withoutNulls(document));
}

function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => [k, withoutNulls(v)]));
  }
  return value;
}

export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, sortKeys(v)]),
    );
  }
  return value;
}

/** Identifies an Avro schema version; travels as a header with every document message. */
export function avroFingerprint(schema: object): string {
  return stableHash(schema);
}
