import type { Client } from '@elastic/elasticsearch';
import { isNotFound } from '../clients/elasticsearchClient.ts';
import { METADATA_INDEX, type IndexMetadata } from '../index/indexMetadata.ts';
import { indexNames } from '../index/indexNames.ts';

/** What a running sink follows of its index's metadata record. */
export type ReindexTargetFields = Pick<IndexMetadata, 'reindexTarget' | 'reindexAnnouncement'>;

/**
 * Only these fields are read: the record also holds the graph's schema and every Avro schema the
 * index was provisioned with (tens of KiB), which a sink reading it every second parsed in full.
 */
const FIELDS = ['reindexTarget', 'reindexAnnouncement'];

/** One index's reindex target and announcement; undefined when it has no metadata record. */
export async function readReindexTarget(client: Client, index: string): Promise<ReindexTargetFields | undefined> {
  try {
    return (await client.get<ReindexTargetFields>({ index: METADATA_INDEX, id: indexNames(index).metadataId, _source_includes: FIELDS }))._source;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

interface Waiter {
  resolve(fields: ReindexTargetFields | undefined): void;
  reject(error: Error): void;
}

/**
 * The reads of many indexes' sinks on one cluster (a `run` of many indexes), gathered for up to
 * `windowMs` into one multi-get: each sink polls every second on its own clock, and 50 indexes
 * made 50 requests a second where a few carry the same.
 */
export class BatchedReindexTargets {
  private queued = new Map<string, Waiter[]>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: Client,
    private readonly windowMs = 200,
  ) {}

  read(index: string): Promise<ReindexTargetFields | undefined> {
    return new Promise((resolve, reject) => {
      const waiters = this.queued.get(index) ?? [];
      waiters.push({ resolve, reject });
      this.queued.set(index, waiters);
      this.timer ??= setTimeout(() => void this.flush(), this.windowMs);
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queued;
    this.queued = new Map();
    this.timer = undefined;
    const indexes = [...batch.keys()];
    try {
      const { docs } = await this.client.mget<ReindexTargetFields>({
        index: METADATA_INDEX,
        ids: indexes.map((index) => indexNames(index).metadataId),
        _source_includes: FIELDS,
      });
      docs.forEach((doc, i) => {
        const waiters = batch.get(indexes[i] as string) ?? [];
        // No metadata index at all comes back as each document's error: every index's "no record", as a get's 404.
        if ('error' in doc && doc.error && doc.error.type !== 'index_not_found_exception') {
          const error = new Error(`reading the metadata record of ${indexes[i]}: ${doc.error.reason ?? doc.error.type}`);
          for (const waiter of waiters) waiter.reject(error);
          return;
        }
        const fields = 'found' in doc && doc.found ? doc._source : undefined;
        for (const waiter of waiters) waiter.resolve(fields);
      });
    } catch (error) {
      // A metadata index not there at all is every index's "no record".
      if (isNotFound(error)) {
        for (const waiters of batch.values()) for (const waiter of waiters) waiter.resolve(undefined);
        return;
      }
      for (const waiters of batch.values()) for (const waiter of waiters) waiter.reject(error as Error);
    }
  }
}
