import type { KafkaMessage } from '../clients/kafkajs.ts';
import type { DocumentCodec, DocumentCodecSettings } from './documentCodec.ts';
import type { Logger } from '../logger.ts';
import type { ResourceStack } from './resourceStack.ts';
import { autoWorkers, siblingModule, WorkerPool } from './workerPool.ts';

/** Values of one sink batch, packed into one buffer moved (not copied) to a worker. */
export interface DecodeTask {
  /** The index's codec: a worker builds it on first sight and keeps it, by `key`. */
  codec: { key: string; settings: DocumentCodecSettings };
  bytes: ArrayBuffer;
  /** Where each value ends in `bytes` (each starts where the one before ended). */
  ends: number[];
  ids: string[];
  fingerprints: string[];
}

/** Each value's document as JSON, or why it cannot be read: in the order of the task. */
export type Decoded = Array<string | { error: string }>;

/** Decodes a task's values with `codec` (in a worker). */
export function decodeEach(codec: Pick<DocumentCodec, 'decodeValue'>, task: Omit<DecodeTask, 'codec'>): Decoded {
  const out: Decoded = [];
  let start = 0;
  task.ends.forEach((end, n) => {
    try {
      const document = codec.decodeValue(task.ids[n] as string, task.fingerprints[n] as string, new Uint8Array(task.bytes, start, end - start));
      out.push(JSON.stringify(document));
    } catch (error) {
      out.push({ error: (error as Error).message });
    }
    start = end;
  });
  return out;
}

/** One value to decode: whose it is, its schema, its bytes. */
export interface EncodedDocument {
  id: string;
  fingerprint: string;
  value: Uint8Array;
}

/**
 * One index's side of the process's decode pool: the documents of a sink batch decoded and turned
 * into JSON in worker threads, a batch split over the workers. Each answer is in the order asked.
 */
export class SinkDecoding {
  private readonly codec: DecodeTask['codec'];
  private closed = false;

  constructor(
    codec: Pick<DocumentCodec, 'settings'>,
    private readonly pool: Pick<WorkerPool<DecodeTask, Decoded>, 'run' | 'size'>,
    private readonly release: () => Promise<void> = async () => {},
  ) {
    const { settings } = codec;
    this.codec = { key: `${Object.keys(settings.schemas).sort().join(',')}/${settings.currentFingerprint}/${settings.maxDocumentBytes}`, settings };
  }

  /** Each document's JSON or why it cannot be read, in order; throws (with `context`) when the pool fails, not for a bad document. */
  async decode(documents: readonly EncodedDocument[], context: string): Promise<Decoded> {
    if (documents.length === 0) return [];
    const per = Math.ceil(documents.length / this.pool.size);
    const parts: Array<Promise<Decoded>> = [];
    for (let start = 0; start < documents.length; start += per) {
      const task = pack(this.codec, documents.slice(start, start + per));
      parts.push(this.pool.run(task, { transfer: [task.bytes], context }));
    }
    return (await Promise.all(parts)).flat();
  }

  /** This index is done with the pool; the pool stops with the last index using it. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return this.release();
  }
}

/**
 * The process's decode pools, one per size: every index of a `run` of many shares one (a pool per
 * index would be a thread and a V8 heap per index), started with the first and closed with the last.
 */
const pools = new Map<number, { pool: WorkerPool<DecodeTask, Decoded>; users: number }>();

/** `size` workers shared by every index of the process that asks for as many. */
export function sharedDecoding(codec: Pick<DocumentCodec, 'settings'>, size: number): SinkDecoding {
  let entry = pools.get(size);
  if (!entry) {
    entry = { pool: new WorkerPool({ name: 'sink decode workers', size, moduleUrl: siblingModule(import.meta.url, 'sinkDecodeWorker') }), users: 0 };
    pools.set(size, entry);
  }
  const shared = entry;
  shared.users++;
  return new SinkDecoding(codec, shared.pool, async () => {
    if (--shared.users > 0) return;
    pools.delete(size);
    await shared.pool.close();
  });
}

/** Values copied into one fresh buffer: a Kafka message's value is a view into a larger fetch buffer, which cannot be moved. */
function pack(codec: DecodeTask['codec'], documents: readonly EncodedDocument[]): DecodeTask {
  let total = 0;
  for (const document of documents) total += document.value.length;
  const bytes = new Uint8Array(total);
  const ends: number[] = [];
  let at = 0;
  for (const document of documents) {
    bytes.set(document.value, at);
    at += document.value.length;
    ends.push(at);
  }
  return { codec, bytes: bytes.buffer, ends, ids: documents.map((d) => d.id), fingerprints: documents.map((d) => d.fingerprint) };
}

/** A document as the sink writes it: decoded (an object), as JSON from a worker (a string), or a delete (null). */
export interface SinkRecord {
  id: string;
  document: Record<string, unknown> | string | null;
  version: number;
  eventTsMs: number | null;
  /** A reindex's document: the one index version to write it to. */
  onlyInto?: string;
}

/**
 * Each message of a sink batch read back, in order: the record, or why it cannot be read. The
 * headers are read here; the values by `decoding`'s workers when there are any — and on the event
 * loop when there are none or they fail (`onPoolFailure` says so), so a batch never waits on a
 * broken pool. A bad document is its own outcome either way, never an exception.
 */
export async function readDocuments(
  messages: readonly KafkaMessage[],
  codec: Pick<DocumentCodec, 'fromMessage' | 'readHeaders' | 'decodeValue'>,
  decoding: Pick<SinkDecoding, 'decode'> | undefined,
  context: string,
  onPoolFailure: (error: unknown) => void,
): Promise<Array<SinkRecord | { error: string }>> {
  const unreadable = (error: unknown): { error: string } => ({ error: (error as Error).message });
  if (!decoding) {
    return messages.map((message) => {
      try {
        return codec.fromMessage(message);
      } catch (error) {
        return unreadable(error);
      }
    });
  }
  const read: Array<SinkRecord | { error: string }> = [];
  const toDecode: Array<{ record: SinkRecord; encoded: EncodedDocument }> = [];
  for (const message of messages) {
    try {
      const { record, fingerprint } = codec.readHeaders(message);
      read.push(record);
      if (message.value !== null) toDecode.push({ record, encoded: { id: record.id, fingerprint, value: message.value } });
    } catch (error) {
      read.push(unreadable(error));
    }
  }
  let decoded: Decoded;
  try {
    decoded = await decoding.decode(toDecode.map((d) => d.encoded), context);
  } catch (error) {
    onPoolFailure(error);
    decoded = toDecode.map(({ encoded }) => {
      try {
        return JSON.stringify(codec.decodeValue(encoded.id, encoded.fingerprint, encoded.value));
      } catch (decodeError) {
        return unreadable(decodeError);
      }
    });
  }
  const failed = new Map<SinkRecord, string>();
  toDecode.forEach(({ record }, n) => {
    const outcome = decoded[n];
    if (typeof outcome === 'string') record.document = outcome;
    else failed.set(record, outcome?.error ?? 'no answer from the decode workers');
  });
  return read.map((outcome) => {
    const reason = 'error' in outcome ? undefined : failed.get(outcome);
    return reason === undefined ? outcome : { error: reason };
  });
}

/**
 * The decode pool `pipeline.workers` asks for (closed with `resources`), or none: 0, or `auto` on
 * a machine with one core, where a worker would only take turns with the event loop.
 */
export function sinkDecodingFor(codec: Pick<DocumentCodec, 'settings'>, workers: number | 'auto', resources: ResourceStack, logger: Logger): SinkDecoding | undefined {
  const size = workers === 'auto' ? autoWorkers() : workers;
  if (size === 0) return undefined;
  logger.info({ workers: size }, 'the sink decodes documents in worker threads');
  return resources.add('the sink decode workers', sharedDecoding(codec, size), (decoding) => decoding.close());
}
