import { describe, expect, it } from 'vitest';
import { awaitSinkAcknowledgements, type SinkRegistry } from '../../src/backfill/reindex.ts';

/** Sinks that acknowledge the target after a number of polls each (Infinity: never). */
function registry(sinks: Record<string, number>, target: string): SinkRegistry & { polls: number } {
  const state = {
    polls: 0,
    async liveSinks() {
      state.polls++;
      return Object.keys(sinks);
    },
    async acknowledgements(ids: readonly string[]) {
      return new Map(ids.filter((id) => state.polls > (sinks[id] ?? Infinity)).map((id) => [id, target]));
    },
  };
  return state;
}

describe('the reindex handshake', () => {
  it('goes on once every live sink has acknowledged the target', async () => {
    const sinks = registry({ a: 0, b: 2 }, 'movies_v2');
    const outcome = await awaitSinkAcknowledgements(sinks, 'movies_v2', 5_000, 1);
    expect(outcome).toEqual({ acknowledged: ['a', 'b'], missing: [] });
    expect(sinks.polls).toBe(3);
  });

  it('does not count an acknowledgement of an earlier announcement (of the same target, before a resume)', async () => {
    const stale: SinkRegistry = {
      liveSinks: async () => ['a'],
      acknowledgements: async () => new Map([['a', 'announcement-1']]),
    };
    expect(await awaitSinkAcknowledgements(stale, 'announcement-2', 30, 1)).toEqual({ acknowledged: [], missing: ['a'] });
  });

  it('gives up after the timeout and names the sinks that never acknowledged', async () => {
    const started = Date.now();
    const outcome = await awaitSinkAcknowledgements(registry({ a: 0, silent: Infinity }, 'movies_v2'), 'movies_v2', 50, 5);
    expect(outcome).toEqual({ acknowledged: ['a'], missing: ['silent'] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
  });

  it('goes on at once when no sink is running', async () => {
    const none = registry({}, 'movies_v2');
    expect(await awaitSinkAcknowledgements(none, 'movies_v2', 60_000, 1)).toEqual({ acknowledged: [], missing: [] });
    expect(none.polls).toBe(1);
  });

  it('stops waiting for a sink that leaves the group', async () => {
    let polls = 0;
    const leaving: SinkRegistry = {
      liveSinks: async () => (++polls < 3 ? ['a', 'gone'] : ['a']),
      acknowledgements: async (ids) => new Map(ids.filter((id) => id === 'a').map((id) => [id, 'movies_v2'])),
    };
    expect(await awaitSinkAcknowledgements(leaving, 'movies_v2', 5_000, 1)).toEqual({ acknowledged: ['a'], missing: [] });
  });
});
