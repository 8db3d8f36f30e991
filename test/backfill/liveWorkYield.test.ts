import { describe, expect, it } from 'vitest';
import { LiveWorkYield } from '../../src/backfill/liveWorkYield.ts';
import type { LiveWork } from '../../src/pipeline/liveWork.ts';

/** A clock that moves only when the yield sleeps, and the readings it is given, one per read (the last one repeats). */
function scripted(readings: Array<LiveWork | Error>) {
  let now = 0;
  let reads = 0;
  const read = async (): Promise<LiveWork> => {
    const next = readings[Math.min(reads++, readings.length - 1)] as LiveWork | Error;
    if (next instanceof Error) throw next;
    return next;
  };
  const options = { pollMs: 200, maxWaitMs: 1_000, now: () => now, sleep: async (ms: number) => void (now += ms) };
  return { read, options, reads: () => reads, now: () => now };
}

const limits = { documents: 100, changeEvents: 0 };

/** How long a turn waited, by the scripted clock. */
async function waited(gate: LiveWorkYield, clock: () => number): Promise<number> {
  const from = clock();
  await gate.turn();
  return clock() - from;
}

describe('LiveWorkYield', () => {
  it('lets slices go at once, together, while the live pipeline has nothing pending and the sinks no more than the limit', async () => {
    const { read, options, now } = scripted([{ changeEvents: 0, documents: 100 }]);
    const gate = new LiveWorkYield(read, limits, options);
    await Promise.all([gate.turn(), gate.turn(), gate.turn()]);
    expect(now()).toBe(0);
  });

  it('waits while the sinks have more of its documents waiting than the limit, reading again each poll', async () => {
    const { read, options, reads, now } = scripted([{ changeEvents: 0, documents: 450 }, { changeEvents: 0, documents: 230 }, { changeEvents: 0, documents: 40 }]);
    const gate = new LiveWorkYield(read, limits, options);
    expect(await waited(gate, now)).toBe(400);
    expect(reads()).toBe(3);
    expect(gate.totalWaitedMs).toBe(400);
  });

  it('lets one slice fetch at a time while live change events are unfinished: the next goes when the first is done', async () => {
    const { read, options } = scripted([{ changeEvents: 3, documents: 0 }]);
    // A sleep that never ends: only a slice being done lets the second one go.
    const gate = new LiveWorkYield(read, limits, { ...options, sleep: () => new Promise(() => {}) });
    const first = await gate.turn();
    let secondWent = false;
    const second = gate.turn().then((done) => {
      secondWent = true;
      return done;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(secondWent).toBe(false);
    first();
    (await second)();
    expect(secondWent).toBe(true);
  });

  it('never waits longer than maxWaitMs a slice: a stuck live pipeline slows a backfill, never stops it', async () => {
    const { read, options, now } = scripted([{ changeEvents: 50, documents: 10_000 }]);
    const gate = new LiveWorkYield(read, limits, options);
    expect(await waited(gate, now)).toBe(1_000);
    await gate.turn(); // a second slice, while the first is still fetching and events are pending
    expect(now()).toBe(2_000);
  });

  it('never waits longer than maxWaitMs for a reading either: Kafka unreachable (its admin retrying) slows a slice, never holds it', async () => {
    const { options } = scripted([]);
    // A reading that never settles. The scripted clock moves only when the yield sleeps, so the
    // bound on a reading is a real timer: a short maxWaitMs keeps this test fast.
    const told: string[] = [];
    const gate = new LiveWorkYield(() => new Promise<LiveWork>(() => {}), limits, { ...options, maxWaitMs: 50, onUnread: (reason) => told.push(reason) });
    const outcome = await Promise.race([gate.turn().then(() => 'went'), new Promise((resolve) => setTimeout(() => resolve('held'), 1_000))]);
    expect(outcome).toBe('went');
    expect(told).toHaveLength(1);
    expect(told[0]).toMatch(/^no answer from Kafka within \d+ ms$/);
  });

  it('starts no new reading while one is still under way, however old: none piles up against an unreachable Kafka', async () => {
    let reads = 0;
    let clock = 0;
    const gate = new LiveWorkYield(() => (reads++, new Promise<LiveWork>(() => {})), limits, { pollMs: 200, maxWaitMs: 20, now: () => clock, sleep: async () => {} });
    for (let slice = 0; slice < 3; slice++) {
      (await gate.turn())();
      clock += 1_000;
    }
    expect(reads).toBe(1);
  });

  it('takes a reading that fails as nothing pending', async () => {
    const { read, options, now } = scripted([new Error('The group coordinator is not available')]);
    expect(await waited(new LiveWorkYield(read, limits, options), now)).toBe(0);
  });

  it('says once why it could not read the live pipeline’s work, and again after a reading that succeeded', async () => {
    const failure = new Error('The group coordinator is not available');
    const { read, options } = scripted([failure, failure, { changeEvents: 0, documents: 0 }, failure]);
    const told: string[] = [];
    let clock = 0;
    const gate = new LiveWorkYield(read, limits, { ...options, now: () => clock, onUnread: (reason) => told.push(reason) });
    for (let slice = 0; slice < 4; slice++) {
      (await gate.turn())();
      clock += 1_000;
    }
    expect(told).toEqual(['The group coordinator is not available', 'The group coordinator is not available']);
  });

  it('serves the slices that ask within one poll with one reading', async () => {
    const { read, options, reads } = scripted([{ changeEvents: 0, documents: 0 }]);
    const gate = new LiveWorkYield(read, limits, options);
    await Promise.all([gate.turn(), gate.turn(), gate.turn()]);
    expect(reads()).toBe(1);
  });
});
