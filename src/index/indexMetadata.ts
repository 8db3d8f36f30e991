import type { Client, estypes } from '@elastic/elasticsearch';
import { setTimeout as sleep } from 'node:timers/promises';
import { printSchema, type GraphQLSchema } from 'graphql';
import type { SupergraphSource } from '../graph/supergraph.ts';
import { isNotFound } from '../clients/elasticsearchClient.ts';
import { indexNames } from './indexNames.ts';
import { stableHash } from './stableHash.ts';

/** The index where fedsearch records what it provisioned, one document per index config. */
export const METADATA_INDEX = 'fedsearch-meta';

export interface IndexMetadata {
  index: string;
  alias: string;
  liveIndex: string;
  templateName: string;
  templateHash: string;
  /** Every Avro schema version documents were written with, by fingerprint (the message header). */
  avroSchemas: Record<string, string>;
  currentAvroFingerprint: string;
  /**
   * The shape the live index was built for: a hash of the Avro schema (without docs) and the
   * mappings (src/provision/shapeFingerprint.ts), and which of `avroSchemas` it covers, so `plan`
   * and `provision` can name the fields that changed since. Absent from records an earlier
   * fedsearch wrote.
   */
  shape?: ProvisionedShape;
  /**
   * The query (src/index/queryHash.ts) the live version's documents were fetched with: recorded
   * when a full backfill (no ids file) or a reindex has filled it, never by provisioning, so a
   * query changed since is still seen as one (`apply` reindexes). Absent while the live version was
   * never filled, and from records an earlier fedsearch wrote.
   */
  queryHash?: string;
  documentsTopic: string;
  dlqTopic: string;
  configFile: string;
  provisionedAt: string;
  /**
   * The graph's schema (SDL) the index was provisioned against, when it was read from the gateway
   * (a supergraph file is read again from the config): `serve` rebuilds the document model, its
   * fields and search names from it while the gateway is down. Absent in a record written by an
   * earlier fedsearch.
   */
  graphSchema?: string | null;
  /**
   * While `backfill --new-version` builds the next version: that index. Every sink writes to it as
   * well as to the alias, so no update is lost before the alias swaps.
   */
  reindexTarget?: string | null;
  /**
   * A fresh id for each time a target is announced: sinks acknowledge the announcement, not the
   * index name, so an acknowledgement left from an earlier attempt at the same target (a resumed
   * reindex) never counts for this one.
   */
  reindexAnnouncement?: string | null;
}

export interface ProvisionedShape {
  fingerprint: string;
  avroFingerprint: string;
}

/** The graph's schema to record for an index: the one read from the gateway; null when a supergraph file is the graph (serve reads the file again). */
export function recordedGraphSchema(loaded: { schema: GraphQLSchema; supergraph: SupergraphSource | null }): string | null {
  return loaded.supergraph === null ? printSchema(loaded.schema) : null;
}

export async function readIndexMetadata(client: Client, index: string): Promise<IndexMetadata | undefined> {
  const read = async (): Promise<IndexMetadata | undefined> => (await client.get<IndexMetadata>({ index: METADATA_INDEX, id: indexNames(index).metadataId }))._source;
  try {
    return await read();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    if (!isShardStarting(error)) throw error;
  }
  // Another process created the index a moment ago: its records can be read once its shard is.
  await waitForMetadataShard(client);
  try {
    return await read();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Elasticsearch's refusal to read an index whose primary shard is still starting. */
function isShardStarting(error: unknown): boolean {
  const meta = (error as { meta?: { statusCode?: number; body?: { error?: { type?: string } } } }).meta;
  return meta?.statusCode === 503 && meta.body?.error?.type === 'no_shard_available_action_exception';
}

/**
 * The metadata index keeps its documents as they are and indexes none of their fields: everything
 * in it is read by id, and `avroSchemas` is keyed by fingerprint, so a dynamic mapping would add
 * fields for every schema version ever provisioned in the cluster until Elasticsearch's limit of
 * 1,000 fields refuses the next write. Created that way, or switched to it (an index made by an
 * earlier fedsearch keeps the fields it has and gains no more).
 */
async function ensureMetadataIndex(client: Client): Promise<void> {
  if (await client.indices.exists({ index: METADATA_INDEX })) {
    // Created a moment ago by another provisioning process, its primary may still be starting:
    // until it has, every read of it is refused (503, no_shard_available_action_exception).
    await waitForMetadataShard(client);
    await client.indices.putMapping({ index: METADATA_INDEX, dynamic: false });
    return;
  }
  try {
    // Answers once the primary is active (wait_for_active_shards defaults to 1).
    await client.indices.create({ index: METADATA_INDEX, mappings: { dynamic: false } });
  } catch (error) {
    // Another provisioning process created it a moment ago, the same way.
    if ((error as { meta?: { body?: { error?: { type?: string } } } }).meta?.body?.error?.type !== 'resource_already_exists_exception') throw error;
    await waitForMetadataShard(client);
  }
}

/** How long a provision waits for the metadata index's primary shards to start, ms. */
const METADATA_SHARD_WAIT_MS = 60_000;

/**
 * Waits until every primary shard of the metadata index is active, or says why not. The cluster
 * health's status cannot tell: Elasticsearch calls an index whose primaries are still starting
 * after its creation yellow, not red.
 */
async function waitForMetadataShard(client: Client): Promise<void> {
  const deadline = Date.now() + METADATA_SHARD_WAIT_MS;
  for (;;) {
    let health: estypes.ClusterHealthResponse;
    try {
      health = await client.cluster.health({ index: METADATA_INDEX, level: 'indices' });
    } catch (error) {
      // Credentials without the cluster's `monitor` privilege cannot ask: go on without waiting, as before.
      if ((error as { meta?: { statusCode?: number } }).meta?.statusCode === 403) return;
      throw error;
    }
    const index = health.indices?.[METADATA_INDEX];
    if (index && index.active_primary_shards >= index.number_of_shards) return;
    if (Date.now() >= deadline) {
      throw new Error(
        `Elasticsearch's index ${METADATA_INDEX} (where fedsearch records what it provisioned) has ${index?.active_primary_shards ?? 0} of ${index?.number_of_shards ?? '?'} primary shards active after ${METADATA_SHARD_WAIT_MS / 1000} s; see GET _cluster/allocation/explain`,
      );
    }
    await sleep(100);
  }
}

export async function writeIndexMetadata(
  client: Client,
  entry: Omit<IndexMetadata, 'avroSchemas' | 'currentAvroFingerprint' | 'provisionedAt'> & { avroSchema: object },
): Promise<IndexMetadata> {
  await ensureMetadataIndex(client);
  const previous = await readIndexMetadata(client, entry.index);
  const fingerprint = stableHash(entry.avroSchema);
  const { avroSchema, ...rest } = entry;
  const metadata: IndexMetadata = {
    ...rest,
    // A provision keeps what filled the live version; a version it created empty holds no query's documents.
    ...(rest.queryHash === undefined && previous?.queryHash !== undefined && previous.liveIndex === rest.liveIndex ? { queryHash: previous.queryHash } : {}),
    reindexTarget: previous?.reindexTarget ?? null,
    reindexAnnouncement: previous?.reindexAnnouncement ?? null,
    avroSchemas: { ...previous?.avroSchemas, [fingerprint]: JSON.stringify(avroSchema) },
    currentAvroFingerprint: fingerprint,
    provisionedAt: new Date().toISOString(),
  };
  await client.index({ index: METADATA_INDEX, id: indexNames(entry.index).metadataId, document: metadata, refresh: 'wait_for' });
  return metadata;
}

/** Changes some fields of an index's metadata record. */
export async function updateIndexMetadata(client: Client, index: string, patch: Partial<IndexMetadata>): Promise<void> {
  await client.update({ index: METADATA_INDEX, id: indexNames(index).metadataId, doc: patch, refresh: 'wait_for' });
}

/**
 * A running sink's word that every write it sends from now on also goes to `target` (the index a
 * `backfill --new-version` is building). One record per sink, so sinks never overwrite each other.
 */
export interface ReindexAcknowledgement {
  index: string;
  /** The sink's member id in the index's sink consumer group. */
  sinkId: string;
  target: string;
  /** The announcement (IndexMetadata.reindexAnnouncement) acknowledged. */
  announcement: string;
  at: string;
}

function acknowledgementId(index: string, sinkId: string): string {
  return `${indexNames(index).reindexAcknowledgementPrefix}${sinkId}`;
}

export async function acknowledgeReindexTarget(
  client: Client,
  index: string,
  sinkId: string,
  announced: { target: string; announcement: string },
): Promise<void> {
  const acknowledgement: ReindexAcknowledgement = { index, sinkId, ...announced, at: new Date().toISOString() };
  await client.index({ index: METADATA_INDEX, id: acknowledgementId(index, sinkId), document: acknowledgement });
}

/** The announcement each of these sinks last acknowledged (sinks that never did are absent). */
export async function reindexAcknowledgements(client: Client, index: string, sinkIds: readonly string[]): Promise<Map<string, string>> {
  const acknowledged = new Map<string, string>();
  if (sinkIds.length === 0) return acknowledged;
  // A realtime multi-get: an acknowledgement is visible the moment it is written, no refresh needed.
  const response = await client.mget<ReindexAcknowledgement>({ index: METADATA_INDEX, ids: sinkIds.map((id) => acknowledgementId(index, id)) });
  for (const doc of response.docs) {
    if ('found' in doc && doc.found && doc._source) acknowledged.set(doc._source.sinkId, doc._source.announcement);
  }
  return acknowledged;
}

/**
 * Every index this cluster's metadata index records as provisioned (checkpoints and
 * acknowledgements, kept beside them, left out). The records are read by id elsewhere and their
 * fields are not indexed, so this reads them all and keeps those shaped as a record.
 */
export async function listIndexMetadata(client: Client): Promise<IndexMetadata[]> {
  if (!(await client.indices.exists({ index: METADATA_INDEX }))) return [];
  const response = await client.search<Partial<IndexMetadata>>({ index: METADATA_INDEX, size: 10_000, query: { match_all: {} } });
  return response.hits.hits
    .map((hit) => hit._source)
    .filter((record): record is IndexMetadata => typeof record?.index === 'string' && typeof record.liveIndex === 'string' && typeof record.configFile === 'string' && record.avroSchemas !== undefined);
}
