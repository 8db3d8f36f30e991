import type { Client } from '@elastic/elasticsearch';
import { setTimeout as sleep } from 'node:timers/promises';
import { postGraphQL } from '../subgraphs/shared/postGraphQL.ts';
import { percentile } from './percentile.ts';

/** How long, on the bench's clock, a change took from its mutation being sent to being searchable. */
export interface FreshnessRun {
  changes: number;
  /** Mutation sent → its new title found by a search, ms, ascending. */
  latenciesMs: number[];
  /** Mutation sent → the gateway's answer (the commit, or the write and its event), ms, ascending. */
  mutationMs: number[];
  /** Changes never found searchable before the deadline. */
  lost: number;
  /** Mutations the gateway refused (their changes are not waited for). */
  refused: string[];
}

export interface FreshnessTarget {
  gatewayUrl: string;
  es: Client;
  index: string;
}

const RETITLE = 'mutation($id: ID!, $title: String) { updateMovie(movieId: $id, patch: { title: $title }) { movieId } }';
/** As bench/run.ts's freshness row waits for each title: a search, then 10 ms. */
const POLL_PAUSE_MS = 10;
/** After the last change is sent, how long its stragglers are waited for. */
const GRACE_MS = 120_000;

/**
 * Retitles movie `ids[i]` at `started + i / perSecond` s — a fixed clock, so a slow answer does not
 * slow the schedule down — through the gateway, and measures each change as bench/run.ts's
 * freshness row does: from just before its mutation is sent until a search of the index (no
 * forced refresh, as a user sees it) finds the new title. One terms query polls every pending
 * title at once, so the poller keeps up whatever the rate. `label` makes the titles unique.
 */
export async function freshnessAtRate(target: FreshnessTarget, ids: readonly string[], perSecond: number, label: string): Promise<FreshnessRun> {
  const pending = new Map<string, number>();
  const latencies: number[] = [];
  const mutation: number[] = [];
  const refused: string[] = [];
  const started = performance.now();
  const answers: Array<Promise<void>> = [];
  let allSent = false;
  const sending = (async () => {
    for (const [i, id] of ids.entries()) {
      const due = started + (i * 1000) / perSecond;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const title = `Fresh ${label} ${i}`;
      const from = performance.now();
      pending.set(title, from);
      answers.push(
        postGraphQL(target.gatewayUrl, RETITLE, { id, title }).then(
          () => void mutation.push(performance.now() - from),
          (error: unknown) => {
            pending.delete(title);
            refused.push(`${id}: ${(error as Error).message}`);
          },
        ),
      );
    }
    allSent = true;
  })();
  let deadline = Number.POSITIVE_INFINITY;
  while (!allSent || pending.size > 0) {
    if (allSent && deadline === Number.POSITIVE_INFINITY) deadline = performance.now() + GRACE_MS;
    if (performance.now() > deadline) break;
    await sleep(POLL_PAUSE_MS);
    if (pending.size === 0) continue;
    const titles = [...pending.keys()];
    const found = await target.es.search<{ title: string }>({ index: target.index, size: titles.length, _source: ['title'], query: { terms: { 'title.keyword': titles } } });
    const now = performance.now();
    for (const hit of found.hits.hits) {
      const title = hit._source?.title;
      const from = title === undefined ? undefined : pending.get(title);
      if (title === undefined || from === undefined) continue;
      latencies.push(now - from);
      pending.delete(title);
    }
  }
  await sending;
  await Promise.all(answers);
  return { changes: ids.length, latenciesMs: latencies.sort((a, b) => a - b), mutationMs: mutation.sort((a, b) => a - b), lost: pending.size, refused };
}

/** p50, p95 and p99 of an ascending list. */
export function percentiles(sorted: readonly number[]): { p50: number; p95: number; p99: number } {
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
}
