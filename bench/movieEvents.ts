import type { Client } from '@elastic/elasticsearch';
import type { Kafka } from '../src/clients/kafkajs.ts';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Change events for `ids`, shaped as the demo graph publishes them (CDC envelope keyed by id),
 * put on `topic` in batches: the backlog an indexer then works through.
 */
export async function produceMovieEvents(kafka: Kafka, topic: string, ids: readonly string[]): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    for (let start = 0; start < ids.length; start += 1_000) {
      const ts = Date.now();
      await producer.send({
        topic,
        acks: -1,
        messages: ids.slice(start, start + 1_000).map((movieId) => ({
          key: movieId,
          value: JSON.stringify({ op: 'u', before: null, after: { movieId }, ts_ms: ts, source: { service: 'bench', entity: 'Movie' } }),
        })),
      });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Resolves when `index` has `count` searchable documents (no forced refresh: as a user sees it). */
export async function waitUntilSearchable(es: Client, index: string, count: number, timeoutMs = 1_800_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { count: now } = await es.count({ index });
    if (now >= count) return;
    if (Date.now() > deadline) throw new Error(`${index}: ${now} of ${count} documents searchable after ${timeoutMs / 1000}s`);
    await sleep(200);
  }
}
