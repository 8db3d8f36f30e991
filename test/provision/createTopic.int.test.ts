// A topic provision creates has a leader when provision says so, even while the broker is busy:
// right after hundreds of topics were deleted (the many-indexes bench's cleanup), the broker
// answers a metadata request for a topic it just created with UNKNOWN_TOPIC_OR_PARTITION for a
// while, which kafkajs's `waitForLeaders` does not wait out (it threw "This server does not host
// this topic-partition", failing the provisioning of a topic that was in fact created).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Kafka, logLevel, type Admin } from '../../src/clients/kafkajs.ts';
import { createTopicWithLeaders } from '../../src/provision/createTopic.ts';

describe('creating a topic and waiting for its leader', () => {
  const kafka = new Kafka({ clientId: 'create-topic-test', brokers: inject('kafkaBrokers'), logLevel: logLevel.NOTHING });
  let admin: Admin;
  const run = randomUUID().slice(0, 8);
  const made: string[] = [];

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: made }).catch(() => undefined);
    await admin.disconnect();
  });

  it('returns once each of many topics created at once has a leader, while the broker deletes hundreds of others', async () => {
    // Keep the broker's metadata busy: 250 topics created, then deleted without waiting.
    const ballast = Array.from({ length: 250 }, (_, i) => `create-topic-test.${run}.ballast.${i}`);
    await admin.createTopics({ topics: ballast.map((topic) => ({ topic, numPartitions: 1 })), waitForLeaders: false });
    await admin.deleteTopics({ topics: ballast });

    const topics = Array.from({ length: 10 }, (_, i) => `create-topic-test.${run}.wanted.${i}`);
    made.push(...topics);
    const created = await Promise.all(topics.map((topic) => createTopicWithLeaders(admin, { topic, numPartitions: 2, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] })));
    expect(created).toEqual(topics.map(() => true));

    // Another client, fresh metadata: every partition has a leader at once.
    const other = kafka.admin();
    await other.connect();
    try {
      const metadata = await other.fetchTopicMetadata({ topics });
      expect(metadata.topics.map((one) => one.partitions.filter((partition) => partition.leader >= 0).length)).toEqual(topics.map(() => 2));
    } finally {
      await other.disconnect();
    }
  }, 120_000);

  it('is no error for a topic that exists already (false, as kafkajs answers)', async () => {
    const topic = `create-topic-test.${run}.again`;
    made.push(topic);
    expect(await createTopicWithLeaders(admin, { topic, numPartitions: 1 })).toBe(true);
    expect(await createTopicWithLeaders(admin, { topic, numPartitions: 1 })).toBe(false);
  });
});
