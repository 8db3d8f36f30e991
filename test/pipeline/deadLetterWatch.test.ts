import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { OffsetsAdmin } from '../../src/pipeline/consumerGroupProgress.ts';
import { DeadLetterWatch } from '../../src/pipeline/deadLetterWatch.ts';
import { silentLogger } from './stageFakes.ts';

/** The dead-letter topic's end and the recover group's commit, one partition; `failures` reads fail first. */
function offsets(state: { end: number; committed: number; failures?: number }): OffsetsAdmin {
  const maybeFail = (): void => {
    if ((state.failures ?? 0) > 0) {
      state.failures = (state.failures ?? 0) - 1;
      throw new Error('broker away');
    }
  };
  return {
    fetchTopicOffsets: async () => {
      maybeFail();
      return [{ partition: 0, offset: String(state.end), high: String(state.end), low: '0' }];
    },
    fetchOffsets: async () => [{ topic: 'films.dlq', partitions: [{ partition: 0, offset: state.committed === 0 ? '-1' : String(state.committed) }] }],
  } as unknown as OffsetsAdmin; // Only the two reads the watch makes.
}

/** Polls until `done` (a loaded machine may run the 10 ms checks late). */
async function until(done: () => boolean): Promise<void> {
  for (let waited = 0; !done() && waited < 5_000; waited += 10) await sleep(10);
}

/** A watch over `state`, started. */
function watch(state: { end: number; committed: number; failures?: number }) {
  let starts = 0;
  const admin = offsets(state);
  const watching = new DeadLetterWatch({ admin: async () => admin, topic: 'films.dlq', groupId: 'films-recover', startRetries: async () => void starts++, logger: silentLogger, everyMs: 10 }).start();
  return { watching, starts: () => starts };
}

describe('DeadLetterWatch: the retries join once there are letters', () => {
  it('starts no consumer while the dead-letter topic holds nothing the group has not read', async () => {
    const state = { end: 3, committed: 3 };
    const { watching, starts } = watch(state);
    await sleep(60);
    expect(starts()).toBe(0);
    await watching.stop();
  });

  it('starts the retries once, when a letter arrives past the group commit', async () => {
    const state = { end: 0, committed: 0 };
    const { watching, starts } = watch(state);
    await sleep(30);
    state.end = 1;
    await until(() => starts() > 0);
    await sleep(30);
    expect(starts()).toBe(1);
    expect(watching.retriesStarted).toBe(true);
    await watching.stop();
  });

  it('checks again after a read fails', async () => {
    const { watching, starts } = watch({ end: 2, committed: 0, failures: 2 });
    await until(() => starts() > 0);
    expect(starts()).toBe(1);
    await watching.stop();
  });

  it('starts nothing once stopped', async () => {
    const state = { end: 0, committed: 0 };
    const { watching, starts } = watch(state);
    await watching.stop();
    state.end = 5;
    await sleep(40);
    expect(starts()).toBe(0);
  });
});
