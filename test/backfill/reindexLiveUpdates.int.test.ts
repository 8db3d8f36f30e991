import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runBackfill } from '../../src/backfill/runBackfill.ts';
import { entityId } from '../../subgraphs/data/studioRows.ts';
import { creditedTalents } from '../../support/creditedTalents.ts';
import { createLiveIndexHarness, eventually } from '../../support/indexHarness.ts';

const MOVIES = 1_500;
const RETITLE = 'mutation($id: ID!, $title: String) { updateMovie(movieId: $id, patch: { title: $title }) { movieId } }';
const RENAME = 'mutation($id: ID!, $name: String) { updateTalent(talentId: $id, patch: { name: $name }) { talentId } }';

describe('a reindex under live updates (real Elasticsearch and Kafka, the demo graph)', () => {
  let live: Awaited<ReturnType<typeof createLiveIndexHarness>>;

  beforeAll(async () => {
    live = await createLiveIndexHarness({ elasticsearchUrl: inject('elasticsearchUrl'), kafkaBrokers: inject('kafkaBrokers'), movies: MOVIES });
  }, 180_000);

  afterAll(async () => {
    await live?.stop();
  });

  it('loses no change made during the reindex or right after its swap — a person renamed reaches every crediting movie — and never joins the live sink group', async () => {
    const { h } = live;
    const talents = await creditedTalents(h.es, h.index, 40);
    const { sinkGroup } = h.loaded.names;
    const admin = h.kafka.admin();
    await admin.connect();
    // The live sink group's size, read throughout: the backfill must never be a member of it.
    let watching = true;
    const sizes = new Set<number>();
    const watch = (async () => {
      while (watching) {
        sizes.add((await admin.describeGroups([sinkGroup])).groups[0]?.members.length ?? 0);
        await sleep(50);
      }
    })();
    const titles = new Map<string, string>();
    const names = new Map<string, { name: string; movies: number }>();
    let n = 0;
    const change = async (): Promise<void> => {
      n++;
      if (n % 2 === 0) {
        const id = entityId('mov', (n % MOVIES) + 1);
        const title = `Reindexed Live ${h.run} ${n}`;
        await h.gql(RETITLE, { id, title });
        titles.set(id, title);
      } else {
        const talent = talents[Math.floor(n / 2) % talents.length] as (typeof talents)[number];
        const name = `Renamed Live ${h.run} ${n}`;
        await h.gql(RENAME, { id: talent.talentId, name });
        names.set(talent.talentId, { name, movies: talent.movies });
      }
    };
    let changing = true;
    const during = (async () => {
      while (changing) {
        await change();
        await sleep(100);
      }
    })();
    const notes: string[] = [];
    let swapped = false;
    try {
      const summary = await runBackfill(
        h.loaded,
        { rate: 300, resume: false, newVersion: true, cleanup: true, graceSeconds: 0 },
        {
          update: () => {},
          stop: () => {},
          note: (message) => {
            notes.push(message);
            // The case: a person renamed the moment the alias moves.
            if (message.startsWith(`alias ${h.index} now points at`)) swapped = true;
          },
        },
      );
      expect(summary).toMatchObject({ liveIndex: `${h.index}_v2`, previousIndex: `${h.index}_v1`, failed: 0 });
      expect(swapped).toBe(true);
      // Right after the swap (and the backfill's end): a burst of changes, renames among them.
      for (let i = 0; i < 10; i++) await change();
    } finally {
      changing = false;
      await during;
    }
    expect(notes).toContain(`the running sink(s) of ${sinkGroup} write the documents (this backfill joins no consumer group)`);
    expect(titles.size).toBeGreaterThan(5);
    expect(names.size).toBeGreaterThan(5);

    // Every change reaches the new version: each title, and each new name in every movie crediting the person.
    await eventually('every change made during and after the reindex searchable in the new version', async () => {
      const found = await h.es.search<{ title: string }>({ index: h.index, size: titles.size, _source: ['title'], query: { terms: { 'title.keyword': [...titles.values()] } } });
      if (found.hits.hits.length < titles.size) return undefined;
      for (const { name, movies } of names.values()) {
        const { count } = await h.es.count({ index: h.index, query: { nested: { path: 'cast', query: { term: { 'cast.talent.name.keyword': name } } } } });
        if (count < movies) return undefined;
      }
      return true;
    }, 120_000);
    expect(Object.keys(await h.es.indices.getAlias({ name: h.index }))).toEqual([`${h.index}_v2`]);
    watching = false;
    await watch;
    await admin.disconnect();
    // One live sink throughout: no member joined or left beside it.
    expect([...sizes]).toEqual([1]);
  }, 300_000);
});
