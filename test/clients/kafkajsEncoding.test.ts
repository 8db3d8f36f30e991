import fc from 'fast-check';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { growEncodersWithoutZeroing, speedUpKafkajsEncoding, type EncoderClass } from '../../src/clients/kafkajsEncoding.ts';
import { kafkajsInternalPath } from '../../src/clients/kafkajsInternals.ts';
import { runModuleScript } from '../support/moduleScript.ts';

const require = createRequire(import.meta.url);
type RecordEncoder = (record: { offsetDelta: number; key: Buffer; value: Buffer; headers: Record<string, string> }) => { buffer: Buffer };

/** Fresh copies of kafkajs's encoder and record encoder (the process-wide ones stay as they are). */
function freshKafkajsEncoding(): { Encoder: EncoderClass; encodeRecord: RecordEncoder; restore(): void } {
  const paths = ['protocol/encoder.js', 'protocol/recordBatch/header/v0/index.js', 'protocol/recordBatch/record/v0/index.js'].map((path) =>
    kafkajsInternalPath(path),
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

/** Grown buffers full of 0xff: whatever uninitialised memory holds, so any byte an encoder forgot to write shows. */
let grown = 0;
const garbage = (size: number): Buffer => (grown++, Buffer.alloc(size, 0xff));

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
      expect(growEncodersWithoutZeroing(Encoder, garbage)).toBe(true);
      records.forEach((record, i) => {
        expect(encodeRecord(record).buffer.equals(released[i] as Buffer)).toBe(true);
      });
      // The records were large enough for the encoders to grow, into garbage, many times.
      expect(grown).toBeGreaterThan(100);
    } finally {
      restore();
    }
  });

  it('leaves any other kafkajs release alone, and this one when FEDSEARCH_KAFKAJS_ENCODING_FIX=off', () => {
    expect(speedUpKafkajsEncoding({}, '2.2.3')).toEqual({ encoderGrowth: false, nativeChecksum: false });
    expect(speedUpKafkajsEncoding({ FEDSEARCH_KAFKAJS_ENCODING_FIX: 'off' }, '2.2.4')).toEqual({ encoderGrowth: false, nativeChecksum: false });
  });
});

describe('kafkajs record batch checksum', () => {
  // In a process of its own: the checksum can only be put in place before kafkajs first loads.
  const script = (env: string): string => `
    process.env.FEDSEARCH_KAFKAJS_ENCODING_FIX = ${JSON.stringify(env)};
    const { createRequire } = await import('node:module');
    const { randomBytes } = await import('node:crypto');
    await import(${JSON.stringify(new URL('../../src/clients/kafkajs.ts', import.meta.url).pathname)});
    const require = createRequire(${JSON.stringify(import.meta.url)});
    const used = require('kafkajs/src/protocol/recordBatch/crc32C/index.js');
    const released = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js');
    let same = 0;
    const sizes = [0, 1, 7, 8, 9, 63, 64, 65, 1000, 4096, 100000];
    for (const size of sizes) for (let i = 0; i < 20; i++) {
      const bytes = randomBytes(size);
      if (used(bytes) === released(bytes)) same++;
    }
    console.log(JSON.stringify({ native: used.name === 'nativeCrc32c', same, of: sizes.length * 20 }));`;

  it('is computed natively once kafkajs is loaded through src/clients/kafkajs.ts, with the same values as kafkajs computes', () => {
    const child = runModuleScript(script(''));
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual({ native: true, same: 220, of: 220 });
  });

  it('stays kafkajs\'s own with FEDSEARCH_KAFKAJS_ENCODING_FIX=off', () => {
    expect(JSON.parse(runModuleScript(script('off')).stdout)).toEqual({ native: false, same: 220, of: 220 });
  });
});
