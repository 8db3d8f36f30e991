import { describe, expect, it } from 'vitest';
import { DocumentCodec } from '../../src/pipeline/documentCodec.ts';
import { sharedDecoding } from '../../src/pipeline/sinkDecoding.ts';
import { filmCodec } from './stageFakes.ts';

const bookCodec = new DocumentCodec(
  { b1: JSON.stringify({ type: 'record', name: 'Book', fields: [{ name: 'isbn', type: 'string' }, { name: 'pages', type: 'int' }] }) },
  'b1',
);
const encoded = (codec: DocumentCodec, id: string, document: Record<string, unknown>) => ({
  id,
  fingerprint: codec.currentFingerprint,
  value: codec.toMessage({ id, document, version: 1, eventTsMs: null }).value as Buffer,
});

describe('sharedDecoding', () => {
  it("serves every index of the process from one pool, each with its own codec, and stops it with the last index's close", async () => {
    const films = filmCodec();
    const filmSide = sharedDecoding(films, 2);
    const bookSide = sharedDecoding(bookCodec, 2);
    const [filmJson, bookJson] = await Promise.all([
      filmSide.decode([encoded(films, 'f1', { filmId: 'f1', title: 'One' }), encoded(films, 'f2', { filmId: 'f2', title: null }), encoded(films, 'f3', { filmId: 'f3', title: 'Three' })], 'films.documents partition 0'),
      bookSide.decode([encoded(bookCodec, 'b1', { isbn: 'b1', pages: 320 })], 'books.documents partition 0'),
    ]);
    // Split over both workers, answered in the order asked.
    expect(filmJson).toEqual(['{"filmId":"f1","title":"One"}', '{"filmId":"f2","title":null}', '{"filmId":"f3","title":"Three"}']);
    expect(bookJson).toEqual(['{"isbn":"b1","pages":320}']);
    await filmSide.close();
    // Still running for the books index.
    expect(await bookSide.decode([encoded(bookCodec, 'b2', { isbn: 'b2', pages: 1 })], 'books.documents partition 1')).toEqual(['{"isbn":"b2","pages":1}']);
    await bookSide.close();
    await expect(bookSide.decode([encoded(bookCodec, 'b3', { isbn: 'b3', pages: 1 })], 'books.documents partition 2')).rejects.toThrow(
      'sink decode workers (books.documents partition 2): the worker pool is closed',
    );
  });

  it('answers a document that cannot be read with its reason, not an exception, beside the ones that can', async () => {
    const films = filmCodec();
    const side = sharedDecoding(films, 1);
    try {
      const decoded = await side.decode(
        [encoded(films, 'f1', { filmId: 'f1', title: 'One' }), { id: 'f2', fingerprint: 'nope', value: new Uint8Array([2, 0]) }, { id: 'f3', fingerprint: 'f1', value: new Uint8Array([0x7f]) }],
        'films.documents partition 0',
      );
      expect(decoded).toEqual([
        '{"filmId":"f1","title":"One"}',
        { error: 'document f2 was written with Avro schema nope, which is not provisioned' },
        { error: expect.stringMatching(/^document f3 is not valid Avro of schema f1: /) },
      ]);
    } finally {
      await side.close();
    }
  });
});
