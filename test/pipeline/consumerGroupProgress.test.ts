import { describe, expect, it } from 'vitest';
import { committedOffsets, GroupCatchUp, hasCaughtUp, type OffsetsAdmin } from '../../src/pipeline/consumerGroupProgress.ts';

/** A topic with fixed end offsets and a group whose committed offsets move on each poll. */
function admin(high: Record<number, number>, committedByPoll: Array<Record<number, number>>): OffsetsAdmin & { polls: number } {
  const state = {
    polls: 0,
    fetchTopicOffsets: async () => Object.entries(high).map(([partition, h]) => ({ partition: Number(partition), high: String(h), low: '0', offset: String(h) })),
    fetchOffsets: async () => {
      const committed = committedByPoll[Math.min(state.polls++, committedByPoll.length - 1)] ?? {};
      return [{ topic: 't', partitions: Object.entries(committed).map(([partition, offset]) => ({ partition: Number(partition), offset: String(offset), metadata: null })) }];
    },
  };
  return state as unknown as OffsetsAdmin & { polls: number }; // fetchTopicOffsets/fetchOffsets are all it reads
}

describe('consumer group progress', () => {
  it('counts a partition the group never committed (-1) as at its start', async () => {
    expect(await committedOffsets(admin({ 0: 5 }, [{ 0: -1, 1: 3 }]), 'g', 't')).toEqual(new Map([[0, 0n], [1, 3n]]));
  });

  it('has caught up only when every partition is at its end', () => {
    const end = new Map([[0, 5n], [1, 2n]]);
    expect(hasCaughtUp(new Map([[0, 5n], [1, 2n]]), end)).toBe(true);
    expect(hasCaughtUp(new Map([[0, 6n], [1, 1n]]), end)).toBe(false);
    expect(hasCaughtUp(new Map([[0, 5n]]), end)).toBe(false);
    expect(hasCaughtUp(new Map(), new Map([[0, 0n]]))).toBe(true);
  });

  it('waits for the end offsets of when it was asked', async () => {
    const fake = admin({ 0: 4, 1: 2 }, [{ 0: 1 }, { 0: 4, 1: 1 }, { 0: 4, 1: 2 }]);
    await new GroupCatchUp(async () => fake, 'g', 't', 1).caughtUp(5_000);
    expect(fake.polls).toBe(3);
  });

  it('serves every waiter from one poll of the coordinator', async () => {
    const fake = admin({ 0: 4 }, [{ 0: 1 }, { 0: 2 }, { 0: 4 }]);
    const watch = new GroupCatchUp(async () => fake, 'g', 't', 1);
    await Promise.all(Array.from({ length: 20 }, () => watch.caughtUp(5_000)));
    expect(fake.polls).toBe(3);
    // A later waiter starts a poll again.
    await watch.caughtUp(5_000);
    expect(fake.polls).toBe(4);
  });

  it('gives up after the timeout, naming the group and the topic, and says why the last poll failed', async () => {
    await expect(new GroupCatchUp(async () => admin({ 0: 4 }, [{ 0: 1 }]), 'movies-sink', 'movies.documents', 5).caughtUp(20)).rejects.toThrow(
      'the sink (movies-sink) did not catch up on movies.documents within 0.02s',
    );
    const unreachable = async (): Promise<OffsetsAdmin> => {
      throw new Error('broker down');
    };
    await expect(new GroupCatchUp(unreachable, 'movies-sink', 'movies.documents', 5).caughtUp(20)).rejects.toThrow('(last poll: broker down)');
  });
});
