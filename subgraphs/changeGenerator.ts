import { setTimeout as sleep } from 'node:timers/promises';
import { SeededRandom } from './data/seededRandom.ts';
import { entityId, PRODUCTION_STATUSES } from './data/studioRows.ts';
import { FIRST_NAMES, GENRES, LAST_NAMES, TITLE_ADJECTIVES, TITLE_NOUNS } from './data/vocabulary.ts';
import { HUB_TALENT_ID, RYAN_REYNOLDS_ID } from './data/generateStudio.ts';
import { postGraphQL } from './shared/postGraphQL.ts';

export type ChangeKind = 'movie' | 'production' | 'talent' | 'credit';

export interface Change {
  kind: ChangeKind;
  /** The entity the mutation touched (for a credit: the movie that gains it). */
  id: string;
  /** One line for a person watching the demo, e.g. `talent tal-0000123 renamed "Ana Silva"`. */
  description: string;
}

export interface ChangeGeneratorOptions {
  gatewayUrl: string;
  /** Size of the studio the graph serves (ids are mov-/ptp-0000001 … and tal- up to 3 ×). */
  movies: number;
  /** Mutations per second, spread evenly. */
  perSecond: number;
  seed?: number;
  onChange?: (change: Change) => void;
  /** A mutation that fails is reported (with the kind of change tried) and skipped: the generator keeps its pace. */
  onError?: (error: Error, kind: ChangeKind) => void;
}

export interface RunningChangeGenerator {
  counts(): Record<ChangeKind, number>;
  /** Resolves once the mutation in flight (if any) has finished. */
  stop(): Promise<void>;
}

/**
 * A steady trickle of mutations across the three demo subgraphs, sent through the gateway as a
 * client would: movies retitled or re-rated, productions moving on in their life cycle, talent
 * renamed, credits added. Each mutation publishes a change event, so the index visibly moves.
 * Ryan Reynolds and the fan-out hub keep their names, so the demo's example searches stay true.
 */
export function startChangeGenerator(options: ChangeGeneratorOptions): RunningChangeGenerator {
  if (!(options.perSecond > 0)) throw new RangeError(`changes per second must be above 0, got ${options.perSecond}`);
  const random = new SeededRandom(options.seed ?? Date.now());
  const counts: Record<ChangeKind, number> = { movie: 0, production: 0, talent: 0, credit: 0 };
  const intervalMs = 1000 / options.perSecond;
  const abort = new AbortController();

  const loop = (async () => {
    let next = performance.now();
    while (!abort.signal.aborted) {
      const kind = random.pick(CHANGE_KINDS);
      try {
        const change = await applyChange(kind, options.gatewayUrl, options.movies, random);
        counts[change.kind]++;
        options.onChange?.(change);
      } catch (error) {
        options.onError?.(error instanceof Error ? error : new Error(String(error)), kind);
      }
      // Keep the pace from the schedule, not from the end of the last call, so slow calls
      // do not lower the rate (and a long stall does not cause a burst afterwards).
      next = Math.max(next + intervalMs, performance.now() - intervalMs);
      await sleep(Math.max(0, next - performance.now()), undefined, { signal: abort.signal }).catch(() => undefined);
    }
  })();

  return {
    counts: () => ({ ...counts }),
    async stop() {
      abort.abort();
      await loop;
    },
  };
}

const CHANGE_KINDS: readonly ChangeKind[] = ['movie', 'production', 'talent', 'credit'];

async function applyChange(kind: ChangeKind, gatewayUrl: string, movies: number, random: SeededRandom): Promise<Change> {
  const movieId = entityId('mov', random.int(1, movies));
  switch (kind) {
    case 'movie': {
      if (random.chance(0.5)) {
        const title = `The ${random.pick(TITLE_ADJECTIVES)} ${random.pick(TITLE_NOUNS)}`;
        await postGraphQL(gatewayUrl, 'mutation($id: ID!, $title: String) { updateMovie(movieId: $id, patch: { title: $title }) { movieId } }', { id: movieId, title });
        return { kind, id: movieId, description: `movie ${movieId} retitled "${title}"` };
      }
      const genres = random.sample(GENRES, random.int(1, 3));
      await postGraphQL(gatewayUrl, 'mutation($id: ID!, $genres: [String!]) { updateMovie(movieId: $id, patch: { genres: $genres }) { movieId } }', { id: movieId, genres });
      return { kind, id: movieId, description: `movie ${movieId} now in ${genres.join(', ')}` };
    }
    case 'production': {
      const ptpId = entityId('ptp', random.int(1, movies));
      const status = random.pick(PRODUCTION_STATUSES);
      await postGraphQL(gatewayUrl, 'mutation($id: ID!, $status: ProductionStatus) { updateProduction(ptpId: $id, patch: { status: $status }) { ptpId } }', { id: ptpId, status });
      return { kind, id: ptpId, description: `production ${ptpId} now ${status}` };
    }
    case 'talent': {
      let talentId = entityId('tal', random.int(1, movies * 3));
      if (talentId === RYAN_REYNOLDS_ID || talentId === HUB_TALENT_ID) talentId = entityId('tal', 3);
      const name = `${random.pick(FIRST_NAMES)} ${random.pick(LAST_NAMES)}`;
      await postGraphQL(gatewayUrl, 'mutation($id: ID!, $name: String) { updateTalent(talentId: $id, patch: { name: $name }) { talentId } }', { id: talentId, name });
      return { kind, id: talentId, description: `talent ${talentId} renamed "${name}" (every movie crediting them follows)` };
    }
    case 'credit': {
      const talentId = entityId('tal', random.int(3, movies * 3));
      await postGraphQL(gatewayUrl, 'mutation($movieId: ID!, $talentId: ID!) { addCredit(input: { movieId: $movieId, talentId: $talentId, role: ACTOR }) { role } }', { movieId, talentId });
      return { kind, id: movieId, description: `movie ${movieId} casts ${talentId} as an actor` };
    }
  }
}
