import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { SharedRefresh } from '../../src/pipeline/sharedRefresh.ts';

/** A refresh that takes `ms` and records when it started, on performance.now()'s clock. */
function slowRefresh(ms: number) {
  const starts: number[] = [];
  const refresh = async (): Promise<void> => {
    starts.push(performance.now());
    await sleep(ms);
  };
  return { refresh, starts };
}

describe('SharedRefresh', () => {
  it('serves every batch waiting at once with one refresh', async () => {
    const { refresh, starts } = slowRefresh(20);
    let counted = 0;
    const shared = new SharedRefresh(refresh, 50, () => counted++);
    const settledAt = performance.now();
    await Promise.all(Array.from({ length: 8 }, () => shared.after(settledAt)));
    expect(starts).toHaveLength(1);
    expect(counted).toBe(1);
  });

  it('never serves a batch with a refresh that started before its writes settled, and starts refreshes at most once per interval', async () => {
    const { refresh, starts } = slowRefresh(5);
    const shared = new SharedRefresh(refresh, 100);
    await shared.after(performance.now());
    const settledAt = performance.now();
    await shared.after(settledAt);
    expect(starts).toHaveLength(2);
    expect(starts[1] as number).toBeGreaterThanOrEqual(settledAt);
    // The second started no sooner than the interval after the first (timer granularity aside).
    expect((starts[1] as number) - (starts[0] as number)).toBeGreaterThanOrEqual(95);
  });

  it('lets a batch whose writes settled before a running refresh started share it', async () => {
    const { refresh, starts } = slowRefresh(30);
    const shared = new SharedRefresh(refresh, 0);
    const early = performance.now();
    const first = shared.after(early);
    await sleep(5);
    await Promise.all([first, shared.after(early)]);
    expect(starts).toHaveLength(1);
  });

  it('passes a failed refresh on to its waiters, and the next batch starts another', async () => {
    let calls = 0;
    const shared = new SharedRefresh(async () => {
      calls++;
      if (calls === 1) throw new Error('refresh refused');
    }, 0);
    const settledAt = performance.now();
    await expect(shared.after(settledAt)).rejects.toThrow('refresh refused');
    await shared.after(settledAt);
    expect(calls).toBe(2);
  });
});
