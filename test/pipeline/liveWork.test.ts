import { describe, expect, it } from 'vitest';
import { readLiveWork } from '../../src/pipeline/liveWork.ts';

const groups = { enrichGroup: 'films-enrich', eventTopics: ['films.changes', 'people.changes'], sinkGroup: 'films-sink', documentsTopic: 'films.documents' };

/** An admin over topics' end offsets, groups' commits ('-1': none) and how many members each group has. */
function admin(ends: Record<string, number[]>, commits: Record<string, Record<string, string[]>>, members: Record<string, number>) {
  return {
    describeGroups: async (ids: string[]) => ({ groups: ids.map((groupId) => ({ groupId, members: Array.from({ length: members[groupId] ?? 0 }, () => ({})) })) }),
    fetchTopicOffsets: async (topic: string) => (ends[topic] ?? []).map((high, partition) => ({ partition, high: String(high), low: '0', offset: String(high) })),
    fetchOffsets: async ({ groupId, topics }: { groupId: string; topics: string[] }) =>
      topics.map((topic) => ({ topic, partitions: (commits[groupId]?.[topic] ?? []).map((offset, partition) => ({ partition, offset, metadata: null })) })),
  } as unknown as Parameters<typeof readLiveWork>[0];
}

describe('readLiveWork', () => {
  it("counts each running group's messages between its commits and the topics' ends", async () => {
    const work = await readLiveWork(
      admin(
        { 'films.changes': [10, 4], 'people.changes': [3], 'films.documents': [500, 20, 7] },
        { 'films-enrich': { 'films.changes': ['8', '4'], 'people.changes': ['2'] }, 'films-sink': { 'films.documents': ['380', '20', '5'] } },
        { 'films-enrich': 1, 'films-sink': 2 },
      ),
      groups,
    );
    expect(work).toEqual({ changeEvents: 3, documents: 122 });
  });

  it('counts nothing in a partition its group never committed in (a live group starts at the end), nor for a group with no member', async () => {
    const work = await readLiveWork(
      admin({ 'films.changes': [10_000], 'people.changes': [0], 'films.documents': [900] }, { 'films-enrich': { 'films.changes': ['-1'] }, 'films-sink': { 'films.documents': ['100'] } }, { 'films-enrich': 1 }),
      groups,
    );
    expect(work).toEqual({ changeEvents: 0, documents: 0 });
  });
});
