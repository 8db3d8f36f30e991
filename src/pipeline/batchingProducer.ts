import type { Producer, ProducerRecord, RecordMetadata } from '../clients/kafkajs.ts';

/** What the pipeline's stages ask of a producer. */
export type ProducerSends = Pick<Producer, 'send'>;

interface QueuedSend {
  record: ProducerRecord;
  resolve: (metadata: RecordMetadata[]) => void;
  reject: (error: unknown) => void;
}

/**
 * One producer shared by many indexes (a `run` of many, see SharedClients), with the sends that
 * arrive while a request is in flight gathered into the next request. The producer is idempotent,
 * so it has one request in flight per broker: 50 indexes each sending on their own queued 50
 * requests one after another, and a document waited for every other index's round trip. Now each
 * round trip carries what every index has ready (`sendBatch`, one request per broker).
 *
 * Each send still succeeds or fails on its own: a request that fails with the sends of several
 * indexes in it is sent again one send at a time, so one index's missing or refused topic fails
 * that index's send alone (the others may then be written twice; the sink's external versions
 * make that harmless). Two sends to the same topic never share a request, so each send's
 * metadata (base offset of each partition) is its own.
 */
export class BatchingProducer implements ProducerSends {
  private readonly queued: QueuedSend[] = [];
  private running = false;

  constructor(
    private readonly producer: Pick<Producer, 'send' | 'sendBatch'>,
    private readonly maxMessagesPerRequest = 10_000,
  ) {}

  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    return new Promise((resolve, reject) => {
      this.queued.push({ record, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queued.length > 0) await this.sendNext(this.nextRequest());
    } finally {
      this.running = false;
    }
  }

  /** The oldest send, and the queued ones that can go with it: same options, another topic, within the message cap. */
  private nextRequest(): QueuedSend[] {
    const [first] = this.queued.splice(0, 1) as [QueuedSend];
    const request = [first];
    const topics = new Set([first.record.topic]);
    let messages = first.record.messages.length;
    for (let i = 0; i < this.queued.length; ) {
      const next = this.queued[i] as QueuedSend;
      const fits = !topics.has(next.record.topic) && sameOptions(first.record, next.record) && messages + next.record.messages.length <= this.maxMessagesPerRequest;
      if (!fits) {
        i++;
        continue;
      }
      this.queued.splice(i, 1);
      request.push(next);
      topics.add(next.record.topic);
      messages += next.record.messages.length;
    }
    return request;
  }

  private async sendNext(request: QueuedSend[]): Promise<void> {
    if (request.length === 1) {
      await this.sendAlone(request[0] as QueuedSend);
      return;
    }
    const { acks, timeout, compression } = (request[0] as QueuedSend).record;
    try {
      const written = await this.producer.sendBatch({
        ...(acks === undefined ? {} : { acks }),
        ...(timeout === undefined ? {} : { timeout }),
        ...(compression === undefined ? {} : { compression }),
        topicMessages: request.map(({ record }) => ({ topic: record.topic, messages: record.messages })),
      });
      for (const { record, resolve } of request) resolve(written.filter((one) => one.topicName === record.topic));
    } catch {
      // Which send failed is not told apart here: each goes again on its own and answers for
      // itself, all at once (the producer still sends them one by one, but their retries overlap
      // instead of adding up when the brokers are away).
      await Promise.all(request.map((one) => this.sendAlone(one)));
    }
  }

  private async sendAlone({ record, resolve, reject }: QueuedSend): Promise<void> {
    try {
      resolve(await this.producer.send(record));
    } catch (error) {
      reject(error);
    }
  }
}

function sameOptions(a: ProducerRecord, b: ProducerRecord): boolean {
  return a.acks === b.acks && a.timeout === b.timeout && a.compression === b.compression;
}
