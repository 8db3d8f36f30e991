import { createHash } from 'node:crypto';
import type { Message } from '../../src/clients/kafkajs.ts';
import { describe, expect, it } from 'vitest';
import {
  DeadLetterQueue,
  messageBytes,
  readDeadLetter,
  STAND_IN_LIMITS,
  STAND_IN_MAX_BYTES,
  standInFor,
  type DeadLetter,
  type StandInWritten,
} from '../../src/pipeline/deadLetters.ts';

/** The shape kafkajs gives a broker's refusal: a protocol error with a type, wrapped in a non-retriable one. */
const brokerRefusal = (type: string): Error =>
  new Error(`wrapped: ${type}`, { cause: Object.assign(new Error('The request included a message larger than the max message size the server will accept'), { type }) });

/** A topic that takes requests of at most `limit` bytes, refusing larger ones as a broker does. */
function topicWithLimit(limit: number, refuse: (messages: Message[]) => Error | null = () => null) {
  const written: Message[] = [];
  const producer = {
    async send({ messages }: { messages: Message[] }) {
      const refused = refuse(messages);
      if (refused) throw refused;
      if (messages.reduce((sum, message) => sum + messageBytes(message), 0) > limit) throw brokerRefusal('MESSAGE_TOO_LARGE');
      written.push(...messages);
      return [];
    },
  };
  return { producer, written };
}

const eventLetter = (offset: string, value: Buffer, headers: DeadLetter['headers'] = {}): DeadLetter => ({
  kind: 'event',
  stage: 'enrich',
  reason: 'value is not JSON: Unexpected token',
  entityId: null,
  source: { topic: 'studio.movie.changes', partition: 2, offset },
  key: `key-${offset}`,
  value,
  headers,
});

describe('standInFor', () => {
  it('bounds a letter of any size to its reason, where it came from, a cut body and the body\'s sha256', () => {
    const value = Buffer.alloc(10_000_000, 0x61);
    const headers: Record<string, string | Buffer | string[]> = { 'fedsearch-dlq-reason': 'r'.repeat(20_000), 'fedsearch-dlq-kind': 'event', 'fedsearch-dlq-source-topic': 'studio.movie.changes', 'fedsearch-dlq-source-offset': '41' };
    for (let i = 0; i < 2_000; i++) headers[`h${i}`] = 'v'.repeat(1_000);
    headers['an-array'] = ['a', 'b'];
    headers['n'.repeat(100_000)] = 'a huge name';
    const message: Message = { key: 'k'.repeat(5_000), value, headers };

    const standIn = standInFor(message, 'x.dlq refused the letter: MESSAGE_TOO_LARGE');
    expect(messageBytes(standIn)).toBeLessThanOrEqual(STAND_IN_MAX_BYTES);
    expect(standIn.value).toEqual(value.subarray(0, STAND_IN_LIMITS.valueBytes));
    expect(String(standIn.key)).toBe('k'.repeat(STAND_IN_LIMITS.keyBytes));
    const read = readDeadLetter({ key: standIn.key as Buffer, value: standIn.value as Buffer, headers: standIn.headers as never });
    expect(read).toMatchObject({ kind: 'event', standIn: 'x.dlq refused the letter: MESSAGE_TOO_LARGE', source: { offset: '41' } });
    expect(read.reason).toBe('r'.repeat(STAND_IN_LIMITS.headerValueBytes));
    expect(standIn.headers?.['fedsearch-dlq-value-sha256']).toBe(createHash('sha256').update(value).digest('hex'));
    expect(standIn.headers?.['fedsearch-dlq-value-bytes']).toBe('10000000');
    expect(standIn.headers?.['fedsearch-dlq-key-bytes']).toBe('5000');
    // The original headers that fit the budget, in order; the others counted.
    const kept = Object.keys(read.headers ?? {});
    expect(kept.length).toBeGreaterThan(10);
    expect(Number(standIn.headers?.['fedsearch-dlq-headers-dropped'])).toBe(2_002 - kept.length);
  });

  it('keeps a small letter\'s value and key whole, and says so by their sizes', () => {
    const standIn = standInFor({ key: 'k', value: 'small', headers: { schema: 'abc' } }, 'refused: INVALID_RECORD');
    expect(standIn).toMatchObject({ key: Buffer.from('k'), value: Buffer.from('small'), headers: { schema: 'abc', 'fedsearch-dlq-value-bytes': '5' } });
    expect(standIn.headers?.['fedsearch-dlq-key-bytes']).toBeUndefined();
  });
});

describe('DeadLetterQueue', () => {
  it('records whose a failed fetch was in its headers, the subgraph, the error path and the code, and reads them back', async () => {
    const topic = topicWithLimit(1_000_000);
    const fault = { subgraph: 'talent', path: 'cast.0.talent', code: 'FAULT_INJECTED' };
    await new DeadLetterQueue(topic.producer, 'movies.dlq').send([
      { kind: 'refetch', stage: 'enrich', reason: 'talent failed', entityId: 'mov-1', source: null, key: 'mov-1', value: '{}', fault },
    ]);
    const headers = topic.written[0]?.headers ?? {};
    expect([headers['fedsearch-dlq-subgraph'], headers['fedsearch-dlq-error-path'], headers['fedsearch-dlq-error-code']]).toEqual(['talent', 'cast.0.talent', 'FAULT_INJECTED']);
    expect(readDeadLetter(topic.written[0] as never).fault).toEqual(fault);
  });

  it('writes a letter too large for the topic as its stand-in, and the others as they are, in order', async () => {
    const topic = topicWithLimit(500_000);
    const standIns: StandInWritten[] = [];
    const queue = new DeadLetterQueue(topic.producer, 'movies.dlq', (written) => standIns.push(written));
    const big = Buffer.alloc(900_000, 0x7b);
    await queue.send([eventLetter('1', Buffer.from('{x')), eventLetter('2', big, { trace: 'abc' }), eventLetter('3', Buffer.from('{y'))]);

    const letters = topic.written.map((message) => readDeadLetter(message as never));
    expect(letters.map((letter) => [letter.source?.offset, letter.standIn === undefined])).toEqual([
      ['1', true],
      ['2', false],
      ['3', true],
    ]);
    expect(letters[1]).toMatchObject({ reason: 'value is not JSON: Unexpected token', headers: { trace: 'abc' } });
    expect(letters[1]?.standIn).toMatch(/^movies\.dlq refused the 9\d{5}-byte letter: wrapped: MESSAGE_TOO_LARGE/);
    expect(standIns.map((written) => written.letter.source?.offset)).toEqual(['2']);
  });

  it('writes letters that fit one by one when together they are too large', async () => {
    const topic = topicWithLimit(1_000);
    const queue = new DeadLetterQueue(topic.producer, 'movies.dlq');
    await queue.send([eventLetter('1', Buffer.alloc(600)), eventLetter('2', Buffer.alloc(600))]);
    expect(topic.written.map((message) => readDeadLetter(message as never).standIn)).toEqual([undefined, undefined]);
  });

  it('throws, saying where the event was and that retrying will not help, when even the stand-in is refused', async () => {
    const topic = topicWithLimit(100);
    const queue = new DeadLetterQueue(topic.producer, 'movies.dlq');
    const refused = queue.send([eventLetter('7', Buffer.alloc(5_000))]);
    await expect(refused).rejects.toThrow(
      /^the dead letter of studio\.movie\.changes\/2\/7 could not be written, not even as a stand-in: movies\.dlq refused the \d+-byte letter/,
    );
    // kafkajs would retry it in silence for minutes; the consumer crashes at once instead, saying why.
    await expect(refused).rejects.toMatchObject({ retriable: false });
    expect(topic.written).toEqual([]);
  });

  it('throws an outage as it is, without writing a stand-in: the batch is read again once the broker is back', async () => {
    const outage = new Error('Connection timeout');
    const topic = topicWithLimit(1_000_000, () => outage);
    const queue = new DeadLetterQueue(topic.producer, 'movies.dlq');
    await expect(queue.send([eventLetter('1', Buffer.from('{'))])).rejects.toBe(outage);
    expect(topic.written).toEqual([]);
  });
});
