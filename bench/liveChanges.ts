import type { Client } from '@elastic/elasticsearch';
import { setTimeout as sleep } from 'node:timers/promises';
import { postGraphQL } from '../subgraphs/shared/postGraphQL.ts';
import type { CreditedTalent } from '../support/creditedTalents.ts';

/** One live change, timed from just before its mutation was sent until a search shows all of it. */
export interface ChangeRecord {
  kind: 'retitle' | 'rename';
  /** When its mutation was sent (performance.now()). */
  sentAt: number;
  /** Sent → searchable everywhere it shows (a rename: in every movie crediting the person), ms; null if never before the end. */
  latencyMs: number | null;
  /** Documents that must show it (1 for a retitle). */
  documents: number;
  /** How many of them showed it within 5 s of the mutation (the measure). */
  within5s: number;
}

const RETITLE = 'mutation($id: ID!, $title: String) { updateMovie(movieId: $id, patch: { title: $title }) { movieId } }';
const RENAME = 'mutation($id: ID!, $name: String) { updateTalent(talentId: $id, patch: { name: $name }) { talentId } }';
const POLL_PAUSE_MS = 10;
const WITHIN_MS = 5_000;

interface Pending {
  record: ChangeRecord;
  /** The new title or name, searched for in `title.keyword` or `cast.talent.name.keyword`. */
  value: string;
}

/**
 * Live changes at `perSecond` on a fixed clock (a slow answer does not slow the schedule), every
 * other one a movie retitled (a primary change) and a person renamed (a related change, which the
 * pipeline fans out to each movie crediting them through the reverse lookup). Each is polled with
 * searches of the alias (no forced refresh, as a user sees it) until it shows everywhere.
 */
export class LiveChanges {
  private readonly records: ChangeRecord[] = [];
  private readonly pending: Pending[] = [];
  private sending = true;
  private readonly loops: Promise<void>;

  constructor(
    private readonly target: { gatewayUrl: string; es: Client; index: string },
    movieIds: readonly string[],
    talents: readonly CreditedTalent[],
    perSecond: number,
    label: string,
  ) {
    const started = performance.now();
    const send = async (): Promise<void> => {
      for (let i = 0; this.sending; i++) {
        const wait = started + (i * 1000) / perSecond - performance.now();
        if (wait > 0) await sleep(wait);
        const record: ChangeRecord = { kind: i % 2 === 0 ? 'retitle' : 'rename', sentAt: performance.now(), latencyMs: null, documents: 1, within5s: 0 };
        const n = Math.floor(i / 2);
        if (record.kind === 'retitle') {
          const value = `Fresh ${label} ${n}`;
          this.track({ record, value });
          void this.mutate(record, RETITLE, { id: movieIds[n % movieIds.length], title: value });
        } else {
          const talent = talents[n % talents.length] as CreditedTalent;
          const value = `Renamed ${label} ${n}`;
          record.documents = talent.movies;
          this.track({ record, value });
          void this.mutate(record, RENAME, { id: talent.talentId, name: value });
        }
      }
    };
    this.loops = Promise.all([send(), this.poll()]).then(() => undefined);
  }

  /** Stops sending, waits up to `graceMs` for what is in flight, and returns every change. */
  async stop(graceMs = 60_000): Promise<ChangeRecord[]> {
    this.sending = false;
    const deadline = performance.now() + graceMs;
    while (this.pending.length > 0 && performance.now() < deadline) await sleep(50);
    this.pending.length = 0;
    await this.loops;
    return this.records;
  }

  private track(pending: Pending): void {
    this.records.push(pending.record);
    this.pending.push(pending);
  }

  private async mutate(record: ChangeRecord, query: string, variables: Record<string, unknown>): Promise<void> {
    try {
      await postGraphQL(this.target.gatewayUrl, query, variables);
    } catch (error) {
      console.error(`a ${record.kind} mutation failed: ${(error as Error).message}`);
    }
  }

  /** One search per pending change kind, then 10 ms, until stopped and nothing is pending. */
  private async poll(): Promise<void> {
    while (this.sending || this.pending.length > 0) {
      await sleep(POLL_PAUSE_MS);
      try {
        await this.pollOnce();
      } catch (error) {
        console.error(`a freshness poll failed (tried again): ${(error as Error).message}`);
      }
    }
  }

  private async pollOnce(): Promise<void> {
    const { es, index } = this.target;
    const titles = this.pending.filter((p) => p.record.kind === 'retitle');
    const names = this.pending.filter((p) => p.record.kind === 'rename');
    const [found, counts] = await Promise.all([
      titles.length === 0
        ? new Set<string>()
        : es
            .search<{ title: string }>({ index, size: titles.length, _source: ['title'], query: { terms: { 'title.keyword': titles.map((p) => p.value) } } })
            .then((answer) => new Set(answer.hits.hits.map((hit) => hit._source?.title ?? ''))),
      Promise.all(
        names.map((p) =>
          es
            .count({ index, query: { nested: { path: 'cast', query: { term: { 'cast.talent.name.keyword': p.value } } } } })
            .then((answer) => answer.count),
        ),
      ),
    ]);
    const now = performance.now();
    const shown = new Map<Pending, number>([...titles.map((p): [Pending, number] => [p, found.has(p.value) ? 1 : 0]), ...names.map((p, i): [Pending, number] => [p, counts[i] ?? 0])]);
    for (const [p, count] of shown) {
      if (now - p.record.sentAt <= WITHIN_MS) p.record.within5s = Math.max(p.record.within5s, count);
      if (count >= p.record.documents) {
        p.record.latencyMs = now - p.record.sentAt;
        this.pending.splice(this.pending.indexOf(p), 1);
      }
    }
  }
}
