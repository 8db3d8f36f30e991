import type { IndexMetadata, ProvisionedShape } from '../index/indexMetadata.ts';
import { avroFieldChanges } from './avroFieldChanges.ts';

/** The shape the config and graph give now, against the one the live index was built for. */
export interface ShapeComparison {
  /** What the metadata record says the live index was built for; null when it says nothing (never provisioned, or by an earlier fedsearch). */
  provisioned: ProvisionedShape | null;
  wanted: ProvisionedShape;
  /** Document fields whose Avro type changed since (`title: string → null | string`). */
  fieldChanges: string[];
}

export function compareWithProvisioned(metadata: IndexMetadata | undefined, wanted: ProvisionedShape, wantedAvroSchema: object): ShapeComparison {
  const provisioned = metadata?.shape ?? null;
  const recordedAvro = provisioned ? metadata?.avroSchemas[provisioned.avroFingerprint] : undefined;
  const fieldChanges = recordedAvro === undefined || provisioned?.fingerprint === wanted.fingerprint ? [] : avroFieldChanges(JSON.parse(recordedAvro) as object, wantedAvroSchema);
  return { provisioned, wanted, fieldChanges };
}

/**
 * What a person reads when the shape changed: the fingerprints and each field that changed, then
 * whether the live index takes it in place (provision records it) or needs a new version. Nothing
 * when the shape is the one provisioned and the live index's mapping takes the config as it is.
 */
export function describeShapeChange(comparison: ShapeComparison, live: { index: string; name: string; mappingConflicts: readonly string[] }, configFile: string): string[] {
  const { provisioned, wanted, fieldChanges } = comparison;
  const lines: string[] = [];
  if (provisioned !== null && provisioned.fingerprint !== wanted.fingerprint) {
    lines.push(`! the documents' shape changed since ${live.name} was provisioned (${provisioned.fingerprint} → ${wanted.fingerprint}):`);
    lines.push(...(fieldChanges.length > 0 ? fieldChanges : ['the mapping options (no document field changed type)']).map((change) => `    ${change}`));
    if (live.mappingConflicts.length === 0) lines.push(`  ${live.name} takes it in place: provision records the new shape`);
  }
  if (live.mappingConflicts.length > 0) {
    lines.push(
      `! the live index ${live.name} cannot take the new ${conflictKinds(live.mappingConflicts)} in place:`,
      ...live.mappingConflicts.map((conflict) => `    ${conflict}`),
      `  a new version is needed: run \`fedsearch backfill ${configFile} --new-version\` to build ${live.index} anew and swap the alias (zero downtime)`,
    );
  }
  return lines;
}

/** The conflict when the live version's analyzers differ from the config's. */
export const ANALYZERS_CHANGED = 'index.analysis: the analyzers changed';

/** The conflict when the live version's shard count differs from the config's. */
export function shardCountChange(live: string, wanted: number): string {
  return `index.number_of_shards: ${live} → ${wanted} (fixed when a version is created)`;
}

/**
 * A conflict naming an index setting (ANALYZERS_CHANGED, shardCountChange), not a mapped field:
 * matched whole, so a document field under a path such as `index.` is still called a mapping one.
 */
export function isSettingConflict(conflict: string): boolean {
  return conflict === ANALYZERS_CHANGED || /^index\.number_of_shards: \d+ → \d+ \(fixed when a version is created\)$/.test(conflict);
}

/** "mapping", "settings" or "mapping and settings": what the conflicts are about. */
function conflictKinds(conflicts: readonly string[]): string {
  const settings = conflicts.some(isSettingConflict);
  const mapping = conflicts.some((conflict) => !isSettingConflict(conflict));
  return settings && mapping ? 'mapping and settings' : settings ? 'settings' : 'mapping';
}
