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
});
