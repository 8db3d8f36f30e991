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
export function describeShapeChange(comparison: ShapeComparison, live: { index: string; name: string; conflicts: readonly LiveVersionConflict[] }, configFile: string): string[] {
  const { provisioned, wanted, fieldChanges } = comparison;
  const lines: string[] = [];
  if (provisioned !== null && provisioned.fingerprint !== wanted.fingerprint) {
    lines.push(`! the documents' shape changed since ${live.name} was provisioned (${provisioned.fingerprint} → ${wanted.fingerprint}):`);
    lines.push(...(fieldChanges.length > 0 ? fieldChanges : ['the mapping options (no document field changed type)']).map((change) => `    ${change}`));
    if (live.conflicts.length === 0) lines.push(`  ${live.name} takes it in place: provision records the new shape`);
  }
  if (live.conflicts.length > 0) {
    lines.push(
      `! the live index ${live.name} cannot take the new ${conflictKinds(live.conflicts)} in place:`,
      ...live.conflicts.map((conflict) => `    ${conflict.change}`),
      `  a new version is needed: run \`fedsearch backfill ${configFile} --new-version\` to build ${live.index} anew and swap the alias (zero downtime)`,
    );
  }
  return lines;
}

/**
 * Something the live version cannot take in place, so a new version is needed: a mapped field's
 * change (`synopsis: text → keyword`) or an index setting's (`index.number_of_shards: 1 → 2 …`).
 */
export interface LiveVersionConflict {
  about: 'mapping' | 'settings';
  change: string;
}

/** "mapping", "settings" or "mapping and settings": what the conflicts are about. */
function conflictKinds(conflicts: readonly LiveVersionConflict[]): string {
  const settings = conflicts.some((conflict) => conflict.about === 'settings');
  const mapping = conflicts.some((conflict) => conflict.about === 'mapping');
  return settings && mapping ? 'mapping and settings' : settings ? 'settings' : 'mapping';
}
