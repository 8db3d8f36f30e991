import { stableHash } from '../index/stableHash.ts';
import type { MappingNode } from './compareMappings.ts';

/**
 * The shape an index version is built for: a stable hash of the documents' Avro schema (without
 * its `doc` strings, which are descriptions and change nothing a document holds) and the index
 * mappings (without `_meta`). Equal fingerprints: the graph or config changed nothing a document
 * or the index stores. One definition, read by provisioning (recorded in the metadata) and by
 * `check` (to say whether a change needs a new version).
 */
export function shapeFingerprint(avroSchema: object, mappings: MappingNode): string {
  const { _meta: _ignored, ...stored } = mappings;
  return stableHash({ avro: withoutDocs(avroSchema), mappings: stored });
}

function withoutDocs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDocs);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([key]) => key !== 'doc').map(([key, item]) => [key, withoutDocs(item)]));
  }
  return value;
}
