import { describe, expect, it } from 'vitest';
import { CoalescingQueue } from '../../src/pipeline/coalescingQueue.ts';

/** A call that records its items and stays under way until `release()` (or `fail()`). */
function gatedRun() {
  const calls: string[][] = [];
  const gates: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  return {
    calls,
    release: () => gates.shift()?.resolve(),
    fail: (error: Error) => gates.shift()?.reject(error),
    run(items: string[]): Promise<void> {
      calls.push(items);
      return new Promise<void>((resolve, reject) => gates.push({ resolve, reject }));
    },
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('CoalescingQueue', () => {
  it('runs at once, and what is added while a call is under way goes out together in the next', async () => {
    const gate = gatedRun();
    const queue = new CoalescingQueue<string>((items) => gate.run(items));
    const settled: string[] = [];
    const a = queue.add('a').then(() => void settled.push('a'));
    await tick();
    const b = queue.add('b').then(() => void settled.push('b'));
    const c = queue.add('c').then(() => void settled.push('c'));
    await tick();
    expect(gate.calls).toEqual([['a']]);
    expect(settled).toEqual([]);
    gate.release();
    await a;
    await tick();
    expect(gate.calls).toEqual([['a'], ['b', 'c']]);
    expect(settled).toEqual(['a']);
    gate.release();
    await Promise.all([b, c]);
    expect(settled).toEqual(['a', 'b', 'c']);
    expect(queue.idle).toBe(true);
  });

  it('rejects the items of a failed call with its error and goes on with the next', async () => {
    const gate = gatedRun();
    const queue = new CoalescingQueue<string>((items) => gate.run(items));
    const a = queue.add('a');
    await tick();
    const b = queue.add('b');
    gate.fail(new Error('bulk request refused'));
    await expect(a).rejects.toThrow('bulk request refused');
    await tick();
    expect(gate.calls).toEqual([['a'], ['b']]);
    gate.release();
    await expect(b).resolves.toBeUndefined();
  });
});
