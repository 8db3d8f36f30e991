import { kafkajsInternal, kafkajsVersion, KNOWN_KAFKAJS_RELEASE } from './kafkajsInternals.ts';

/** The internals of kafkajs's protocol encoder that the change touches. */
export interface EncoderInternals {
  buf: Buffer;
  offset: number;
  ensureAvailable(length: number): void;
}

export type EncoderClass = { prototype: EncoderInternals; nextPowerOfTwo(value: number): number };

/**
 * kafkajs encodes every record of a produce request in its own encoder, which starts at 512
 * bytes and grows by allocating a zero-filled buffer twice the size and copying: for a document of
 * a few KiB, one or two zero-filled allocations per message, the largest part of what producing
 * costs the enrich stage (a microbenchmark of 6,000 2 KiB records with three headers: ~210 ms of
 * CPU as released, ~120 ms with this). The encoder writes every byte it hands out (its `buffer`
 * is the part up to `offset`), so the grown buffer need not be zeroed: this replaces that one
 * method to grow with `Buffer.allocUnsafe`. Applied once, only to the release it was written
 * against, unless FEDSEARCH_KAFKAJS_ENCODER_FIX=off.
 */
export function growEncodersWithoutZeroing(encoder: EncoderClass = loadEncoder(), version = kafkajsVersion(), env = process.env): boolean {
  if (version !== KNOWN_KAFKAJS_RELEASE || env['FEDSEARCH_KAFKAJS_ENCODER_FIX'] === 'off') return false;
  encoder.prototype.ensureAvailable = function ensureAvailable(this: EncoderInternals, length: number): void {
    if (this.offset + length <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(encoder.nextPowerOfTwo(this.offset + length));
    this.buf.copy(grown, 0, 0, this.offset);
    this.buf = grown;
  };
  return true;
}

export function loadEncoder(): EncoderClass {
  return kafkajsInternal<EncoderClass>('protocol/encoder.js');
}
