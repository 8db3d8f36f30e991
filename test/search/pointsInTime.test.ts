import { describe, expect, it } from 'vitest';
import { PointsInTime } from '../../src/search/pointsInTime.ts';
import { SearchBusyError } from '../../src/search/searchAdmission.ts';
import { heldAnswers } from '../support/heldAnswers.ts';

describe('PointsInTime', () => {
  it('forgets one unused for its keep-alive (Elasticsearch has dropped it) instead of closing a live one for it', async () => {
    let now = 0;
    let opened = 0;
    const closed: string[] = [];
    const client = {
      openPointInTime: async () => ({ id: `pit-${++opened}`, _shards: { total: 1, successful: 1, failed: 0 } }),
      closePointInTime: async (request: { id: string }) => {
        closed.push(request.id);
        return { succeeded: true, num_freed: 1 };
      },
    };
    const pits = new PointsInTime(client, 'movies', 2, () => now);
    await pits.open();
    now = 60_000;
    await pits.open();
    expect(pits.size).toBe(2);
    now = 150_000; // pit-1 unused for 150 s, pit-2 for 90 s
    expect(pits.size).toBe(1);
    await pits.open();
    expect(closed).toEqual([]);
    expect(pits.size).toBe(2);
  });
});

/**
 * A cluster that counts the points in time it holds: one from the moment its open is sent until
 * its close is answered. Opens and closes are answered when the test says (`answerAll`), so
 * requests overlap the way concurrent HTTP requests make them overlap.
 */
function countingCluster() {
  let opened = 0;
  let held = 0;
  let mostHeld = 0;
  const answers = heldAnswers();
  const later = answers.hold;
  return {
    client: {
      openPointInTime: () => {
        mostHeld = Math.max(mostHeld, ++held);
        return later(() => ({ id: `pit-${++opened}`, _shards: { total: 1, successful: 1, failed: 0 } }));
      },
      closePointInTime: () =>
        later(() => {
          held--;
          return { succeeded: true, num_freed: 1 };
        }),
    },
    get held() {
      return held;
    },
    get mostHeld() {
      return mostHeld;
    },
    answerAll: answers.answerAll,
    /** What `pending` settles to once every call it made is answered. */
    async answered<T>(pending: Promise<T>): Promise<T> {
      await answers.answerAll();
      return pending;
    },
  };
}

describe('PointsInTime under concurrency', () => {
  it('never holds more than its cap, however many opens overlap (50 page-2 requests once opened 50 past it)', async () => {
    const cluster = countingCluster();
    const pits = new PointsInTime(cluster.client, 'movies', 5);
    const opens = Array.from({ length: 50 }, () => pits.open().then((id) => ({ id }), (error: unknown) => ({ error })));
    await cluster.answerAll();
    const outcomes = await Promise.all(opens);
    await pits.settled();
    expect(cluster.mostHeld).toBeLessThanOrEqual(5);
    expect(cluster.held).toBeLessThanOrEqual(5);
    expect(pits.size).toBe(cluster.held);
    // The ones that found every slot taken by opens still under way were told to come back.
    const refused = outcomes.filter((outcome) => 'error' in outcome);
    for (const outcome of refused) expect((outcome as { error: unknown }).error).toBeInstanceOf(SearchBusyError);
    expect(outcomes.length - refused.length).toBeGreaterThanOrEqual(5);
  });

  it('at the cap, closes the least recently used and waits until the cluster freed it before opening another', async () => {
    const cluster = countingCluster();
    const pits = new PointsInTime(cluster.client, 'movies', 2);
    const [a, b] = await cluster.answered(Promise.all([pits.open(), pits.open()]));
    pits.done(a);
    pits.done(b); // both pages answered
    pits.used(a, undefined); // b is now the least recently used
    const third = pits.open();
    await cluster.answerAll();
    expect(await third).toBe('pit-3');
    expect(cluster.mostHeld).toBe(2);
    // b was closed for it: a page that read b meanwhile does not bring it back.
    expect(pits.used(b, undefined)).toBe(b);
    expect(pits.size).toBe(2);
  });

  it('counts a point in time until its close is answered, and settles once every close is', async () => {
    const cluster = countingCluster();
    const pits = new PointsInTime(cluster.client, 'movies', 1);
    void pits.close(await cluster.answered(pits.open()));
    let settled = false;
    const settling = pits.settled().then(() => (settled = true));
    const next = pits.open();
    await new Promise((resolve) => setImmediate(resolve));
    // The close is not answered yet: the slot is still taken, so no open was sent.
    expect(cluster.held).toBe(1);
    expect(settled).toBe(false);
    await cluster.answerAll();
    await settling;
    expect(await next).toBe('pit-2');
    expect(cluster.mostHeld).toBe(1);
  });

  it('does not close one a search is still reading to make room, and picks the least recently used of the others', async () => {
    const cluster = countingCluster();
    const closed: string[] = [];
    const close = cluster.client.closePointInTime;
    const client = { ...cluster.client, closePointInTime: (request: { id: string }) => (closed.push(request.id), close()) };
    const pits = new PointsInTime(client, 'movies', 2);
    const [a, b] = await cluster.answered(Promise.all([pits.open(), pits.open()]));
    pits.done(b);
    pits.used(b, undefined); // a is the least recently used, but its page's search is still running
    const third = pits.open();
    await cluster.answerAll();
    expect(await third).toBe('pit-3');
    expect(closed).toEqual([b]);
    expect(cluster.mostHeld).toBe(2);
  });

  it('when every slot is being read, an open waits for a search to finish and then closes that one', async () => {
    const cluster = countingCluster();
    const pits = new PointsInTime(cluster.client, 'movies', 1);
    const first = await cluster.answered(pits.open());
    let opened = false;
    const next = pits.open().then((id) => ((opened = true), id));
    await cluster.answerAll();
    await new Promise((resolve) => setImmediate(resolve));
    expect(opened).toBe(false);
    expect(cluster.held).toBe(1);
    pits.done(first);
    await cluster.answerAll();
    await new Promise((resolve) => setImmediate(resolve));
    await cluster.answerAll();
    expect(await next).toBe('pit-2');
    expect(cluster.mostHeld).toBe(1);
    // The first was closed for it, once its search was answered.
    expect(cluster.held).toBe(1);
    expect(pits.size).toBe(1);
  });

  it("stops waiting for a search to finish when the caller's deadline passes, and opens nothing after it", async () => {
    const cluster = countingCluster();
    const pits = new PointsInTime(cluster.client, 'movies', 1);
    const first = await cluster.answered(pits.open());
    const deadline = new AbortController();
    const late = pits.open(deadline.signal).then(() => 'opened', (error: unknown) => error);
    await new Promise((resolve) => setImmediate(resolve));
    deadline.abort(new Error('deadline passed'));
    expect(await late).toEqual(new Error('deadline passed'));
    pits.done(first);
    await cluster.answerAll();
    expect(cluster.mostHeld).toBe(1);
    expect(cluster.held).toBe(1);
    expect(pits.size).toBe(1);
  });

  it('does not drop one a search is reading as expired: reading it is a use', async () => {
    let now = 0;
    const cluster = countingCluster();
    const pits = new PointsInTime(cluster.client, 'movies', 2, () => now);
    const id = await cluster.answered(pits.open());
    pits.done(id);
    now = 100_000; // a later page, 100 s after the last: within the 2-minute keep-alive
    pits.reading(id);
    now = 150_000; // its search still running, 150 s after the open
    expect(pits.size).toBe(1);
    pits.done(id);
  });
});
