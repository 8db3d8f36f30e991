import { describe, expect, it } from 'vitest';
import { decodeChangeEvent, MAX_EVENT_DEPTH } from '../../src/pipeline/decodeChangeEvent.ts';

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const byPath = { idPath: 'after.movieId', idFromKey: false };

describe('decodeChangeEvent', () => {
  it("says whether the row exists after the event when the envelope's op does, and nothing without an op", () => {
    const exists = (body: Record<string, unknown>, source: Parameters<typeof decodeChangeEvent>[1] = byPath) => {
      const result = decodeChangeEvent({ key: Buffer.from('mov-1'), value: json(body) }, source);
      return result.ok && result.event ? result.event.exists : 'not read';
    };
    expect(exists({ op: 'c', after: { movieId: 'mov-1' } })).toBe(true);
    expect(exists({ op: 'u', after: { movieId: 'mov-1' } })).toBe(true);
    expect(exists({ op: 'd', before: { movieId: 'mov-1' } })).toBe(false);
    expect(exists({ after: { movieId: 'mov-1' } })).toBeUndefined();
    expect(exists({ op: 'd' }, { idPath: null, idFromKey: true })).toBe(false);
  });

  it('reads the id and source time from a CDC envelope', () => {
    const message = { key: Buffer.from('mov-1'), value: json({ op: 'u', before: {}, after: { movieId: 'mov-1' }, ts_ms: 1700 }) };
    expect(decodeChangeEvent(message, byPath)).toEqual({ ok: true, event: expect.objectContaining({ id: 'mov-1', tsMs: 1700 }) });
  });

  it('falls back to before for a delete', () => {
    const message = { key: null, value: json({ op: 'd', before: { movieId: 'mov-2' }, after: null, ts_ms: 5 }) };
    expect(decodeChangeEvent(message, byPath)).toEqual({ ok: true, event: expect.objectContaining({ id: 'mov-2', tsMs: 5 }) });
  });

  it('takes numeric ids as strings and the key when configured', () => {
    expect(decodeChangeEvent({ key: null, value: json({ after: { movieId: 42 } }) }, byPath)).toEqual({ ok: true, event: expect.objectContaining({ id: '42', tsMs: null }) });
    expect(decodeChangeEvent({ key: Buffer.from('mov-9'), value: null }, { idPath: null, idFromKey: true })).toEqual({
      ok: true,
      event: expect.objectContaining({ id: 'mov-9', tsMs: null }),
    });
  });

  it('keeps the exact digits of an integer id above 2^53', () => {
    const message = { key: null, value: Buffer.from('{"after":{"movieId":9007199254740993},"ts_ms":7}') };
    expect(decodeChangeEvent(message, byPath)).toEqual({ ok: true, event: expect.objectContaining({ id: '9007199254740993', tsMs: 7 }) });
  });

  it('refuses an id longer than 512 bytes, from the value or the key', () => {
    const long = 'é'.repeat(257);
    expect(decodeChangeEvent({ key: null, value: json({ after: { movieId: long } }) }, byPath)).toEqual({
      ok: false,
      reason: 'the id is 514 bytes long; at most 512 are allowed',
    });
    expect(decodeChangeEvent({ key: Buffer.from('k'.repeat(513)), value: null }, { idPath: null, idFromKey: true })).toMatchObject({ ok: false });
    expect(decodeChangeEvent({ key: null, value: json({ after: { movieId: 'é'.repeat(256) } }) }, byPath)).toMatchObject({ ok: true });
  });

  it('explains why an event cannot be used', () => {
    expect(decodeChangeEvent({ key: null, value: Buffer.from('{not json') }, byPath)).toMatchObject({ ok: false, reason: expect.stringMatching(/^value is not JSON/) });
    expect(decodeChangeEvent({ key: null, value: json({ after: { title: 'x' } }) }, byPath)).toEqual({ ok: false, reason: 'no id at after.movieId or before.movieId' });
    expect(decodeChangeEvent({ key: null, value: json({ after: { movieId: ['a'] } }) }, byPath)).toEqual({ ok: false, reason: 'the id at after.movieId is a list, not a string or number' });
    expect(decodeChangeEvent({ key: null, value: null }, byPath)).toEqual({ ok: false, reason: 'message has no value (tombstone)' });
    expect(decodeChangeEvent({ key: null, value: null }, { idPath: null, idFromKey: true })).toEqual({ ok: false, reason: 'message has no key to take the id from' });
  });

  it('dead-letters an event nested deeper than the cap, a big integer id inside it included, instead of throwing', () => {
    const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;
    // 20,000 levels overflowed the stack of the exact-digits re-parse: the batch failed on every retry.
    const bomb = { key: null, value: Buffer.from(`{"after":{"movieId":9007199254740993,"x":${nested(20_000)}},"ts_ms":1}`) };
    expect(decodeChangeEvent(bomb, byPath)).toEqual({ ok: false, reason: `value nests deeper than ${MAX_EVENT_DEPTH} levels of arrays and objects` });
    // Up to the cap (the envelope is one level, after another) the exact digits are still read.
    const deepest = { key: null, value: Buffer.from(`{"after":{"movieId":9007199254740993,"x":${nested(MAX_EVENT_DEPTH - 2)}}}`) };
    expect(decodeChangeEvent(deepest, byPath)).toEqual({ ok: true, event: expect.objectContaining({ id: '9007199254740993', tsMs: null }) });
    const oneDeeper = { key: null, value: Buffer.from(`{"after":{"movieId":9007199254740993,"x":${nested(MAX_EVENT_DEPTH - 1)}}}`) };
    expect(decodeChangeEvent(oneDeeper, byPath)).toMatchObject({ ok: false });
    // Brackets inside strings are text, not nesting.
    const bracketsInText = { key: null, value: json({ after: { movieId: 9, title: '['.repeat(10_000) } }) };
    expect(decodeChangeEvent(bracketsInText, byPath)).toEqual({ ok: true, event: expect.objectContaining({ id: '9', tsMs: null }) });
  });

  it('takes the id from the key of an event whose value nests too deep, without its time', () => {
    const message = { key: Buffer.from('mov-3'), value: Buffer.from(`{"ts_ms":5,"x":${'['.repeat(5_000)}${']'.repeat(5_000)}}`) };
    expect(decodeChangeEvent(message, { idPath: null, idFromKey: true })).toEqual({ ok: true, event: expect.objectContaining({ id: 'mov-3', tsMs: null }) });
  });

  it('ignores a ts_ms that is not a time in milliseconds since 1970, and still reads the event', () => {
    for (const ts of [-1, 1e308, 1.5, 2 ** 53, '1700']) {
      expect(decodeChangeEvent({ key: null, value: json({ after: { movieId: 'mov-4' }, ts_ms: ts }) }, byPath), `ts_ms ${ts}`).toEqual({
        ok: true,
        event: expect.objectContaining({ id: 'mov-4', tsMs: null }),
      });
    }
    expect(decodeChangeEvent({ key: null, value: json({ after: { movieId: 'mov-4' }, ts_ms: 0 }) }, byPath)).toEqual({ ok: true, event: expect.objectContaining({ id: 'mov-4', tsMs: 0 }) });
  });
});
