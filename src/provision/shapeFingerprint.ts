import { generateAvroSchema } from '../generate/generateAvroSchema.ts';
import { generateIndexTemplate } from '../generate/generateIndexTemplate.ts';
import type { ProvisionedShape } from '../index/indexMetadata.ts';
import type { LoadedIndex } from '../index/loadIndex.ts';
import { avroFingerprint, stableHash } from '../index/stableHash.ts';
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

/** The shape a loaded index's config and graph give: what a version built from them is recorded with. */
export function indexShape(loaded: LoadedIndex): ProvisionedShape {
  const avro = generateAvroSchema(loaded.shape, loaded.config).schema;
  const mappings = generateIndexTemplate(loaded, loaded.config).template.mappings as MappingNode;
  return { fingerprint: shapeFingerprint(avro, mappings), avroFingerprint: avroFingerprint(avro) };
}
