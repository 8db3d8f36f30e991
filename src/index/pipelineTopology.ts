import type { IndexConfig } from '../config/indexConfig.ts';
import type { IndexNames } from './indexNames.ts';
import type { LoadedIndex } from './loadIndex.ts';
import { redactUrl } from '../redactUrl.ts';
import { lookupFields } from './relatedLookups.ts';

/** One event source of the pipeline, and what becomes of its events. */
export interface TopologySource {
  topic: string;
  entityType: string;
  /** How the entity id is read from an event. */
  id: string;
  /** For a related entity: the document path searched to find the primary ids it affects. */
  reverseLookup: { path: string; nestedPath: string | null } | null;
}

/** The names of IndexNames the pipeline's stages meet at; indexNames.ts alone spells them. */
export type TopologyNames = Pick<IndexNames, 'alias' | 'versionPrefix' | 'enrichGroup' | 'sinkGroup' | 'documentsTopic' | 'dlqTopic'>;

/** One index's pipeline: the names its parts agree on (topics, consumer groups, alias) and its sources. */
export interface PipelineTopology extends TopologyNames {
  sources: TopologySource[];
  /** Where entities are fetched: the gateway's URL, or the subgraphs of a supergraph for a fetch by key. */
  fetchesFrom: string;
  elasticsearchNode: string;
}

/** The topology of a loaded index: its names, and each event source with what becomes of it. */
export function pipelineTopology(loaded: Pick<LoadedIndex, 'config' | 'names' | 'fields' | 'query' | 'relatedLookups'>): PipelineTopology {
  const { config } = loaded;
  const { alias, versionPrefix, enrichGroup, sinkGroup, documentsTopic, dlqTopic } = loaded.names;
  const idOf = (source: IndexConfig['primary']['events'][number]): string =>
    source.idFromKey ? 'message key' : source.idPaths ? Object.entries(source.idPaths).map(([field, path]) => `${field}=${path}`).join(', ') : (source.idPath as string);
  return {
    alias,
    versionPrefix,
    enrichGroup,
    sinkGroup,
    documentsTopic,
    dlqTopic,
    sources: [
      ...config.primary.events.map((source) => ({
        topic: source.topic,
        entityType: config.primary.type,
        id: idOf(source),
        reverseLookup: null,
      })),
      ...config.related.flatMap((related, i) => {
        const where = lookupFields(loaded.relatedLookups[i] ?? { paths: [related.lookup] }, loaded.fields);
        return related.events.map((source) => ({
          topic: source.topic,
          entityType: related.type,
          id: idOf(source),
          reverseLookup: { path: where.paths.join(' + '), nestedPath: where.nestedPath },
        }));
      }),
    ],
    fetchesFrom: config.gateway.url !== null && !loaded.query.fetchByKey
      ? redactUrl(config.gateway.url)
      : `the subgraphs of ${config.gateway.supergraph ?? 'the supergraph'} (by @key ${loaded.query.fetchByKey?.keyFields ?? ''})`,
    elasticsearchNode: config.elasticsearch.node,
  };
}

/** The topology as people read it (`fedsearch plan`). */
export function describeTopology(topology: PipelineTopology, config: IndexConfig): string {
  const width = Math.max(...topology.sources.map((s) => s.topic.length));
  const lines = [
    `index ${topology.alias}: alias ${topology.alias} → ${topology.versionPrefix}<N> on ${redactUrl(topology.elasticsearchNode)}`,
    '',
    'sources',
    ...topology.sources.map((source) => {
      const head = `  ${source.topic.padEnd(width)}  ${source.entityType} id from ${source.id}`;
      if (!source.reverseLookup) return `${head} → enrich`;
      const nested = source.reverseLookup.nestedPath ? ` (nested ${source.reverseLookup.nestedPath})` : '';
      return `${head} → reverse lookup ${source.reverseLookup.path}${nested} in ${topology.alias} → primary ids → enrich`;
    }),
    '',
    `enrich         consumer group ${topology.enrichGroup}: coalesce ids, query ${config.primary.type} through ${topology.fetchesFrom}`,
    `documents      ${topology.documentsTopic} (compacted, ${config.kafka.partitions.documents} partitions, Avro, key = ${config.primary.type} id, null = delete)`,
    `sink           consumer group ${topology.sinkGroup}: bulk write to alias ${topology.alias} (external versions)`,
    `dead letters   ${topology.dlqTopic} (${config.kafka.partitions.dlq} partition${config.kafka.partitions.dlq === 1 ? '' : 's'}; \`fedsearch replay\` sends them back)`,
  ];
  return `${lines.join('\n')}\n`;
}
