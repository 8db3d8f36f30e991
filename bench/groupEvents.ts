import { Kafka } from '../src/clients/kafkajs.ts';
import type { Consumer, ConsumerConfig } from '../src/clients/kafkajs.ts';

/** One consumer group event seen in this process, on the bench's clock. */
export interface GroupEvent {
  at: number;
  groupId: string;
  event: 'join' | 'rebalancing' | 'stop';
  memberId: string;
  /** For a join: how long the join and sync took, ms, and the partitions it was given. */
  durationMs?: number;
  partitions?: number[];
}

/**
 * Every consumer this process creates from now on reports its group joins, rebalances and stops
 * (kafkajs's GROUP_JOIN, REBALANCING and STOP instrumentation events) to the returned list: the
 * evidence of what a reindex does to the live sink's group. Bench-only: it wraps the kafkajs
 * client's `consumer` method, which nothing in src/ needs to know of.
 */
export function recordGroupEvents(groupFilter: (groupId: string) => boolean): GroupEvent[] {
  const events: GroupEvent[] = [];
  const prototype = Kafka.prototype as unknown as { consumer(config: ConsumerConfig): Consumer };
  const original = prototype.consumer;
  prototype.consumer = function consumer(this: unknown, config: ConsumerConfig): Consumer {
    const created = original.call(this, config);
    if (!groupFilter(config.groupId)) return created;
    const { groupId } = config;
    created.on(created.events.GROUP_JOIN, ({ payload }) => {
      const partitions = Object.values(payload.memberAssignment).flat();
      events.push({ at: performance.now(), groupId, event: 'join', memberId: payload.memberId, durationMs: payload.duration, partitions });
    });
    created.on(created.events.REBALANCING, ({ payload }) => void events.push({ at: performance.now(), groupId, event: 'rebalancing', memberId: payload.memberId }));
    let memberId = '';
    created.on(created.events.GROUP_JOIN, ({ payload }) => void (memberId = payload.memberId));
    created.on(created.events.STOP, () => void events.push({ at: performance.now(), groupId, event: 'stop', memberId }));
    return created;
  };
  return events;
}
