import avro from 'avsc';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateAvroSchema } from '../../src/generate/generateAvroSchema.ts';
import { avroBoundsProblem } from '../../src/pipeline/avroBounds.ts';
import { DocumentCodec } from '../../src/pipeline/documentCodec.ts';
import { moviesIndex } from '../search/moviesIndex.ts';

const loaded = moviesIndex();
const movieType = avro.Type.forSchema(generateAvroSchema(loaded.shape, loaded.config).schema as avro.Schema);
const listOfStrings = avro.Type.forSchema({ type: 'array', items: 'string' });

/** Zig-zag varint, as Avro writes longs; in BigInt, exact beyond 2^53 (avsc refuses to write longs near it). */
const varint = (n: number | bigint): number[] => {
  const v = BigInt(n);
  let z = v >= 0n ? v * 2n : -v * 2n - 1n;
  const bytes: number[] = [];
  while (z >= 0x80n) {
    bytes.push(Number(z % 0x80n) | 0x80);
    z /= 0x80n;
  }
  bytes.push(Number(z));
  return bytes;
};

describe('avroBoundsProblem', () => {
  it('9 bytes claiming a 40-million-element array are refused at once, before avsc allocates anything', () => {
    const bomb = Buffer.from([...varint(40_000_000), 0x02, 0x61, 0x00]);
    expect(bomb.length).toBeLessThanOrEqual(9);
    expect(avroBoundsProblem(listOfStrings, bomb)).toBe('the value: a block of 40000000 elements in 3 bytes');
  });

  it('refuses a string longer than the bytes left, a negative length, a number past 10 bytes and trailing bytes', () => {
    expect(avroBoundsProblem(avro.Type.forSchema('string'), Buffer.from([...varint(1_000), 0x61]))).toBe('the value: a length of 1000 with 1 bytes left');
    expect(avroBoundsProblem(avro.Type.forSchema('string'), Buffer.from(varint(-3)))).toMatch(/a length of -3/);
    expect(avroBoundsProblem(avro.Type.forSchema('long'), Buffer.alloc(11, 0xff))).toBe('the value: a number longer than 10 bytes');
    expect(avroBoundsProblem(avro.Type.forSchema('long'), Buffer.from([0x02, 0x02]))).toBe('1 byte(s) left over after the value');
  });

  it('reads every count exactly, positive and negative, up to the largest safe integer, and refuses 2^53', () => {
    const longType = avro.Type.forSchema('long');
    const listOfNulls = avro.Type.forSchema({ type: 'array', items: 'null' });
    fc.assert(
      fc.property(fc.integer({ min: 100_001, max: Number.MAX_SAFE_INTEGER }), (count) => {
        const claim = Buffer.from([...varint(count), 0x00]);
        expect(avroBoundsProblem(listOfNulls, claim)).toBe(`the value: a block of ${count} elements in 1 bytes`);
      }),
      { numRuns: 2_000 },
    );
    // A negative count is followed by the block's size in bytes (here 0), and read as its magnitude.
    fc.assert(
      fc.property(fc.integer({ min: Number.MIN_SAFE_INTEGER, max: -100_001 }), (count) => {
        const claim = Buffer.from([...varint(count), ...varint(0)]);
        expect(avroBoundsProblem(listOfNulls, claim)).toBe(`the value: a block of ${-count} elements in 0 bytes`);
      }),
      { numRuns: 2_000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), (n) => {
        expect(avroBoundsProblem(longType, Buffer.from(varint(n)))).toBeNull();
      }),
      { numRuns: 2_000 },
    );
    for (const n of [Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 0, -1, 2 ** 49, -(2 ** 49) - 1]) {
      expect(avroBoundsProblem(longType, Buffer.from(varint(n)))).toBeNull();
    }
    for (const n of [2n ** 53n, -(2n ** 53n), 2n ** 53n + 2n, 2n ** 62n]) {
      expect(avroBoundsProblem(longType, Buffer.from(varint(n)))).toBe('the value: a number beyond 2^53');
    }
  });

  it('names the field of the movie document where a cut-short value ends', () => {
    for (let i = 0; i < 50; i++) {
      const good = movieType.toBuffer(movieType.random());
      const problem = avroBoundsProblem(movieType, good.subarray(0, good.length - 1));
      expect(problem).toMatch(/^(the value|[a-zA-Z][\w.[\]{}]*): /);
    }
  });

  it('accepts every value avsc writes', () => {
    for (let i = 0; i < 300; i++) {
      const value = movieType.random();
      expect(avroBoundsProblem(movieType, movieType.toBuffer(value))).toBeNull();
    }
  });

  it('walks recursive records and maps, naming where a cut-short value ends', () => {
    const node = avro.Type.forSchema({
      type: 'record',
      name: 'Node',
      fields: [
        { name: 'label', type: 'string' },
        { name: 'tags', type: { type: 'map', values: { type: 'array', items: 'long' } } },
        { name: 'next', type: ['null', 'Node'] },
      ],
    });
    const list = { label: 'a', tags: { x: [1, 2] }, next: { label: 'b', tags: {}, next: { label: 'c', tags: { y: [300] }, next: null } } };
    const encoded = node.toBuffer(list);
    expect(avroBoundsProblem(node, encoded)).toBeNull();
    for (let i = 0; i < 100; i++) expect(avroBoundsProblem(node, node.toBuffer(node.random()))).toBeNull();
    expect(avroBoundsProblem(node, encoded.subarray(0, encoded.length - 1))).toBe('next.next.next: the value ends inside a number');
    expect(avroBoundsProblem(node, encoded.subarray(0, encoded.length - 4))).toBe('next.next.tags[0][0]: the value ends inside a number');
  });

  it('on random bytes, says what is wrong or lets through only what avsc decodes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const buffer = Buffer.from(bytes);
        const problem = avroBoundsProblem(movieType, buffer);
        if (problem === null) expect(() => movieType.fromBuffer(buffer)).not.toThrow();
        else expect(typeof problem).toBe('string');
      }),
      { numRuns: 5_000 },
    );
  });
});

describe('the document size cap', () => {
  const schemas = { m1: JSON.stringify(generateAvroSchema(loaded.shape, loaded.config).schema) };

  it('a document over pipeline.maxDocumentBytes is refused on produce, naming its id', () => {
    const codec = new DocumentCodec(schemas, 'm1', { maxDocumentBytes: 200 });
    const big = { ...(movieType.random() as unknown as Record<string, unknown>), movieId: 'mov-1', title: 'x'.repeat(500) };
    expect(() => codec.toMessage({ id: 'mov-1', document: big, version: 1, eventTsMs: null })).toThrow(
      /^document mov-1 is \d+ bytes in Avro; at most 200 are allowed \(pipeline\.maxDocumentBytes\)$/,
    );
  });

  it('a documents-topic value over the cap, or out of bounds, is refused on read with the reason', () => {
    const codec = new DocumentCodec(schemas, 'm1', { maxDocumentBytes: 200 });
    const headers = { 'fedsearch-schema': 'm1', 'fedsearch-version': '1' };
    expect(() => codec.fromMessage({ key: Buffer.from('mov-2'), value: Buffer.alloc(201), headers })).toThrow(
      'document mov-2 is 201 bytes in Avro; at most 200 are allowed (pipeline.maxDocumentBytes)',
    );
    expect(() => codec.fromMessage({ key: Buffer.from('mov-3'), value: Buffer.from([...varint(9), ...varint(40_000_000)]), headers })).toThrow(
      /^document mov-3 is not valid Avro of schema m1: /,
    );
  });
});
