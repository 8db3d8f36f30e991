import type { LoadedIndex } from '../index/loadIndex.ts';
import { queryHash } from '../index/queryHash.ts';
import { indexShape } from '../provision/shapeFingerprint.ts';
import type { BackfillCheckpoint, ReindexBuiltFrom } from './backfillCheckpoint.ts';

/** What a version created from this config now is built from (recorded in the reindex's checkpoint). */
export function builtFrom(loaded: LoadedIndex): ReindexBuiltFrom {
  return { queryHash: queryHash(loaded.query), shape: indexShape(loaded).fingerprint };
}

export type ResumeVerdict = { resumable: true } | { resumable: false; why: string };

/**
 * Whether a stopped reindex can be resumed into the version it was building: only while that
 * version exists (the checkpoint skips the pages it holds) and was created from the query and
 * shape the config gives now (its template's `dynamic: strict` mapping refuses documents with a
 * field it lacks, and the pages done hold documents of the earlier query).
 */
export function reindexResumeVerdict(
  checkpoint: Pick<BackfillCheckpoint, 'target' | 'builtFrom'> & { target: string },
  now: ReindexBuiltFrom,
  targetExists: boolean,
): ResumeVerdict {
  const { target, builtFrom: then } = checkpoint;
  if (!targetExists) return { resumable: false, why: `${target} no longer exists` };
  if (!then) return { resumable: false, why: `${target} was built by an earlier fedsearch that did not record the query and shape it was built for` };
  if (then.queryHash !== now.queryHash) return { resumable: false, why: `${target} was built for another query than the config's now` };
  if (then.shape !== now.shape) return { resumable: false, why: `${target} was built for another mapping or document shape than the config's now` };
  return { resumable: true };
}

/**
 * What keeps a finished reindex from swapping, or null: entities that failed (their documents are
 * not in the new version), or documents missing from it — fewer than the reindex wrote *and* fewer
 * than the live version holds (refused by its mapping). Either count alone is no proof: live
 * updates delete from both versions, so a busy index holds fewer than were written (a reindex
 * held back for that would never swap), and the live version may hold documents the graph no
 * longer has, which a reindex is there to drop.
 */
export function swapProblem(counts: { failed: number; done: number; written: number; held: number; live: number }, target: string, liveIndex: string): string | null {
  const { failed, done, written, held, live } = counts;
  if (failed > 0) return `${failed} of ${done} entities failed`;
  if (held < written && held < live) {
    return `${target} holds ${held} documents, ${written - held} fewer than the ${written} the reindex wrote and ${live - held} fewer than ${liveIndex} (refused by its mapping)`;
  }
  return null;
}
