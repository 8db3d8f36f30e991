import { describe, expect, it } from 'vitest';
import { autoWorkers, WorkerPool } from '../../src/pipeline/workerPool.ts';
import type { PoolTestTask } from './fixtures/poolTestWorker.ts';

const moduleUrl = new URL('./fixtures/poolTestWorker.ts', import.meta.url);
const pool = (size: number): WorkerPool<PoolTestTask, string> => new WorkerPool({ name: 'test workers', size, moduleUrl, workerData: { tag: 'w' } });

describe('WorkerPool', () => {
  it('answers every task with its own answer, in the order asked, whichever worker finishes first', async () => {
    const workers = pool(2);
    try {
      // The first task holds its worker while the others pass it on the second one.
      const answers = await Promise.all([30, 0, 0, 0, 0].map((holdMs, value) => workers.run({ kind: 'echo', value, holdMs })));
      expect(answers).toEqual(['w:0', 'w:1', 'w:2', 'w:3', 'w:4']);
    } finally {
      await workers.close();
    }
  });

  it('moves a transferred buffer to the worker instead of copying it', async () => {
    const workers = pool(1);
    try {
      const bytes = new Uint8Array([1, 2, 3, 250]).buffer;
      expect(await workers.run({ kind: 'sum', bytes }, { transfer: [bytes] })).toBe('256');
      expect(bytes.byteLength).toBe(0); // detached here: it was moved
    } finally {
      await workers.close();
    }
  });

  it("fails a task that throws with the worker's message and the task's context, and goes on", async () => {
    const workers = pool(1);
    try {
      await expect(workers.run({ kind: 'throw', message: 'document mov-1 is not valid Avro' }, { context: 'movies.documents partition 2, offsets 10-19' })).rejects.toThrow(
        'test workers (movies.documents partition 2, offsets 10-19): document mov-1 is not valid Avro',
      );
      expect(await workers.run({ kind: 'echo', value: 7 })).toBe('w:7');
    } finally {
      await workers.close();
    }
  });

  it('fails the task of a worker that dies, with its context, and replaces the worker', async () => {
    const workers = pool(1);
    try {
      await expect(workers.run({ kind: 'exit', code: 3 }, { context: 'partition 1' })).rejects.toThrow('test workers (partition 1): the worker thread exited with code 3');
      expect(await workers.run({ kind: 'echo', value: 8 })).toBe('w:8');
    } finally {
      await workers.close();
    }
  });

  it('on close, finishes the tasks under way, fails the queued ones and refuses new ones', async () => {
    const workers = pool(1);
    const underWay = workers.run({ kind: 'echo', value: 1, holdMs: 50 });
    const queued = workers.run({ kind: 'echo', value: 2 }, { context: 'queued' });
    const closed = workers.close();
    await expect(queued).rejects.toThrow('test workers (queued): the worker pool closed before the task started');
    expect(await underWay).toBe('w:1');
    await closed;
    await expect(workers.run({ kind: 'echo', value: 3 })).rejects.toThrow('test workers: the worker pool is closed');
  });

  it('refuses a pool of no workers, and sizes `auto` one below the cores, at most 4', () => {
    expect(() => pool(0)).toThrow('test workers: a worker pool needs at least one worker, not 0');
    expect([1, 2, 3, 8, 64].map(autoWorkers)).toEqual([0, 1, 2, 4, 4]);
  });
});
