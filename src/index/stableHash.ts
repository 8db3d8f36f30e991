import { createHash } from 'node:crypto';

/** A short hash of a JSON value that ignores key order, so equal bodies hash equal. */
export function stableHash(value: unknown): string {
  return hashOf(sortKeys(value));
}

/**
 * The hash of a document's content, for comparing what the graph answers with what the index
 * holds: a key absent and a key holding null are the same (a field only some members of a union
 * select is absent from the graph's answer, and null once through the Avro documents topic).
 */
export function documentHash(document: unknown): string {
  return hashOf(sortKeys(document, { dropNulls: true }));
}

function hashOf(canonical: unknown): string {
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 16);
}

/** The value with every object's keys in order, undefined members (and with `dropNulls`, null ones) left out: one walk. */
export function sortKeys(value: unknown, options: { dropNulls?: boolean } = {}): unknown {
  if (Array.isArray(value)) return value.map((item) => sortKeys(item, options));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined && !(options.dropNulls && v === null))
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, sortKeys(v, options)]),
    );
  }
  return value;
}

/** Identifies an Avro schema version; travels as a header with every document message. */
export function avroFingerprint(schema: object): string {
  return stableHash(schema);
}
