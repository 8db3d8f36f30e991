import PQueue from 'p-queue';
import { describe, expect, it } from 'vitest';
import { fetchPage } from '../../src/backfill/runBackfill.ts';

/** A slice fetch the test finishes by hand, so which slices started is known exactly. */
function controlledSlices(): { fetchSlice: (slice: string[]) => Promise<void>; started: string[][]; finish(index: number, error?: Error): void; finished: string[][] } {
  const started: string[][] = [];
  const finished: string[][] = [];
  const settle: Array<(error?: Error) => void> = [];
  return {
    started,
    finished,
    fetchSlice: (slice) =>
      new Promise<void>((resolve, reject) => {
        started.push(slice);
        settle.push((error) => {
          finished.push(slice);
          if (error) reject(error);
          else resolve();
        });
      }),
    finish: (index, error) => settle[index]?.(error),
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('fetchPage', () => {
  it('resolves once every slice of the page is fetched', async () => {
    const slices = controlledSlices();
    const page = fetchPage(new PQueue({ concurrency: 2 }), ['a', 'b', 'c', 'd', 'e'], 2, slices.fetchSlice);
    for (let index = 0; index < 3; index++) {
      await tick();
      slices.finish(index);
    }
    await page;
    expect(slices.finished).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('on a failed slice starts no more, lets the running ones finish, then rejects naming the failed ids', async () => {
    const slices = controlledSlices();
    let outcome: unknown = 'pending';
    const page = fetchPage(new PQueue({ concurrency: 2 }), ['a', 'b', 'c', 'd', 'e', 'f'], 2, slices.fetchSlice).then(
      () => 'resolved',
      (error: unknown) => error,
    );
    void page.then((settled) => (outcome = settled));
    await tick();
    expect(slices.started).toEqual([['a', 'b'], ['c', 'd']]);
    slices.finish(0, new Error('the dead-letter topic refused the letters'));
    await tick();
    // ['e', 'f'] never starts, and the page waits for ['c', 'd'], still running.
    expect(slices.started).toHaveLength(2);
    expect(outcome).toBe('pending');
    slices.finish(1);
    const error = (await page) as Error & { ids: string[]; cause: Error };
    expect(slices.started).toHaveLength(2);
    expect(error.message).toBe('the dead-letter topic refused the letters');
    expect(error.ids).toEqual(['a', 'b']);
    expect(error.cause.message).toBe('the dead-letter topic refused the letters');
  });
});
