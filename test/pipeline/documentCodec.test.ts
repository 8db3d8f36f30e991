import { describe, expect, it } from 'vitest';
import { DocumentCodec } from '../../src/pipeline/documentCodec.ts';
import { apiSchema, gatewayDocuments, MOVIE_QUERY } from '../generate/demoMovies.ts';
import { avroOf } from '../generate/queryModel.ts';

describe('DocumentCodec', () => {
  it('reads back a document that serializes to exactly the JSON the gateway answered (what the bulk request sends)', () => {
    const { schema } = avroOf(apiSchema, MOVIE_QUERY, { index: 'movies' });
    const codec = new DocumentCodec({ m1: JSON.stringify(schema) }, 'm1');
    const documents = gatewayDocuments(30);
    expect(documents.some((document) => Array.isArray(document['cast']) && document['cast'].length > 0)).toBe(true);
    for (const [n, document] of documents.entries()) {
      const message = codec.toMessage({ id: `mov-${n}`, document, version: n + 1, eventTsMs: 1_000 + n });
      const record = codec.fromMessage({ key: Buffer.from(String(message.key)), value: message.value as Buffer, headers: message.headers ?? {} });
      expect(JSON.stringify(record.document)).toBe(JSON.stringify(document));
      expect(record).toMatchObject({ id: `mov-${n}`, version: n + 1, eventTsMs: 1_000 + n });
    }
  });

  it('reads documents of a schema provisioned after it was made once it has learned it (a backfill of a changed query)', () => {
    const { schema } = avroOf(apiSchema, MOVIE_QUERY, { index: 'movies' });
    const json = JSON.stringify(schema);
    const writer = new DocumentCodec({ m1: json, m2: json }, 'm2');
    const sink = new DocumentCodec({ m1: json }, 'm1');
    const [document] = gatewayDocuments(1);
    const message = writer.toMessage({ id: 'mov-1', document: document ?? null, version: 1, eventTsMs: null });
    const read = () => sink.fromMessage({ key: Buffer.from('mov-1'), value: message.value as Buffer, headers: message.headers ?? {} });
    expect(read).toThrow(/written with Avro schema m2, which is not provisioned/);
    sink.learn({ m1: json, m2: json });
    expect(read().id).toBe('mov-1');
  });
});
