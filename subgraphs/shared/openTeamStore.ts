import { changeDataCaptureTopic, CREDITS_TABLE, MOVIES_TABLE, PRODUCTIONS_TABLE, TALENT_TABLE } from '../data/studioTables.ts';
import { DEMO_TOPICS, DiscardChangeEvents, KafkaChangeEventSink, type StudioTopics } from './changeEvents.ts';
import { PostgresStore } from './postgresStore.ts';
import { MemoryStore } from './publishingTable.ts';
import type { TeamStore } from './teamTable.ts';

export interface TeamStoreOptions {
  movies?: number;
  seed?: number;
  hubTalentMovies?: number;
  kafkaBrokers: string[] | null;
  topics?: StudioTopics;
  postgresUrl?: string;
  /** Empty the PostgreSQL databases and fill them with the studio again even when they hold it already (with its changes since). */
  freshStudio?: boolean;
}

/** Names the studio a PostgreSQL store holds: another size or seed fills the databases again. */
export function studioKey(options: Pick<TeamStoreOptions, 'movies' | 'seed' | 'hubTalentMovies'>): string {
  return `movies=${options.movies ?? 10_000} seed=${options.seed ?? 42} hub=${options.hubTalentMovies ?? 0}`;
}

/**
 * The store the options select, with the topics the graph's changes appear on: Debezium's
 * (`<database>.public.<table>`) for PostgreSQL, the teams' own for the in-memory store.
 */
export async function openTeamStore(options: TeamStoreOptions): Promise<{ store: TeamStore; topics: StudioTopics }> {
  if (options.postgresUrl !== undefined) {
    const topics: StudioTopics = {
      movie: changeDataCaptureTopic(MOVIES_TABLE),
      production: changeDataCaptureTopic(PRODUCTIONS_TABLE),
      talent: changeDataCaptureTopic(TALENT_TABLE),
      credit: changeDataCaptureTopic(CREDITS_TABLE),
    };
    return { store: new PostgresStore(options.postgresUrl, studioKey(options), options.freshStudio === true), topics };
  }
  const topics = options.topics ?? DEMO_TOPICS;
  const sink = options.kafkaBrokers
    ? await KafkaChangeEventSink.connect(options.kafkaBrokers, 'fedsearch-demo-graph', Object.values(topics))
    : new DiscardChangeEvents();
  return { store: new MemoryStore(sink, topics), topics };
}
