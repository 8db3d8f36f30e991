import { createRequire, Module } from 'node:module';
import { kafkajsInternal, kafkajsInternalPath, kafkajsVersion, KNOWN_KAFKAJS_RELEASE } from './kafkajsInternals.ts';

const require = createRequire(import.meta.url);

/** The internals of kafkajs's protocol encoder that the change touches. */
export interface EncoderInternals {
  buf: Buffer;
  offset: number;
  ensureAvailable(length: number): void;
}

export type EncoderClass = { prototype: EncoderInternals; nextPowerOfTwo(value: number): number };

/** kafkajs's module computing a record batch's CRC-32C (Castagnoli), as kafkajs requires it. */
const CHECKSUM_MODULE = 'protocol/recordBatch/crc32C/index.js';

/**
 * Producing a document costs the enrich stage more in kafkajs's encoding than anywhere else: two
 * changes to its 2.2.4 release (the last; the project is unmaintained), both off with
 * FEDSEARCH_KAFKAJS_ENCODING_FIX=off, both only on that release.
 *
 * 1. Encoders grow without zero-filling. kafkajs encodes every record in its own encoder, which
 *    starts at 512 bytes and grows by allocating a zero-filled buffer twice the size and copying:
 *    for a document of a few KiB one or two such allocations per message (6,000 2 KiB records with
 *    three headers: ~210 ms of CPU as released, ~120 ms with this). The encoder writes every byte
 *    it hands out (its `buffer` is the part up to `offset`), so `Buffer.allocUnsafe` does.
 * 2. The record batch checksum is computed natively. kafkajs computes CRC-32C a byte at a time in
 *    JavaScript (4% of an indexer's CPU on a fast graph); @node-rs/crc32 uses the CPU's CRC32
 *    instruction (16× less CPU on 20 MB). kafkajs takes the function when it loads, so this must
 *    run before kafkajs is first required (src/clients/kafkajs.ts orders it); without the native
 *    package for this platform, kafkajs keeps its own.
 *
 * Returns what was applied.
 */
export function speedUpKafkajsEncoding(env = process.env, version = kafkajsVersion()): { encoderGrowth: boolean; nativeChecksum: boolean } {
  if (version !== KNOWN_KAFKAJS_RELEASE || env['FEDSEARCH_KAFKAJS_ENCODING_FIX'] === 'off') return { encoderGrowth: false, nativeChecksum: false };
  const nativeChecksum = useNativeChecksum();
  return { encoderGrowth: growEncodersWithoutZeroing(), nativeChecksum };
}

/** `allocate` is how a grown buffer is made: uninitialised memory here; a test passes memory full of garbage on purpose. */
export function growEncodersWithoutZeroing(
  encoder: EncoderClass = kafkajsInternal<EncoderClass>('protocol/encoder.js'),
  allocate: (size: number) => Buffer = Buffer.allocUnsafe,
): boolean {
  encoder.prototype.ensureAvailable = function ensureAvailable(this: EncoderInternals, length: number): void {
    if (this.offset + length <= this.buf.length) return;
    const grown = allocate(encoder.nextPowerOfTwo(this.offset + length));
    this.buf.copy(grown, 0, 0, this.offset);
    this.buf = grown;
  };
  return true;
}

/** Puts the native CRC-32C where kafkajs will require its own; false when kafkajs already has its own or the native package does not load. */
function useNativeChecksum(): boolean {
  const path = kafkajsInternalPath(CHECKSUM_MODULE);
  if (require.cache[path]) return false;
  let crc32c: (input: Buffer) => number;
  try {
    crc32c = (require('@node-rs/crc32') as { crc32c: (input: Buffer) => number }).crc32c;
  } catch {
    return false;
  }
  const checksum = new Module(path);
  checksum.filename = path;
  checksum.loaded = true;
  checksum.exports = function nativeCrc32c(buffer: Buffer): number {
    return crc32c(buffer);
  };
  require.cache[path] = checksum;
  return true;
}
