import type { Client } from '@elastic/elasticsearch';
import type { Kafka } from '../src/clients/kafkajs.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { HUB_TALENT_ID } from '../subgraphs/data/generateStudio.ts';
import type { IndexHarness } from '../support/indexHarness.ts';
import { startIndexerProcess } from './indexerProcesses.ts';
import { produceMovieEvents, waitUntilSearchable } from './movieEvents.ts';

/** How a person credited in many movies gets a new name: in the graph, and as a change event fedsearch reads. */
export type Rename = (oldName: string, newName: string) => Promise<void>;

/**
 * The reverse-lookup fan-out: the hub person (credited in `movies` indexed movies) renamed
 * `rounds` times, each timed from the change until every one of those movies is searchable with
 * the new name. Returns the times, in ms.
 */
export async function timeFanout(h: IndexHarness, movies: number, rounds: number, rename: Rename): Promise<number[]> {
  let oldName = await hubName(h.es, h.index);
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const newName = `Fan-Out ${round} ${Date.now()}`;
    const started = performance.now();
    await rename(oldName, newName);
    for (;;) {
      const { count } = await h.es.count({ index: h.index, query: { nested: { path: 'cast', query: { term: { 'cast.talent.name.keyword': newName } } } } });
      if (count >= movies) break;
      await sleep(20);
    }
    times.push(performance.now() - started);
    oldName = newName;
    await sleep(1_000);
  }
  return times;
}

/**
 * The fan-out against the replay gateway at `replayUrl`: a `fedsearch run` process indexes `ids`
 * from change events (the replay gateway has no list to backfill from), then `timeFanout` with the
 * rename replayed.
 */
export async function timeFanoutOnReplay(h: IndexHarness, replayUrl: string, ids: readonly string[], movies: number, rounds: number): Promise<number[]> {
  const indexer = await startIndexerProcess(h);
  try {
    await produceMovieEvents(h.kafka, h.loaded.config.primary.events[0]?.topic as string, ids);
    await waitUntilSearchable(h.es, h.index, ids.length);
    return await timeFanout(h, movies, rounds, renameInReplay(h, replayUrl));
  } finally {
    await indexer.stop();
  }
}

/** On the demo graph: the talent subgraph's mutation, which publishes the change event itself. */
export function renameThroughGraph(h: IndexHarness): Rename {
  return async (_oldName, newName) => {
    await h.gql('mutation($id: ID!, $name: String) { updateTalent(talentId: $id, patch: { name: $name }) { talentId } }', { id: HUB_TALENT_ID, name: newName });
  };
}

/**
 * On the fast graph: the name replaced in the replay gateway's recorded answers, then the change
 * event a talent service would publish, put on the index's talent topic.
 */
export function renameInReplay(h: IndexHarness, replayUrl: string): Rename {
  const topic = h.loaded.config.related.find((related) => related.type === 'Talent')?.events[0]?.topic;
  if (!topic) throw new Error('the index has no Talent events');
  return async (oldName, newName) => {
    const response = await fetch(new URL('/replace', replayUrl), { method: 'POST', body: JSON.stringify({ from: oldName, to: newName }) });
    if (!response.ok) throw new Error(`the replay gateway refused the rename: HTTP ${response.status}`);
    await produceTalentEvent(h.kafka, topic, HUB_TALENT_ID);
  };
}

async function produceTalentEvent(kafka: Kafka, topic: string, talentId: string): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    const value = JSON.stringify({ op: 'u', before: null, after: { talentId }, ts_ms: Date.now(), source: { service: 'bench', entity: 'Talent' } });
    await producer.send({ topic, acks: -1, messages: [{ key: talentId, value }] });
  } finally {
    await producer.disconnect();
  }
}

/** The hub person's name as indexed now. */
async function hubName(es: Client, index: string): Promise<string> {
  const response = await es.search<{ cast: Array<{ talent: { talentId: string; name: string } | null }> }>({
    index,
    size: 1,
    _source: ['cast.talent'],
    query: { nested: { path: 'cast', query: { term: { 'cast.talent.talentId': HUB_TALENT_ID } } } },
  });
  const name = response.hits.hits[0]?._source?.cast.find((credit) => credit.talent?.talentId === HUB_TALENT_ID)?.talent?.name;
  if (!name) throw new Error(`${index}: no indexed movie credits ${HUB_TALENT_ID}`);
  return name;
}
