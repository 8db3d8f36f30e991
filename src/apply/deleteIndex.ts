import type { Client } from '@elastic/elasticsearch';
import type { Admin } from '../clients/kafkajs.ts';
import { isNotFound } from '../clients/elasticsearchClient.ts';
import { METADATA_INDEX } from '../index/indexMetadata.ts';
import { indexNames, versionNumber } from '../index/indexNames.ts';

/**
 * Removes everything provisioning and the pipeline made for one index, as `apply --prune` does
 * for an index whose config is gone: its versions (the alias goes with them), its template, its
 * documents and dead-letter topics, its consumer groups, and its records in the metadata index
 * (the record last, so a run that fails midway is found and finished by the next one).
 */
export async function deleteIndex(elasticsearch: Client, kafkaAdmin: Admin, index: string, report: (line: string) => void): Promise<void> {
  const names = indexNames(index);
  // By name, not by wildcard: clusters with action.destructive_requires_name refuse a pattern.
  // The pattern `<index>_v*` also matches another index's versions (`products_v*` takes in
  // `products_variants_v1`): only names whose suffix is a version number are this index's.
  const versions = Object.keys(await elasticsearch.indices.get({ index: names.versionPattern, allow_no_indices: true, expand_wildcards: 'all' })).filter(
    (name) => versionNumber(names, name) !== null,
  );
  if (versions.length > 0) {
    await elasticsearch.indices.delete({ index: versions });
    report(`✓ deleted ${versions.join(', ')} (and the alias ${names.alias})`);
  }
  await elasticsearch.indices.deleteIndexTemplate({ name: names.templateName }).then(
    () => report(`✓ deleted index template ${names.templateName}`),
    (error: unknown) => (isNotFound(error) ? undefined : Promise.reject(error)),
  );
  const existing = new Set(await kafkaAdmin.listTopics());
  const topics = [names.documentsTopic, names.dlqTopic].filter((topic) => existing.has(topic));
  if (topics.length > 0) {
    await kafkaAdmin.deleteTopics({ topics });
    report(`✓ deleted topics ${topics.join(', ')}`);
  }
  const groups = [names.enrichGroup, names.sinkGroup, names.replayGroup];
  const known = new Set((await kafkaAdmin.listGroups()).groups.map((group) => group.groupId));
  for (const group of groups.filter((name) => known.has(name))) {
    // A group with members is a pipeline still running for this index: said, not forced.
    await kafkaAdmin.deleteGroups([group]).then(
      () => report(`✓ deleted consumer group ${group}`),
      (error: unknown) => report(`! consumer group ${group} not deleted (${(error as Error).message}): is a pipeline still running for ${index}? stop it`),
    );
  }
  const records = await elasticsearch.search({ index: METADATA_INDEX, size: 10_000, _source: false, query: { match_all: {} } });
  const ids = records.hits.hits
    .map((hit) => hit._id)
    .filter((id): id is string => id !== undefined && (id === names.checkpointId || id.startsWith(names.reindexAcknowledgementPrefix)));
  for (const id of [...ids, names.metadataId]) {
    await elasticsearch.delete({ index: METADATA_INDEX, id, refresh: 'wait_for' }).catch((error: unknown) => (isNotFound(error) ? undefined : Promise.reject(error)));
  }
  report(`✓ deleted the metadata record of ${index}`);
}
