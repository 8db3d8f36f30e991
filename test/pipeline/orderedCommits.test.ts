import { describe, expect, it } from 'vitest';
import { OrderedCommits } from '../../src/pipeline/orderedCommits.ts';

/** A promise and the functions that settle it. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((ok, fail) => ((resolve = ok), (reject = fail)));
  return { promise, resolve, reject };
}

function recording() {
  const commits: string[] = [];
  const redos: string[] = [];
  const commits_ = new OrderedCommits({
    commit: async (topic, partition, offset) => void commits.push(`${topic}/${partition}@${offset}`),
    redo: (topic, partition, offset, error) => void redos.push(`${topic}/${partition}@${offset}: ${(error as Error).message}`),
  });
  return { ordered: commits_, commits, redos };
}

describe('OrderedCommits', () => {
  it('commits a partition in batch order when the work finishes out of order; partitions do not wait for each other', async () => {
    const { ordered, commits } = recording();
    const [a, b, c] = [deferred(), deferred(), deferred()];
    ordered.add('t', 0, ordered.ticket('t', 0), { first: '0', next: '5' }, a.promise);
    ordered.add('t', 0, ordered.ticket('t', 0), { first: '5', next: '9' }, b.promise);
    ordered.add('t', 1, ordered.ticket('t', 1), { first: '0', next: '3' }, c.promise);
    b.resolve();
    c.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    expect(commits).toEqual(['t/1@3']);
    a.resolve();
    await ordered.settled();
    expect(commits).toEqual(['t/1@3', 't/0@5', 't/0@9']);
  });

  it('sends the partition back to a batch whose work failed and commits nothing after it; a ticket taken before the failure is refused', async () => {
    const { ordered, commits, redos } = recording();
    const [a, b] = [deferred(), deferred()];
    const early = ordered.ticket('t', 0);
    ordered.add('t', 0, ordered.ticket('t', 0), { first: '0', next: '5' }, Promise.resolve());
    ordered.add('t', 0, ordered.ticket('t', 0), { first: '5', next: '9' }, a.promise);
    ordered.add('t', 0, ordered.ticket('t', 0), { first: '9', next: '12' }, b.promise);
    b.resolve();
    a.reject(new Error('lookup failed'));
    await ordered.settled();
    expect(commits).toEqual(['t/0@5']);
    expect(redos).toEqual(['t/0@5: lookup failed']);
    expect(ordered.isCurrent('t', 0, early)).toBe(false);
    expect(ordered.add('t', 0, early, { first: '12', next: '13' }, Promise.resolve())).toBe(false);
    // The redelivered batch (a ticket taken after the failure) commits again.
    expect(ordered.add('t', 0, ordered.ticket('t', 0), { first: '5', next: '9' }, Promise.resolve())).toBe(true);
    await ordered.settled();
    expect(commits).toEqual(['t/0@5', 't/0@9']);
  });

  it('commits nothing queued before a rebalance', async () => {
    const { ordered, commits } = recording();
    const work = deferred();
    ordered.add('t', 0, ordered.ticket('t', 0), { first: '0', next: '5' }, work.promise);
    ordered.reset();
    work.resolve();
    await ordered.settled();
    expect(commits).toEqual([]);
  });

  it('holds a partition at the cap until its oldest batch is done', async () => {
    const { ordered } = recording();
    const works = [deferred(), deferred()];
    for (const [n, work] of works.entries()) ordered.add('t', 0, ordered.ticket('t', 0), { first: String(n), next: String(n + 1) }, work.promise);
    let through = false;
    let heartbeats = 0;
    const waiting = ordered.below('t', 0, 2, async () => void heartbeats++, 5).then(() => (through = true));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(through).toBe(false);
    expect(heartbeats).toBeGreaterThan(0);
    works[0]?.resolve();
    await waiting;
    expect(through).toBe(true);
    works[1]?.resolve();
    await ordered.settled();
  });
});
