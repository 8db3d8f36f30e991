import avro from 'avsc';
import { avroBoundsProblem } from './avroBounds.ts';
import type { IHeaders, Message } from '../clients/kafkajs.ts';
import type { IndexMetadata } from '../index/indexMetadata.ts';

/** Headers every message on the documents topic carries. */
export const DOCUMENT_HEADERS = {
  /** Fingerprint of the Avro schema the value is written with (see the fedsearch-meta record). */
  schema: 'fedsearch-schema',
  /** Elasticsearch external version: when the fetch was sent, in microseconds. */
  version: 'fedsearch-version',
  /** The oldest source event (`ts_ms`) this document answers, for end-to-end latency. */
  eventTs: 'fedsearch-event-ts',
  /**
   * A reindex's document: the index version it is for. The sinks write it there alone while that
   * version is being built; the old version serves searches only until the swap.
   */
  onlyInto: 'fedsearch-only-into',
} as const;

export interface DocumentRecord {
  id: string;
  /** null: the entity is gone, delete the document. */
  document: Record<string, unknown> | null;
  version: number;
  eventTsMs: number | null;
  /** A reindex's document: the one index version to write it to (DOCUMENT_HEADERS.onlyInto). */
  onlyInto?: string;
}

/** Default of `pipeline.maxDocumentBytes`. */
export const MAX_DOCUMENT_BYTES = 1_000_000;

/**
 * Avro encoding of documents for the documents topic. It writes with the current schema and
 * reads with whichever schema a message names, so messages written before a schema change still
 * decode after it. Values over the size cap are refused both ways, and a value is checked against
 * its schema's bounds before it is decoded (see avroBoundsProblem).
 */
export class DocumentCodec {
  private readonly types = new Map<string, avro.Type>();
  private readonly maxDocumentBytes: number;

  constructor(
    private readonly schemas: Record<string, string>,
    readonly currentFingerprint: string,
    options: { maxDocumentBytes?: number } = {},
  ) {
    this.maxDocumentBytes = options.maxDocumentBytes ?? MAX_DOCUMENT_BYTES;
    for (const [fingerprint, json] of Object.entries(schemas)) {
      this.types.set(fingerprint, avro.Type.forSchema(JSON.parse(json) as avro.Schema));
    }
    if (!this.types.has(currentFingerprint)) {
      throw new Error(`no Avro schema with fingerprint ${currentFingerprint} among the provisioned ones`);
    }
  }

  static fromMetadata(metadata: IndexMetadata, currentFingerprint: string, options: { maxDocumentBytes?: number } = {}): DocumentCodec {
    return new DocumentCodec(metadata.avroSchemas, currentFingerprint, options);
  }

  /**
   * Adds the schemas provisioned since this codec was made (a running sink reads them from the
   * metadata record it polls): a backfill of a changed query produces documents in a schema
   * provisioned after the sink started, and the running sinks are the ones that write them.
   */
  learn(schemas: Record<string, string>): void {
    for (const [fingerprint, json] of Object.entries(schemas)) {
      if (!this.types.has(fingerprint)) this.types.set(fingerprint, avro.Type.forSchema(JSON.parse(json) as avro.Schema));
    }
  }

  knows(fingerprint: string): boolean {
    return this.types.has(fingerprint);
  }

  /** A Kafka message for the documents topic: key = id, value = Avro (null for a delete). */
  toMessage(record: DocumentRecord): Message {
    const headers: IHeaders = {
      [DOCUMENT_HEADERS.schema]: this.currentFingerprint,
      [DOCUMENT_HEADERS.version]: String(record.version),
    };
    if (record.eventTsMs !== null) headers[DOCUMENT_HEADERS.eventTs] = String(record.eventTsMs);
    const value = record.document === null ? null : (this.types.get(this.currentFingerprint) as avro.Type).toBuffer(record.document);
    if (value !== null && value.length > this.maxDocumentBytes) throw new DocumentTooLargeError(record.id, value.length, this.maxDocumentBytes);
    return { key: record.id, value, headers };
  }

  /** Reads a documents-topic message back; throws with the reason when it cannot. */
  fromMessage(message: { key: Buffer | null; value: Buffer | null; headers?: IHeaders }): DocumentRecord {
    const head = this.readHeaders(message);
    return { ...head.record, document: message.value === null ? null : this.decodeValue(head.record.id, head.fingerprint, message.value) };
  }

  /**
   * What a message's key and headers say (the record without its document, and the schema its
   * value is written with); throws with the reason when they cannot be read. The cheap half of
   * fromMessage: the sink reads it on the event loop and may decode values elsewhere (decodeValue).
   */
  readHeaders(message: { key: Buffer | null; headers?: IHeaders }): { record: DocumentRecord; fingerprint: string } {
    const id = message.key?.toString('utf8');
    if (!id) throw new Error('document message without a key');
    const version = Number(header(message.headers, DOCUMENT_HEADERS.version));
    if (!Number.isSafeInteger(version)) throw new Error(`document ${id} has no valid ${DOCUMENT_HEADERS.version} header`);
    const eventTs = header(message.headers, DOCUMENT_HEADERS.eventTs);
    const eventTsMs = eventTs === undefined ? null : Number(eventTs);
    // Checked before anything is written: a bad header found after the write would fail the batch
    // again on every redelivery and hold its partition for good.
    if (eventTsMs !== null && !(Number.isSafeInteger(eventTsMs) && eventTsMs >= 0)) {
      throw new Error(`document ${id} has an invalid ${DOCUMENT_HEADERS.eventTs} header (${JSON.stringify(String(eventTs).slice(0, 40))}): not a time in milliseconds`);
    }
    const onlyInto = header(message.headers, DOCUMENT_HEADERS.onlyInto);
    const record: DocumentRecord = { id, document: null, version, eventTsMs, ...(onlyInto ? { onlyInto } : {}) };
    return { record, fingerprint: header(message.headers, DOCUMENT_HEADERS.schema) ?? '' };
  }

  /** Document `id`'s Avro value, written with schema `fingerprint`, decoded; throws with the reason when it cannot be. */
  decodeValue(id: string, fingerprint: string, value: Uint8Array): Record<string, unknown> {
    const type = this.types.get(fingerprint);
    if (!type) throw new UnknownSchemaError(`document ${id} was written with Avro schema ${fingerprint || '(none)'}, which is not provisioned`);
    if (value.length > this.maxDocumentBytes) throw new DocumentTooLargeError(id, value.length, this.maxDocumentBytes);
    // avsc reads Buffers; a view of the same bytes costs no copy.
    const bytes = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.length);
    const problem = avroBoundsProblem(type, bytes);
    if (problem) throw new Error(`document ${id} is not valid Avro of schema ${fingerprint}: ${problem}`);
    // Avro decodes records to instances of generated classes whose fields are own properties and
    // whose methods are on the prototype: the bulk request's JSON.stringify writes exactly the
    // document, so no copy into plain objects (which cost a stringify and a parse per document).
    return type.fromBuffer(bytes) as Record<string, unknown>;
  }

  /** The schemas this codec reads, by fingerprint, and its limits: enough to build the same codec in a worker thread. */
  get settings(): DocumentCodecSettings {
    return { schemas: this.schemas, currentFingerprint: this.currentFingerprint, maxDocumentBytes: this.maxDocumentBytes };
  }
}

/** What a DocumentCodec is built from (`new DocumentCodec(s.schemas, s.currentFingerprint, s)`). */
export interface DocumentCodecSettings {
  schemas: Record<string, string>;
  currentFingerprint: string;
  maxDocumentBytes: number;
}

export class DocumentTooLargeError extends Error {
  override readonly name = 'DocumentTooLargeError';

  constructor(id: string, bytes: number, limit: number) {
    super(`document ${id} is ${bytes} bytes in Avro; at most ${limit} are allowed (pipeline.maxDocumentBytes)`);
  }
}

export class UnknownSchemaError extends Error {
  override readonly name = 'UnknownSchemaError';
}

export function header(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  if (value === undefined) return undefined;
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}
