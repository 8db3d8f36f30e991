import type { Producer } from '../../src/clients/kafkajs.ts';
import { Kafka, logLevel, Partitioners } from '../../src/clients/kafkajs.ts';

/** A CDC-shaped change event, as Debezium emits them: the row before and after the change. */
export interface ChangeEvent<T> {
  op: 'c' | 'u' | 'd';
  before: T | null;
  after: T | null;
  ts_ms: number;
  source: { service: string; entity: string };
}

/** Where a subgraph's mutations announce their changes. */
export interface ChangeEventSink {
  publish<T>(topic: string, key: string, event: ChangeEvent<T>): Promise<void>;
  close(): Promise<void>;
}

/** The demo topics, one per entity type a team owns. */
export interface StudioTopics {
  movie: string;
  production: string;
  talent: string;
  credit: string;
}

export const DEMO_TOPICS: StudioTopics = {
  movie: 'studio.movie.changes',
  production: 'studio.production.changes',
  talent: 'studio.talent.changes',
  credit: 'studio.credit.changes',
};

/**
 * Publishes change events to Kafka, keyed by entity id so that all changes of one entity stay
 * in order on one partition. Idempotent producer, acks from all replicas: a mutation returns
 * only once its event is durable.
 */
export class KafkaChangeEventSink implements ChangeEventSink {
  private constructor(private readonly producer: Producer) {}

  /** Connects, creating the topics first when they do not exist (each team owns its topic). */
  static async connect(brokers: string[], clientId: string, topics: string[] = []): Promise<KafkaChangeEventSink> {
    // kafkajs logs every retriable broker answer at ERROR ("The coordinator is loading…" at each
    // start); a publish that finally fails throws, and the mutation reports it with its context.
    const kafka = new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING });
    if (topics.length > 0) {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const existing = new Set(await admin.listTopics());
        const missing = topics.filter((topic) => !existing.has(topic));
        if (missing.length > 0) {
          await admin.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ topic, numPartitions: 3 })) });
        }
      } finally {
        await admin.disconnect();
      }
    }
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: true,
      // Murmur2 key hashing, as the Java clients do: a key lands on the same partition either way.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    return new KafkaChangeEventSink(producer);
  }

  async publish<T>(topic: string, key: string, event: ChangeEvent<T>): Promise<void> {
    await this.producer.send({ topic, acks: -1, messages: [{ key, value: JSON.stringify(event) }] });
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}

/** For running the graph without Kafka (offline generation, schema checks): changes go nowhere. */
export class DiscardChangeEvents implements ChangeEventSink {
  async publish(): Promise<void> {}
  async close(): Promise<void> {}
}

/**
 * Applies a change to a team's store, then publishes its event. If publishing fails the change
 * is undone and the mutation fails: a change without its event would never reach the index.
 */
export async function applyAndPublish<T>(
  sink: ChangeEventSink,
  topic: string,
  key: string,
  source: ChangeEvent<T>['source'],
  change: { before: T | null; after: T | null },
  apply: () => void,
  undo: () => void,
): Promise<void> {
  apply();
  const op = change.before === null ? 'c' : change.after === null ? 'd' : 'u';
  try {
    await sink.publish(topic, key, { op, before: change.before, after: change.after, ts_ms: Date.now(), source });
  } catch (error) {
    undo();
    throw error;
  }
}
