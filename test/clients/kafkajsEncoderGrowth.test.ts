import fc from 'fast-check';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { growEncodersWithoutZeroing, type EncoderClass } from '../../src/clients/kafkajsEncoderGrowth.ts';

const require = createRequire(import.meta.url);
type RecordEncoder = (record: { offsetDelta: number; key: Buffer; value: Buffer; headers: Record<string, string> }) => { buffer: Buffer };

/** Fresh copies of kafkajs's encoder and record encoder (the process-wide ones stay as they are). */
function freshKafkajsEncoding(): { Encoder: EncoderClass; encodeRecord: RecordEncoder; restore(): void } {
  const paths = ['protocol/encoder.js', 'protocol/recordBatch/header/v0/index.js', 'protocol/recordBatch/record/v0/index.js'].map((path) =>
    require.resolve(`kafkajs/src/${path}`),
  );
  const kept = paths.map((path) => require.cache[path]);
  for (const path of paths) delete require.cache[path];
  const Encoder = require(paths[0] as string) as EncoderClass;
  const encodeRecord = require(paths[2] as string) as RecordEncoder;
  return {
    Encoder,
    encodeRecord,
    restore: () => paths.forEach((path, i) => (kept[i] ? (require.cache[path] = kept[i]) : delete require.cache[path])),
  };
}

/** Leaves recently freed pool memory full of 0xff, so bytes an encoder forgets to write show up. */
function dirtyBufferPool(): void {
  for (let i = 0; i < 8; i++) Buffer.allocUnsafe(2_000).fill(0xff);
}

describe('kafkajs encoder growth without zero-filling', () => {
  it('encodes every record byte for byte as kafkajs does as released', () => {
    const { Encoder, encodeRecord, restore } = freshKafkajsEncoding();
    try {
      const records = fc.sample(
        fc.record({
          offsetDelta: fc.nat({ max: 500 }),
          key: fc.string({ minLength: 1, maxLength: 40 }).map((s) => Buffer.from(s)),
          // size 'max': fast-check otherwise keeps arrays and strings short, and no encoder would grow.
          value: fc.uint8Array({ maxLength: 9_000, size: 'max' }).map((bytes) => Buffer.from(bytes)),
          headers: fc.dictionary(fc.string({ minLength: 1, maxLength: 30 }), fc.string({ maxLength: 3_000, size: 'max' }), { maxKeys: 4 }),
        }),
        { numRuns: 300, seed: 11 },
      );
      const released = records.map((record) => Buffer.from(encodeRecord(record).buffer));
      expect(growEncodersWithoutZeroing(Encoder, '2.2.4', {})).toBe(true);
      records.forEach((record, i) => {
        dirtyBufferPool();
        expect(encodeRecord(record).buffer.equals(released[i] as Buffer)).toBe(true);
      });
    } finally {
      restore();
    }
  });

  it('leaves any other kafkajs release alone, and this one when FEDSEARCH_KAFKAJS_ENCODER_FIX=off', () => {
    const ensureAvailable = (): void => undefined;
    const encoder = { prototype: { buf: Buffer.alloc(0), offset: 0, ensureAvailable }, nextPowerOfTwo: (n: number) => n };
    expect(growEncodersWithoutZeroing(encoder, '2.2.3', {})).toBe(false);
    expect(growEncodersWithoutZeroing(encoder, '2.2.4', { FEDSEARCH_KAFKAJS_ENCODER_FIX: 'off' })).toBe(false);
    expect(encoder.prototype.ensureAvailable).toBe(ensureAvailable);
  });
});
