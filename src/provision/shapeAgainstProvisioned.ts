import { elasticsearchClient } from '../clients/elasticsearchClient.ts';
import { asInfrastructureError, InfrastructureError } from '../errors.ts';
import { generateAvroSchema } from '../generate/generateAvroSchema.ts';
import { generateIndexTemplate } from '../generate/generateIndexTemplate.ts';
import { readIndexMetadata } from '../index/indexMetadata.ts';
import type { LoadedIndex } from '../index/loadIndex.ts';
import { compareMappings, type MappingNode } from './compareMappings.ts';
import { compareWithProvisioned, describeShapeChange } from './provisionedShape.ts';
import { aliasTarget, liveMappings, liveVersionSettings, mappingConflicts, settingsNeedingNewVersion } from './provisionIndex.ts';
import { indexShape } from './shapeFingerprint.ts';

/**
 * For `plan`: the config and graph as they are now against what the metadata record says the live
 * index was built for, read-only. Lines to print, or, when Elasticsearch does not answer (plan
 * also works offline), why nothing was compared.
 */
export async function shapeAgainstProvisioned(loaded: LoadedIndex): Promise<{ lines: string[] } | { notCompared: string }> {
  const { config } = loaded;
  const elasticsearch = elasticsearchClient(config.elasticsearch);
  try {
    const metadata = await readIndexMetadata(elasticsearch, config.index);
    if (!metadata) return { lines: [`${config.index} is not provisioned yet: \`fedsearch provision ${config.sourceFile}\` creates it`] };
    const wanted = indexShape(loaded);
    const comparison = compareWithProvisioned(metadata, wanted, generateAvroSchema(loaded.shape, config).schema);
    const liveIndex = (await aliasTarget(elasticsearch, loaded.names.alias)) ?? metadata.liveIndex;
    const template = generateIndexTemplate(loaded, config);
    const conflicts = [
      ...mappingConflicts(compareMappings(await liveMappings(elasticsearch, liveIndex), template.template.mappings as MappingNode).incompatible),
      ...settingsNeedingNewVersion(await liveVersionSettings(elasticsearch, liveIndex), template, config.elasticsearch.shards),
    ];
    const lines = describeShapeChange(comparison, { index: config.index, name: liveIndex, conflicts }, config.sourceFile);
    if (lines.length > 0) return { lines };
    if (comparison.provisioned === null) return { lines: [`${liveIndex}: its mapping takes this config (no shape recorded yet: the next provision records it)`] };
    return { lines: [`${liveIndex}: built for this shape (${wanted.fingerprint}); no new version needed`] };
  } catch (error) {
    const infrastructure = asInfrastructureError(error, `reading what was provisioned for ${config.index}`);
    if (infrastructure instanceof InfrastructureError) return { notCompared: infrastructure.message };
    throw error;
  } finally {
    await elasticsearch.close();
  }
}
