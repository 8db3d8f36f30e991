import type { KafkaMessage } from '../../src/clients/kafkajs.ts';
import { describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../src/pipeline/deadLetters.ts';
import { EventCounts } from '../../src/pipeline/eventCounts.ts';
import { counterValue, observed, silentLogger } from './stageFakes.ts';

const at = (offset: number): KafkaMessage => ({ key: null, value: null, offset: String(offset), timestamp: '0', attributes: 0 }) as KafkaMessage;
const undecodable = (offset: number): DeadLetter => ({
  kind: 'event',
  stage: 'enrich',
  reason: 'value is not JSON',
  entityId: null,
  source: { topic: 'studio.movie.changes', partition: 0, offset: String(offset) },
  key: null,
  value: '{',
});
const refetch: DeadLetter = { kind: 'refetch', stage: 'enrich', reason: 'gateway said 500', entityId: 'm1', source: null, key: 'm1', value: '{}' };

describe('EventCounts', () => {
  it('counts each event once, however often its batch is read again, and only events as undecodable', async () => {
    const { events, metrics: m } = observed();
    const counts = new EventCounts(events, silentLogger);
    const count = (outcome: string): Promise<number> => counterValue(m.registry, 'fedsearch_events_total', { topic: 'studio.movie.changes', outcome });
    const batch = (offsets: number[]) => ({ topic: 'studio.movie.changes', partition: 0, messages: offsets.map(at) });

    counts.count(batch([10, 11, 12]), 1, [undecodable(11), refetch]);
    // The same batch read again (its letters failed before, or it was sent back), then one that overlaps it.
    counts.count(batch([10, 11, 12]), 1, [undecodable(11), refetch]);
    counts.count(batch([12, 13, 14]), 1, [undecodable(14)]);
    expect([await count('decoded'), await count('undecodable')]).toEqual([3, 2]);

    // Another partition has offsets of its own.
    counts.count({ ...batch([10]), partition: 1 }, 1, [{ ...undecodable(10), source: { topic: 'studio.movie.changes', partition: 1, offset: '10' } }]);
    expect(await count('undecodable')).toBe(3);
  });

  it('counts an event once per route of its topic, decoded by one and undecodable by the other', async () => {
    const { events, metrics: m } = observed();
    const counts = new EventCounts(events, silentLogger);
    counts.count({ topic: 'studio.credit.changes', partition: 0, messages: [at(1), at(2)] }, 2, [{ ...undecodable(2), source: { topic: 'studio.credit.changes', partition: 0, offset: '2' } }]);
    expect(await counterValue(m.registry, 'fedsearch_events_total', { topic: 'studio.credit.changes', outcome: 'decoded' })).toBe(3);
    expect(await counterValue(m.registry, 'fedsearch_events_total', { topic: 'studio.credit.changes', outcome: 'undecodable' })).toBe(1);
  });
});
