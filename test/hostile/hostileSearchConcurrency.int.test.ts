// Hostile concurrency against the real search API over a real index (issue #28): many costly
// fuzzy queries at once, and many page-2 requests replaying one cursor at once. Whatever arrives,
// the answer comes from this service (200, an explained 4xx, or its own 429 with Retry-After),
// never from a tripped Elasticsearch breaker, and the cluster's search contexts stay within the cap:
// a point in time is closed to make room only when no search is reading it, because Elasticsearch
// counts a closed one until the search reading it lets go.
import type { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CURSOR_EXPIRED } from '../../src/search/searchCursor.ts';
import * as vocabulary from '../../subgraphs/data/vocabulary.ts';
import { startSearchApiWorld, type Answer, type SearchApiWorld } from '../support/searchApiWorld.ts';

const MOVIES = 150;
const POINT_IN_TIME_CAP = 5;

/** Every distinct word of 6 to 8 letters of the demo's vocabulary, with its 2nd and 3rd letters swapped (a typo fuzziness must fix). */
function misspelledWords(): string[] {
  const words = [...new Set(Object.values(vocabulary).flat().map(String).join(' ').toLowerCase().split(/[^a-z]+/))];
  return words.filter((word) => word.length >= 6 && word.length <= 8).map((word) => `${word[0]}${word[2]}${word[1]}${word.slice(3)}`);
}

/** The parent and request breakers' trip counts, summed over the cluster's nodes. */
async function breakerTrips(es: Client): Promise<number> {
  const stats = await es.nodes.stats({ metric: 'breaker' });
  return Object.values(stats.nodes).reduce((sum, node) => sum + (node.breakers?.parent?.tripped ?? 0) + (node.breakers?.request?.tripped ?? 0), 0);
}

/** Search contexts open on the index's shards: one per point in time (the index has one shard). */
async function openContexts(es: Client, index: string): Promise<number> {
  const stats = await es.indices.stats({ index, metric: 'search' });
  return stats._all.primaries?.search?.open_contexts ?? 0;
}

describe('hostile concurrency against the search API', () => {
  let world: SearchApiWorld;

  /** A 429 is this service's own limiter, and says so (an Elasticsearch breaker's 429 is answered 503). */
  const expectOurBusyAnswer = (answer: Answer): void => {
    expect(answer.status, answer.body).toBe(429);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { message: expect.stringMatching(/^the search service is busy/) } });
  };

  beforeAll(async () => {
    world = await startSearchApiWorld({
      movies: MOVIES,
      token: 'hostile-concurrency-token',
      service: { maxOpenPointsInTime: POINT_IN_TIME_CAP },
      server: { requestTimeoutMs: 15_000, maxBodyBytes: 16_384 },
    });
  }, 240_000);

  afterAll(async () => {
    await world?.dispose();
  });

  it('10 concurrent 60-word fuzzy queries are all answered, none by a tripped breaker, and the cluster answers after them', async () => {
    const words = misspelledWords();
    const query = words.slice(0, 60).join(' ');
    expect(query.split(' ')).toHaveLength(60);
    expect(query.length).toBeLessThanOrEqual(500);
    const tripsBefore = await breakerTrips(world.h.es);

    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => world.postJson({ query: i % 2 ? query : words.slice(60, 120).join(' ') })));
    for (const answer of answers) {
      if (answer.status !== 200) expectOurBusyAnswer(answer);
    }
    expect(answers.filter((answer) => answer.status === 200).length).toBeGreaterThan(0);
    // Misspelled on purpose: fuzziness still finds the movies whose synopsis has these words.
    const found = answers.find((answer) => answer.status === 200);
    expect((JSON.parse(found?.body ?? '{}') as { total?: number }).total).toBeGreaterThan(0);
    expect(await breakerTrips(world.h.es)).toBe(tripsBefore);

    const after = await world.postJson({ query: 'the', size: 1 });
    expect(after.status, after.body).toBe(200);
  }, 120_000);

  it('50 concurrent page-2 requests replaying one cursor never leave more open points in time than the cap', async () => {
    const contextsBefore = await openContexts(world.h.es, world.h.index);
    expect(contextsBefore).toBe(0);
    const first = await world.postJson({ size: 1 });
    expect(first.status, first.body).toBe(200);
    const cursor = (JSON.parse(first.body) as { nextCursor: string }).nextCursor;
    expect(cursor).toEqual(expect.any(String));

    let most = 0;
    let burstOver = false;
    const sampling = (async () => {
      while (!burstOver) most = Math.max(most, await openContexts(world.h.es, world.h.index));
    })();
    const answers = await Promise.all(Array.from({ length: 50 }, () => world.postJson({ size: 1, cursor })));
    burstOver = true;
    await sampling;
    await world.service.settled();

    // The cursor is fresh: none of them is told it expired, though their points in time crowd each
    // other out (one a search still reads is never closed to make room).
    for (const answer of answers) expect([200, 429], answer.body).toContain(answer.status);
    expect(answers.some((answer) => answer.body.includes(CURSOR_EXPIRED))).toBe(false);
    expect(answers.filter((answer) => answer.status === 200).length).toBeGreaterThan(0);
    for (const answer of answers.filter((a) => a.status === 429)) expectOurBusyAnswer(answer);
    expect(most).toBeLessThanOrEqual(POINT_IN_TIME_CAP);
    const contextsAfter = await openContexts(world.h.es, world.h.index);
    expect(contextsAfter).toBeGreaterThan(0);
    expect(contextsAfter).toBeLessThanOrEqual(POINT_IN_TIME_CAP);
    expect(world.service.openPointsInTime).toBe(contextsAfter);
  }, 120_000);
});
