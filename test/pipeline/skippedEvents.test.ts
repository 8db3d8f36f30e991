import type { KafkaMessage } from '../../src/clients/kafkajs.ts';
import { describe, expect, it } from 'vitest';
import type { EventSource } from '../../src/config/indexConfig.ts';
import { routeEvents, type Route } from '../../src/pipeline/enrichSteps.ts';
import { EventCounts } from '../../src/pipeline/eventCounts.ts';
import { changePayload, heartbeat, keyOf, withSchema } from './debeziumMessages.ts';
import { counterValue, observed, silentLogger } from './stageFakes.ts';

const topic = 'cdc.movies.public.movies';
const source: EventSource = { topic, format: 'debezium', idPath: 'id', idPaths: null, idFromKey: false, position: { line: 1, col: 1 } };
const route: Route = {
  entityType: 'Movie',
  source,
  key: [{ variable: 'id', argument: 'movieId', documentPath: 'movieId', typeName: 'ID', kind: 'string' }],
  lookup: null,
};
const message = (offset: number, value: Buffer | null): KafkaMessage =>
  ({ key: keyOf({ id: 'mov-0000002' }), value, offset: String(offset), timestamp: '0', attributes: 0 }) as KafkaMessage;

describe('messages that are no change', () => {
  it('are neither fetched nor dead-lettered, and are counted once each by reason', async () => {
    const batch = [
      message(5, withSchema(changePayload('d', { id: 'mov-0000002', title: '' }, null))),
      message(6, null),
      message(7, heartbeat(true)),
    ];
    const routed = routeEvents(batch, [route], { topic, partition: 0 });
    expect([...routed.primary.keys()]).toEqual(['mov-0000002']);
    expect(routed.letters).toEqual([]);
    expect(routed.skipped).toEqual([
      { offset: '6', reason: 'tombstone' },
      { offset: '7', reason: 'heartbeat' },
    ]);

    const { events, metrics: m } = observed();
    const counts = new EventCounts(events, silentLogger);
    // Read twice (a batch sent back before its commit): still counted once.
    counts.count({ topic, partition: 0, messages: batch }, 1, routed.letters, routed.skipped);
    counts.count({ topic, partition: 0, messages: batch }, 1, routed.letters, routed.skipped);
    const skipped = (reason: string): Promise<number> => counterValue(m.registry, 'fedsearch_events_skipped_total', { topic, reason });
    expect([await skipped('tombstone'), await skipped('heartbeat')]).toEqual([1, 1]);
    expect(await counterValue(m.registry, 'fedsearch_events_total', { topic, outcome: 'decoded' })).toBe(1);
  });
});
