import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';

describe('local Kafka', () => {
  it('takes a message from a producer and hands it to a consumer group', async () => {
    const kafka = new Kafka({ clientId: 'stack-test', brokers: inject('kafkaBrokers'), logLevel: logLevel.ERROR });
    const topic = `test.stack.${randomUUID()}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();

    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'movie-1', value: '{"hello":"kafka"}' }] });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `stack-test-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = await new Promise<{ key: string; value: string }>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) =>
          resolve({ key: String(message.key), value: String(message.value) }),
      });
    });
    await consumer.disconnect();
    expect(received).toEqual({ key: 'movie-1', value: '{"hello":"kafka"}' });
  });
});
