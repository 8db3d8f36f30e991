import type { Consumer, EachBatchPayload, KafkaMessage } from '../../src/clients/kafkajs.ts';
import { pino } from 'pino';
import { DocumentCodec } from '../../src/pipeline/documentCodec.ts';
import type { DeadLetter } from '../../src/pipeline/deadLetters.ts';
import { PipelineEvents } from '../../src/pipeline/pipelineEvents.ts';
import { PipelineMetrics } from '../../src/pipeline/pipelineMetrics.ts';

/**
 * Fakes of what a stage talks to, for unit tests of its decisions: a consumer that hands the
 * stage's eachBatch to the test and records commits, Kafka messages and batches, a dead-letter
 * queue that records letters. The integration tests run the same stages on the real stack.
 */

export const silentLogger = pino({ level: 'silent' });

/** The events a stage reports to, and the metrics subscribed to them (as runPipeline wires them). */
export function observed(): { events: PipelineEvents; metrics: PipelineMetrics } {
  const events = new PipelineEvents();
  const metrics = new PipelineMetrics('films');
  metrics.observe(events);
  return { events, metrics };
}

/** The value of one series of a counter, by its labels. */
export async function counterValue(registry: PipelineMetrics['registry'], name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const series = (metric?.values ?? []).find((value) => Object.entries(labels).every(([k, v]) => value.labels[k] === v));
  return series?.value ?? 0;
}

const FILM_SCHEMA = {
  type: 'record',
  name: 'Film',
  namespace: 'fedsearch.films',
  fields: [
    { name: 'filmId', type: 'string' },
    { name: 'title', type: ['null', 'string'], default: null },
  ],
};

/** A codec over a small film schema (fingerprint `f1`). */
export function filmCodec(): DocumentCodec {
  return new DocumentCodec({ f1: JSON.stringify(FILM_SCHEMA) }, 'f1');
}

export interface FakeConsumer {
  consumer: Consumer;
  commits: Array<{ topic: string; partition: number; offset: string }>;
  /** The commits made with consumer.commitOffsets (outside a batch's own commit); also in `commits`. */
  consumerCommits: () => number;
  /** How many times the stage heartbeat inside a batch. */
  heartbeats: () => number;
  /** Where the stage sent a partition back to (consumer.seek). */
  seeks: Array<{ topic: string; partition: number; offset: string }>;
  /** Runs the stage's eachBatch on one batch of these messages. */
  deliver(topic: string, messages: KafkaMessage[], options?: { partition?: number; running?: () => boolean }): Promise<void>;
}

export function fakeConsumer(): FakeConsumer {
  let eachBatch: ((payload: EachBatchPayload) => Promise<void>) | undefined;
  const commits: FakeConsumer['commits'] = [];
  const seeks: FakeConsumer['seeks'] = [];
  let heartbeats = 0;
  let consumerCommits = 0;
  const consumer = {
    subscribe: async () => undefined,
    run: async (config: { eachBatch?: (payload: EachBatchPayload) => Promise<void> }) => {
      eachBatch = config.eachBatch;
    },
    commitOffsets: async (offsets: FakeConsumer['commits']) => {
      consumerCommits++;
      commits.push(...offsets);
    },
    seek: (offset: FakeConsumer['seeks'][number]) => void seeks.push(offset),
    pause: () => undefined,
    on: () => () => undefined,
    events: { REBALANCING: 'consumer.rebalancing', GROUP_JOIN: 'consumer.group_join' },
  } as unknown as Consumer; // Only what the stages call; the rest of Consumer is unused.
  return {
    consumer,
    commits,
    seeks,
    heartbeats: () => heartbeats,
    consumerCommits: () => consumerCommits,
    async deliver(topic, messages, options = {}) {
      if (!eachBatch) throw new Error('the stage has not called consumer.run');
      const first = messages[0]?.offset ?? '0';
      const last = messages.at(-1)?.offset ?? '0';
      const batch = {
        topic,
        partition: options.partition ?? 0,
        highWatermark: String(Number(last) + 1),
        messages,
        isEmpty: () => messages.length === 0,
        firstOffset: () => first,
        lastOffset: () => last,
        offsetLag: () => '0',
        offsetLagLow: () => '0',
      };
      const running = options.running ?? (() => true);
      await eachBatch({
        batch,
        resolveOffset: () => undefined,
        heartbeat: async () => void heartbeats++,
        pause: () => () => undefined,
        // What kafkajs does with explicit offsets: commits them (a stage commits a batch this way).
        commitOffsetsIfNecessary: async (offsets?: { topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }> }) => {
          for (const { topic: committed, partitions } of offsets?.topics ?? []) {
            for (const { partition, offset } of partitions) commits.push({ topic: committed, partition, offset });
          }
        },
        uncommittedOffsets: () => ({ topics: [] }),
        isRunning: running,
        isStale: () => false,
      } as unknown as EachBatchPayload); // The payload's batch is a plain object with the Batch methods the stages use.
    },
  };
}

let nextOffset = 0;

/** A Kafka message as a consumer receives it. */
export function kafkaMessage(message: { key: string | null; value: Buffer | string | null; headers?: Record<string, string> }): KafkaMessage {
  return {
    key: message.key === null ? null : Buffer.from(message.key),
    value: message.value === null ? null : Buffer.isBuffer(message.value) ? message.value : Buffer.from(message.value),
    headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, Buffer.from(v)])),
    offset: String(nextOffset++),
    timestamp: String(Date.now()),
    attributes: 0,
  } as KafkaMessage;
}

/** A dead-letter queue that keeps what it is sent. */
export function recordingDeadLetters(): { send(letters: DeadLetter[]): Promise<void>; letters: DeadLetter[] } {
  const letters: DeadLetter[] = [];
  return { letters, send: async (sent) => void letters.push(...sent) };
}
