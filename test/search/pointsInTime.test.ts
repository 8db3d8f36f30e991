import { describe, expect, it } from 'vitest';
import { PointsInTime } from '../../src/search/pointsInTime.ts';

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
