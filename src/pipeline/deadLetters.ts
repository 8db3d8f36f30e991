import type { IHeaders, Message, Producer } from 'kafkajs';
import { header } from './documentCodec.ts';

/**
 * What went to the dead-letter topic, and so what `replay` does with it:
 * `event` — a change event that could not be read (re-produced to its source topic);
 * `refetch` — an entity whose fetch kept failing (fetched again);
 * `document` — a document Elasticsearch refused for good (re-produced to the documents topic).
 */
export type DeadLetterKind = 'event' | 'refetch' | 'document';

export interface DeadLetter {
  kind: DeadLetterKind;
  stage: 'enrich' | 'sink';
  reason: string;
  entityId: string | null;
  /** Where the failed input was read: topic/partition/offset. */
  source: { topic: string; partition: number; offset: string } | null;
  key: Buffer | string | null;
  value: Buffer | string | null;
  /** Headers of the original message worth keeping (a document's schema and version). */
  headers?: IHeaders;
}

const H = {
  kind: 'fedsearch-dlq-kind',
  stage: 'fedsearch-dlq-stage',
  reason: 'fedsearch-dlq-reason',
  entityId: 'fedsearch-dlq-entity-id',
  topic: 'fedsearch-dlq-source-topic',
  partition: 'fedsearch-dlq-source-partition',
  offset: 'fedsearch-dlq-source-offset',
  at: 'fedsearch-dlq-at',
} as const;

/** Writes dead letters; the caller commits its input only after this resolves (acks from all). */
export class DeadLetterQueue {
  constructor(
    private readonly producer: Producer,
    readonly topic: string,
  ) {}

  async send(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    await this.producer.send({ topic: this.topic, acks: -1, messages: letters.map(toMessage) });
  }
}

function toMessage(letter: DeadLetter): Message {
  const headers: IHeaders = {
    ...letter.headers,
    [H.kind]: letter.kind,
    [H.stage]: letter.stage,
    [H.reason]: letter.reason.slice(0, 4_000),
    [H.at]: new Date().toISOString(),
  };
  if (letter.entityId !== null) headers[H.entityId] = letter.entityId;
  if (letter.source) {
    headers[H.topic] = letter.source.topic;
    headers[H.partition] = String(letter.source.partition);
    headers[H.offset] = letter.source.offset;
  }
  return { key: letter.key ?? letter.entityId, value: letter.value, headers };
}

/** A dead-letter message read back (by replay). */
export function readDeadLetter(message: { key: Buffer | null; value: Buffer | null; headers?: IHeaders }): DeadLetter {
  const kind = header(message.headers, H.kind) as DeadLetterKind | undefined;
  const topic = header(message.headers, H.topic);
  const kept: IHeaders = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (!name.startsWith('fedsearch-dlq-') && value !== undefined) kept[name] = value;
  }
  return {
    kind: kind ?? 'event',
    stage: header(message.headers, H.stage) === 'sink' ? 'sink' : 'enrich',
    reason: header(message.headers, H.reason) ?? '',
    entityId: header(message.headers, H.entityId) ?? null,
    source: topic
      ? { topic, partition: Number(header(message.headers, H.partition)), offset: header(message.headers, H.offset) ?? '' }
      : null,
    key: message.key,
    value: message.value,
    headers: kept,
  };
}
