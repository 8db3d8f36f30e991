import { randomUUID } from 'node:crypto';
import type { IndexHarness } from '../support/indexHarness.ts';
import { waitForStableGroup } from './consumerGroups.ts';
import { produceMovieEvents, waitUntilSearchable } from './movieEvents.ts';

/**
 * The baseline a first version of such an indexer tends to be: for each change event, one
 * GraphQL request for that one entity and one single-document index request — no batching, no
 * coalescing, kafkajs' eachMessage (one message at a time per partition, 3 partitions at once).
 * Returns entities/s from the first event produced to the last document searchable (the index
 * starts empty).
 */
export async function runNaivePipeline(h: IndexHarness, ids: readonly string[]): Promise<number> {
  const { config, query } = h.loaded;
  const topic = config.primary.events[0]?.topic as string;
  const groupId = `bench-naive-${randomUUID()}`;
  const consumer = h.kafka.consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: 3,
    eachMessage: async ({ message }) => {
      const id = (JSON.parse(String(message.value)) as { after: { movieId: string } }).after.movieId;
      const response = await fetch(config.gateway.url as string, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: config.query.text, variables: { [query.key[0]?.variable as string]: id } }),
      });
      const body = (await response.json()) as { data?: Record<string, Record<string, unknown> | null> };
      const document = body.data?.[query.rootKey];
      if (document) await h.es.index({ index: h.index, id, document });
    },
  });
  try {
    // As for fedsearch: the group's join is not part of the time.
    await waitForStableGroup(h.kafka, groupId, 1);
    const started = performance.now();
    await produceMovieEvents(h.kafka, topic, ids);
    await waitUntilSearchable(h.es, h.index, ids.length);
    return ids.length / ((performance.now() - started) / 1000);
  } finally {
    await consumer.disconnect();
  }
}
