import { describe, expect, it } from 'vitest';
import type { KeyPart } from '../../src/graph/entityKey.ts';
import { decodeChangeEvent, MAX_EVENT_DEPTH } from '../../src/pipeline/decodeChangeEvent.ts';
import { capturedMessages, changePayload, COMMIT_TIME_MS, heartbeat, keyOf, transactionEnd, withoutSchema, withSchema, type Row } from './debeziumMessages.ts';

const debezium = { topic: 'cdc.movies.public.movies', format: 'debezium' as const, idPath: 'id', idFromKey: false };
const envelopes = [
  ['with the schema envelope', withSchema],
  ['without it', withoutSchema],
] as const;
const row: Row = { id: 'mov-0000002', title: 'Final Cut' };
// With the default replica identity a delete's before holds the key; other NOT NULL columns are "".
const deletedRow: Row = { id: 'mov-0000002', title: '' };
// What the op says of the row (`exists`) has tests of its own below.
const decoded = (id: string, tsMs = COMMIT_TIME_MS) => ({ ok: true, event: expect.objectContaining({ id, tsMs }) });

describe('decoding Debezium change events', () => {
  it('says what the op leaves of the row: c, u and r keep it, d removes it', () => {
    const [read, created, updated, deleted] = capturedMessages().map((message) => decodeChangeEvent(message, debezium));
    expect([read, created, updated, deleted].map((result) => (result?.ok && result.event ? result.event.exists : 'not read'))).toEqual([true, true, true, false]);
  });

  it('reads what a real Debezium 3.6.1 worker sent: r, c, u, d with their commit times, then a tombstone', () => {
    expect(capturedMessages().map((message) => decodeChangeEvent(message, debezium))).toEqual([
      decoded('mov-0000001', 1796459871725),
      decoded('mov-0000002', 1796459872989),
      decoded('mov-0000002', 1796459873142),
      decoded('mov-0000002', 1796459873323),
      { ok: true, event: null, skipped: 'tombstone' },
    ]);
  });

  describe.each(envelopes)('%s', (_, value) => {
    it.each(['c', 'u', 'r'] as const)('reads the id from after for op %s, and the commit time from source.ts_ms', (op) => {
      const before = op === 'u' ? { id: 'mov-0000002', title: 'First Cut' } : null;
      expect(decodeChangeEvent({ key: keyOf({ id: 'mov-0000002' }), value: value(changePayload(op, before, row)) }, debezium)).toEqual(decoded('mov-0000002'));
    });

    it('reads a delete’s id from before, so the document is fetched again (and found gone)', () => {
      expect(decodeChangeEvent({ key: keyOf({ id: 'mov-0000002' }), value: value(changePayload('d', deletedRow, null)) }, debezium)).toEqual(decoded('mov-0000002'));
    });

    it('reads one column per key field of a composite key, numbers as numbers for an Int field', () => {
      const key: KeyPart[] = [
        { variable: 'sku', argument: 'sku', documentPath: 'sku', typeName: 'String', kind: 'string' },
        { variable: 'package', argument: 'package', documentPath: 'package', typeName: 'Int', kind: 'int' },
      ];
      const source = { ...debezium, idPath: null, idPaths: { sku: 'sku', package: 'pkg' } };
      const product = { sku: 'sku-7', pkg: 3, name: 'Boxed' };
      expect(decodeChangeEvent({ key: null, value: value(changePayload('u', product, product)) }, source, key)).toEqual(decoded('{"sku":"sku-7","package":3}'));
      expect(decodeChangeEvent({ key: null, value: value(changePayload('d', product, null)) }, source, key)).toEqual(decoded('{"sku":"sku-7","package":3}'));
      expect(decodeChangeEvent({ key: null, value: value(changePayload('c', null, { sku: 'sku-7', name: 'x' })) }, source, key)).toEqual({
        ok: false,
        reason: 'no id at after.pkg (key field package)',
      });
    });

    it('skips a heartbeat whose value is ts_ms only', () => {
      expect(decodeChangeEvent({ key: null, value: heartbeat(value === withSchema) }, debezium)).toEqual({ ok: true, event: null, skipped: 'heartbeat' });
    });
  });

  it('skips the tombstone after a delete, and every message of a heartbeat topic', () => {
    expect(decodeChangeEvent({ key: keyOf({ id: 'mov-0000002' }), value: null }, debezium)).toEqual({ ok: true, event: null, skipped: 'tombstone' });
    const heartbeats = { ...debezium, topic: '__debezium-heartbeat.cdc.movies' };
    expect(decodeChangeEvent({ key: Buffer.from('{"serverName":"cdc.movies"}'), value: heartbeat(true) }, heartbeats)).toEqual({ ok: true, event: null, skipped: 'heartbeat' });
  });

  it('skips transaction boundaries', () => {
    expect(decodeChangeEvent({ key: null, value: transactionEnd() }, debezium)).toEqual({ ok: true, event: null, skipped: 'transaction' });
  });

  it('takes `after.id` to mean the column id, and falls back to ts_ms without a source time', () => {
    const payload = changePayload('c', null, row);
    delete payload.source;
    expect(decodeChangeEvent({ key: null, value: withSchema(payload) }, { ...debezium, idPath: 'after.id' })).toEqual(decoded('mov-0000002', COMMIT_TIME_MS + 250));
  });

  it('keeps a big integer id exact', () => {
    const value = Buffer.from(withoutSchema(changePayload('c', null, { id: 1, title: 'x' })).toString().replace('"id":1', '"id":9007199254740993'));
    expect(decodeChangeEvent({ key: null, value }, debezium)).toEqual(decoded('9007199254740993'));
  });

  it('dead-letters what is not a change of one row, with the reason', () => {
    const truncate = { ...changePayload('c', null, null), op: 't' };
    expect(decodeChangeEvent({ key: null, value: withSchema(truncate) }, debezium)).toEqual({ ok: false, reason: 'Debezium op "t" is not a change of one row (c, u, r or d)' });
    expect(decodeChangeEvent({ key: null, value: withoutSchema(changePayload('d', null, null)) }, debezium)).toEqual({ ok: false, reason: 'a Debezium d event without its row in before' });
    expect(decodeChangeEvent({ key: null, value: Buffer.from('{"title":"x"}') }, debezium)).toEqual({ ok: false, reason: 'not a Debezium change event: it has no op' });
    expect(decodeChangeEvent({ key: null, value: Buffer.from('{not json') }, debezium)).toMatchObject({ ok: false, reason: expect.stringMatching(/^value is not JSON/) });
    expect(decodeChangeEvent({ key: null, value: withoutSchema(changePayload('c', null, { title: 'x' })) }, debezium)).toEqual({ ok: false, reason: 'no id at after.id' });
  });

  it('checks the nesting depth before parsing', () => {
    const bomb = { key: null, value: Buffer.from(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) };
    expect(decodeChangeEvent(bomb, debezium)).toEqual({ ok: false, reason: `value nests deeper than ${MAX_EVENT_DEPTH} levels of arrays and objects` });
    expect(decodeChangeEvent(bomb, { ...debezium, format: undefined })).toMatchObject({ ok: false });
  });
});

describe('an event source without a format', () => {
  const detected = { topic: 'studio.movie.changes', idPath: 'after.movieId', idFromKey: false };

  it('reads a Debezium event as Debezium’s, with its commit time, in either envelope', () => {
    for (const value of [withSchema, withoutSchema]) {
      expect(decodeChangeEvent({ key: null, value: value(changePayload('d', { movieId: 'mov-0000009', title: '' }, null)) }, detected)).toEqual(decoded('mov-0000009'));
    }
  });

  it('reads the application envelope as before, its source naming no connector', () => {
    const bare = { op: 'u', before: null, after: { movieId: 'mov-1' }, ts_ms: 1700, source: { service: 'movies', entity: 'Movie' } };
    expect(decodeChangeEvent({ key: null, value: Buffer.from(JSON.stringify(bare)) }, detected)).toEqual(decoded('mov-1', 1700));
    expect(decodeChangeEvent({ key: null, value: null }, detected)).toEqual({ ok: false, reason: 'message has no value (tombstone)' });
  });

  it('with format: bare, reads a Debezium event’s top-level ts_ms as the application envelope does', () => {
    const value = withoutSchema(changePayload('c', null, { movieId: 'mov-3' }));
    expect(decodeChangeEvent({ key: null, value }, { ...detected, format: 'bare' })).toEqual(decoded('mov-3', COMMIT_TIME_MS + 250));
  });
});
