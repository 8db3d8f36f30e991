import { describe, expect, it } from 'vitest';
import type { OffsetsAdmin } from '../../src/pipeline/consumerGroupProgress.ts';
import { documentsWriter, type OwnSink } from '../../src/pipeline/documentsWriter.ts';

/** A documents topic ending at `high`, a sink group whose commits and members move on each poll. */
function world(options: { high: Record<number, number>; committed: Array<Record<number, number>>; members: number[] }) {
  const state = { offsetPolls: 0, memberPolls: 0, ownSinks: 0, ownStopped: 0 };
  const offsets = {
    fetchTopicOffsets: async () => Object.entries(options.high).map(([partition, high]) => ({ partition: Number(partition), high: String(high), low: '0', offset: String(high) })),
    fetchOffsets: async () => {
      const committed = options.committed[Math.min(state.offsetPolls++, options.committed.length - 1)] ?? {};
      return [{ topic: 'docs', partitions: Object.entries(committed).map(([partition, offset]) => ({ partition: Number(partition), offset: String(offset), metadata: null })) }];
    },
  } as unknown as OffsetsAdmin; // the two calls it reads
  const own: OwnSink = {
    sinkCaughtUp: async () => undefined,
    stop: async () => void state.ownStopped++,
  };
  const writer = () =>
    documentsWriter({
      liveSinks: async () => options.members[Math.min(state.memberPolls++, options.members.length - 1)] ?? 0,
      offsets,
      sinkGroup: 'movies-sink',
      documentsTopic: 'docs',
      startOwnSink: async () => {
        state.ownSinks++;
        return own;
      },
      pollMs: 1,
    });
  return { state, writer };
}

describe('who writes the documents of a backfill', () => {
  it('leaves them to the running sinks, joining no group, and waits for their commits to pass what it produced', async () => {
    const { state, writer } = world({ high: { 0: 4, 1: 2 }, committed: [{ 0: 1 }, { 0: 4, 1: 1 }, { 0: 4, 1: 2 }], members: [1] });
    const sink = await writer();
    expect(sink.via).toBe('running sinks');
    await sink.sinkCaughtUp(5_000);
    await sink.stop();
    expect(state).toMatchObject({ offsetPolls: 3, ownSinks: 0, ownStopped: 0 });
  });

  it('starts a sink of its own when none runs, and stops it at the end', async () => {
    const { state, writer } = world({ high: { 0: 1 }, committed: [{}], members: [0] });
    const sink = await writer();
    expect(sink.via).toBe('own sink');
    await sink.sinkCaughtUp();
    await sink.stop();
    expect(state).toMatchObject({ ownSinks: 1, ownStopped: 1 });
  });

  it('starts a sink of its own when the running ones leave before writing everything', async () => {
    const { state, writer } = world({ high: { 0: 9 }, committed: [{ 0: 3 }], members: [1, 1, 0] });
    const sink = await writer();
    await sink.sinkCaughtUp(5_000);
    expect(sink.via).toBe('own sink');
    await sink.stop();
    expect(state).toMatchObject({ ownSinks: 1, ownStopped: 1 });
  });

  it('says which group did not catch up, and where it had to reach, when the running sinks are stuck', async () => {
    const { writer } = world({ high: { 0: 9, 1: 2 }, committed: [{ 0: 3 }], members: [1] });
    const sink = await writer();
    await expect(sink.sinkCaughtUp(20)).rejects.toThrow(/the running sinks \(movies-sink\) did not write docs up to 0:9, 1:2 within 0.02s/);
  });
});
