import { describe, expect, it } from 'vitest';
import type { ProducerBatch, ProducerRecord, RecordMetadata } from '../../src/clients/kafkajs.ts';
import { BatchingProducer } from '../../src/pipeline/batchingProducer.ts';
import { heldAnswers } from '../support/heldAnswers.ts';

/**
 * A producer whose requests are answered when the test says, recording each request's topics
 * (in order). Topics named in `refused` fail every request that carries them, as a topic the
 * brokers do not have would.
 */
function heldProducer(refused: string[] = []) {
  const answers = heldAnswers();
  const requests: string[][] = [];
  let offset = 0;
  const answer = (topics: string[]) => (): Promise<RecordMetadata[]> => {
    const bad = topics.find((topic) => refused.includes(topic));
    if (bad) return Promise.reject(new Error(`This server does not host this topic-partition: ${bad}`));
    return Promise.resolve(topics.map((topicName): RecordMetadata => ({ topicName, partition: 0, errorCode: 0, baseOffset: String(offset++) })));
  };
  const later = async (topics: string[]): Promise<RecordMetadata[]> => {
    requests.push(topics);
    return await answers.hold(answer(topics));
  };
  return {
    producer: {
      send: (record: ProducerRecord) => later([record.topic]),
      sendBatch: (batch: ProducerBatch) => later((batch.topicMessages ?? []).map((one) => one.topic)),
    },
    requests,
    answerAll: answers.answerAll,
  };
}

const record = (topic: string, n = 1): ProducerRecord => ({ topic, acks: -1, messages: Array.from({ length: n }, (_, i) => ({ value: `${topic}-${i}` })) });

describe('BatchingProducer: one producer shared by many indexes', () => {
  it('gathers the sends that arrive during a request into the next one, and answers each with its own topic', async () => {
    const held = heldProducer();
    const producer = new BatchingProducer(held.producer);
    const first = producer.send(record('movies-documents'));
    const others = ['shop-documents', 'people-documents', 'movies-dlq'].map((topic) => producer.send(record(topic)));
    await held.answerAll();
    expect(held.requests).toEqual([['movies-documents'], ['shop-documents', 'people-documents', 'movies-dlq']]);
    expect((await first).map((one) => one.topicName)).toEqual(['movies-documents']);
    expect((await Promise.all(others)).map((written) => written.map((one) => one.topicName))).toEqual([['shop-documents'], ['people-documents'], ['movies-dlq']]);
  });

  it('never puts two sends to one topic in a request, and keeps their order', async () => {
    const held = heldProducer();
    const producer = new BatchingProducer(held.producer);
    const sends = [record('a'), record('a'), record('b'), record('a')].map((one) => producer.send(one));
    await held.answerAll();
    await Promise.all(sends);
    expect(held.requests).toEqual([['a'], ['a', 'b'], ['a']]);
  });

  it('keeps a request within the message cap', async () => {
    const held = heldProducer();
    const producer = new BatchingProducer(held.producer, 10);
    const sends = [record('a', 4), record('b', 4), record('c', 4), record('d', 6)].map((one) => producer.send(one));
    await held.answerAll();
    await Promise.all(sends);
    expect(held.requests).toEqual([['a'], ['b', 'c'], ['d']]);
  });

  it("fails only the send whose topic was refused: a failed shared request goes again one send at a time", async () => {
    const held = heldProducer(['gone-documents']);
    const producer = new BatchingProducer(held.producer);
    const first = producer.send(record('movies-documents'));
    const gone = producer.send(record('gone-documents')).then(() => 'written', (error: Error) => error.message);
    const shop = producer.send(record('shop-documents'));
    await held.answerAll();
    await first;
    expect(await gone).toMatch(/does not host this topic-partition: gone-documents/);
    expect((await shop).map((one) => one.topicName)).toEqual(['shop-documents']);
    expect(held.requests).toEqual([['movies-documents'], ['gone-documents', 'shop-documents'], ['gone-documents'], ['shop-documents']]);
  });
});
