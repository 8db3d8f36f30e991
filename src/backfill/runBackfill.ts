import type { Client } from '@elastic/elasticsearch';
import PQueue from 'p-queue';
import { elasticsearchClient } from '../clients/elasticsearchClient.ts';
import { kafkaClient } from '../clients/kafkaClient.ts';
import { asInfrastructureError, InfrastructureError, UserError } from '../errors.ts';
import { InterruptedError } from '../interruption.ts';
import { readIndexMetadata, updateIndexMetadata } from '../index/indexMetadata.ts';
import { queryHash } from '../index/queryHash.ts';
import type { LoadedIndex } from '../index/loadIndex.ts';
import type { Enricher } from '../pipeline/enricher.ts';
import { startEnricherAndSink } from '../pipeline/enricherAndSink.ts';
import { AdaptiveRate } from './adaptiveRate.ts';
import { builtFrom, reindexResumeVerdict, swapProblem } from './reindexResume.ts';
import { clearCheckpoint, readCheckpoint, saveCheckpoint, type BackfillCheckpoint } from './backfillCheckpoint.ts';
import type { BackfillProgress } from './backfillProgress.ts';
import { enumerateIds, idsFromFile, requireIdSource } from './enumerateIds.ts';
import { LiveWorkYield, type LiveWorkLimits } from './liveWorkYield.ts';
import { RateLimiter } from './rateLimiter.ts';
import {
  abandonReindex,
  announceReindexTarget,
  createNextVersion,
  retireVersion,
  SINK_ACK_TIMEOUT_MS,
  sinkRegistry,
  swapAlias,
} from './reindex.ts';

export interface BackfillOptions {
  /** Entities per second at most; Infinity for none. Default: the config's backfill.rate. */
  rate?: number;
  resume: boolean;
  /** Read ids from this file (one per line) instead of the backfill query. */
  idsFile?: string;
  /** Build `<index>_v<N+1>` and swap the alias to it when done. */
  newVersion: boolean;
  /** With newVersion: delete the old version right after the swap instead of after the grace period. */
  cleanup: boolean;
  graceSeconds: number;
  /** With newVersion: how long to wait for the running sinks to acknowledge the new version. */
  ackTimeoutMs?: number;
  /** When to wait for the live pipeline before a slice (null: never); default liveWorkLimits(config). */
  yieldTo?: LiveWorkLimits | null;
  /**
   * Ctrl-C: once aborted, the page in flight is finished and checkpointed, then the backfill
   * stops with an InterruptedError (a new version is not swapped in) that says how to resume.
   */
  signal?: AbortSignal;
}

export interface BackfillSummary {
  done: number;
  written: number;
  deleted: number;
  failed: number;
  seconds: number;
  /** Entities per second over the whole run. */
  rate: number;
  liveIndex: string;
  previousIndex: string | null;
}

/**
 * Pushes every primary entity through an Enricher of its own and a sink stage: ids from the
 * backfill query (or a file), page by page; slices of `pipeline.batchSize` fetched with bounded
 * concurrency under a rate cap that halves when the gateway slows down or fails and creeps back
 * after; a checkpoint after every page. With `newVersion`, the documents go to a new index
 * version that every running sink also writes live updates to (src/backfill/reindex.ts), and the
 * alias moves to it at the end.
 */
export async function runBackfill(loaded: LoadedIndex, options: BackfillOptions, progress: BackfillProgress): Promise<BackfillSummary> {
  const { config } = loaded;
  requireIdSource(config, options.idsFile);
  const elasticsearch = elasticsearchClient(config.elasticsearch);
  try {
    const metadata = await readIndexMetadata(elasticsearch, config.index);
    if (!metadata) throw new UserError(`${config.index} is not provisioned yet: run \`fedsearch provision ${config.sourceFile}\` first`);
    const previous = await checkpointToResume(elasticsearch, config.index, options.resume, progress);
    const { resumeFrom, skip } = options.newVersion && previous ? await reindexToResume(elasticsearch, loaded, metadata, previous, progress) : { resumeFrom: previous, skip: null };
    await giveUpPendingReindex(elasticsearch, loaded, metadata, options.newVersion ? (resumeFrom?.target ?? null) : null, progress);
    if (skip !== null) await elasticsearch.indices.delete({ index: skip, ignore_unavailable: true });
    const target = options.newVersion
      ? await startNewVersion(elasticsearch, loaded, metadata.liveIndex, resumeFrom?.target ?? null, skip, options, progress)
      : null;
    const checkpoint: BackfillCheckpoint = { ...(resumeFrom ?? freshCheckpoint(config.index)), target, builtFrom: target ? builtFrom(loaded) : null };

    const { enricher, sink, liveWork } = await startEnricherAndSink(loaded, 'backfill', { documentsFor: target }).catch(async (error: unknown) => {
      // A new version announced but never filled: stop the running sinks' dual writes. A resumed
      // one keeps them (see the catch below).
      if (target && target !== resumeFrom?.target) await abandonReindex(elasticsearch, loaded).catch(() => undefined);
      throw error;
    });
    progress.note(
      sink.via === 'running sinks'
        ? `the running sink(s) of ${loaded.names.sinkGroup} write the documents (this backfill joins no consumer group)`
        : `no sink is running: this backfill writes its documents with a sink of its own`,
    );
    try {
      const started = performance.now();
      const doneAtStart = checkpoint.done;
      const limits = options.yieldTo === undefined ? liveWorkLimits(config) : options.yieldTo;
      const yieldToLive = limits
        ? new LiveWorkYield(liveWork, limits, {
            onUnread: (reason) =>
              progress.note(`could not read what the live pipeline of ${config.index} has pending from Kafka (${reason}); slices go without waiting for it`),
          })
        : null;
      await fetchEveryEntity(loaded, enricher.enricher, checkpoint, options, progress, () => saveCheckpoint(elasticsearch, checkpoint), yieldToLive);
      if (yieldToLive && limits && yieldToLive.totalWaitedMs >= 1_000) {
        progress.note(`slices waited ${(yieldToLive.totalWaitedMs / 1000).toFixed(1)}s in all for the live pipeline (a backfill keeps at most ${limits.documents} documents waiting for the sinks)`);
      }
      progress.note(`fetched ${checkpoint.done} entities; waiting for the sink to write the last documents…`);
      await sink.sinkCaughtUp();
      if (target) {
        const notSwapped = await whyNotSwap(elasticsearch, loaded, checkpoint, metadata.liveIndex, target, options);
        if (notSwapped !== null) {
          // Kept, its pages all to do again: the failed entities are in pages already done, so a
          // resume from the cursor would swap without them; done again, they are fetched again.
          Object.assign(checkpoint, { cursor: null, linesDone: 0, ...emptyTally() });
          throw new UserError(notSwapped);
        }
        await swapAlias(elasticsearch, loaded, metadata.liveIndex, target);
        progress.note(`alias ${config.index} now points at ${target} (was ${metadata.liveIndex})`);
      }
      // Every entity was refetched with this query (not only a file's ids): the index holds what it fetches.
      // Not with failures: the index lacks their documents, and the next apply plans the backfill again.
      if (!target && !options.idsFile && checkpoint.failed === 0) await updateIndexMetadata(elasticsearch, config.index, { queryHash: queryHash(loaded.query) });
      await clearCheckpoint(elasticsearch, config.index);
      const seconds = (performance.now() - started) / 1000;
      const summary: BackfillSummary = {
        done: checkpoint.done,
        written: checkpoint.written,
        deleted: checkpoint.deleted,
        failed: checkpoint.failed,
        seconds,
        rate: seconds > 0 ? (checkpoint.done - doneAtStart) / seconds : 0,
        liveIndex: target ?? metadata.liveIndex,
        previousIndex: target ? metadata.liveIndex : null,
      };
      if (target) await retireVersion(elasticsearch, metadata.liveIndex, options, (message) => progress.note(message));
      return summary;
    } catch (error) {
      // A stopped reindex stays announced: the running sinks go on writing live updates to the
      // version being built, and the documents of finished pages still on their way through the
      // documents topic reach it too. `--resume --new-version` skips those pages, so abandoning
      // here would leave their entities missing or stale in the new version after its swap.
      await saveCheckpoint(elasticsearch, checkpoint).catch(() => undefined);
      if (target) progress.note(`live updates go on to ${metadata.liveIndex} and ${target} until the reindex is resumed (or a backfill without --resume gives it up)`);
      throw error;
    } finally {
      progress.stop();
      await sink.stop();
      await enricher.close();
    }
  } finally {
    await elasticsearch.close();
  }
}

/**
 * By default a backfill keeps no more of its documents waiting for the sinks than its slices in
 * flight produce (a live change waits behind at most that many), and fetches one slice at a time
 * while the live enrich stage has any change event unfinished (its gateway requests then meet at
 * most one of the backfill's). Waiting for those events to be finished instead held a reindex to
 * 45 entities/s in the bench: a related change's commit waits through its second lookup (a second
 * or more), so with renames flowing they are almost never all finished.
 */
export function liveWorkLimits(config: LoadedIndex['config']): LiveWorkLimits {
  return { documents: config.pipeline.batchSize * config.backfill.concurrency, changeEvents: 0 };
}

async function checkpointToResume(
  elasticsearch: Client,
  index: string,
  resume: boolean,
  progress: BackfillProgress,
): Promise<BackfillCheckpoint | undefined> {
  const previous = await readCheckpoint(elasticsearch, index);
  if (previous && !resume) progress.note(`a checkpoint from ${previous.updatedAt} exists; starting over (pass --resume to continue it)`);
  if (!previous && resume) progress.note('no checkpoint to resume; starting from the beginning');
  return resume ? previous : undefined;
}

/**
 * A reindex that stopped stays announced (the running sinks write to both versions) until it is
 * resumed. A backfill that does not resume it gives it up: a new reindex announces its own
 * version instead, and a backfill of the live version ends by clearing the checkpoint that could
 * have resumed it, so its dual writes would otherwise go on for nothing.
 */
async function giveUpPendingReindex(
  elasticsearch: Client,
  loaded: LoadedIndex,
  metadata: { reindexTarget?: string | null; liveIndex: string },
  resuming: string | null,
  progress: BackfillProgress,
): Promise<void> {
  const pending = metadata.reindexTarget ?? null;
  if (pending === null || pending === resuming) return;
  await abandonReindex(elasticsearch, loaded);
  progress.note(`the stopped reindex into ${pending} is given up: live updates go to ${metadata.liveIndex} alone until a new version is announced (${pending} stays until deleted)`);
}

/**
 * A reindex checkpoint is resumed only into the version it was building, while that version
 * exists and was created from the query and shape the config gives now; otherwise the reindex
 * starts over in a new version (`skip`: the stopped one's name, deleted once given up and never
 * reused — documents produced for it may still be on their way). A checkpoint of a backfill in
 * place is no start for a new version either: its pages went to the live version.
 */
async function reindexToResume(
  elasticsearch: Client,
  loaded: LoadedIndex,
  metadata: { liveIndex: string },
  previous: BackfillCheckpoint,
  progress: BackfillProgress,
): Promise<{ resumeFrom: BackfillCheckpoint | undefined; skip: string | null }> {
  if (previous.target === null) {
    progress.note(`the checkpoint is of a backfill of ${metadata.liveIndex} in place, not of a new version: the new version is filled from the beginning`);
    return { resumeFrom: undefined, skip: null };
  }
  const target = previous.target;
  const exists = await elasticsearch.indices.exists({ index: target });
  const verdict = reindexResumeVerdict({ ...previous, target }, builtFrom(loaded), exists);
  if (verdict.resumable) return { resumeFrom: previous, skip: null };
  progress.note(
    `the stopped reindex into ${target} (${previous.done} entities done) is not resumed: ${verdict.why}; ` +
      `${exists ? `${target} is deleted and ` : ''}a new version is filled from the beginning`,
  );
  return { resumeFrom: undefined, skip: target };
}

/** Why the new version must not replace the live one (swapProblem, with what to do next), or null when it may. */
async function whyNotSwap(
  elasticsearch: Client,
  loaded: LoadedIndex,
  checkpoint: BackfillCheckpoint,
  liveIndex: string,
  target: string,
  options: BackfillOptions,
): Promise<string | null> {
  const { config, names } = loaded;
  await elasticsearch.indices.refresh({ index: [target, liveIndex] });
  const held = (await elasticsearch.count({ index: target })).count;
  const live = (await elasticsearch.count({ index: liveIndex })).count;
  const problem = swapProblem({ failed: checkpoint.failed, done: checkpoint.done, written: checkpoint.written, held, live }, target, liveIndex);
  if (problem === null) return null;
  return (
    `reindex of ${config.index} into ${target} not swapped: ${problem}; dead letters in ${names.dlqTopic} (\`fedsearch dlq ${config.sourceFile}\` says why). ` +
    `The alias stays on ${liveIndex} (${live} documents). ${target} is kept, live updates go on to both, and the next \`fedsearch apply\` ` +
    `(or \`${resumeCommand(config.sourceFile, options)}\`) fetches every entity into it again before it swaps`
  );
}

function freshCheckpoint(index: string): BackfillCheckpoint {
  const now = new Date().toISOString();
  return { index, cursor: null, linesDone: 0, done: 0, written: 0, deleted: 0, failed: 0, target: null, startedAt: now, updatedAt: now };
}

/**
 * The version to build (the one a resumed checkpoint was building, if it still exists), announced
 * to every running sink; fetching starts only once they all write to it, so any update a sink
 * writes only to the old version was fetched before this backfill fetches the same entity.
 */
async function startNewVersion(
  elasticsearch: Client,
  loaded: LoadedIndex,
  liveIndex: string,
  resumeTarget: string | null,
  skip: string | null,
  options: BackfillOptions,
  progress: BackfillProgress,
): Promise<string> {
  const target = resumeTarget ?? (await createNextVersion(elasticsearch, loaded, liveIndex, skip === null ? [] : [skip]));
  const kafkaAdmin = kafkaClient(loaded.config.kafka, '-backfill').admin();
  await kafkaAdmin.connect();
  try {
    const registry = sinkRegistry(elasticsearch, kafkaAdmin, loaded);
    const { message } = await announceReindexTarget(elasticsearch, registry, loaded, target, options.ackTimeoutMs ?? SINK_ACK_TIMEOUT_MS);
    progress.note(message);
  } catch (error) {
    // Only a version of this run's own: a resumed one holds pages the resume will skip.
    if (target !== resumeTarget) await abandonReindex(elasticsearch, loaded).catch(() => undefined);
    throw error;
  } finally {
    await kafkaAdmin.disconnect();
  }
  progress.note(`building ${target} (live updates go to ${liveIndex} and ${target})`);
  return target;
}

/** What a backfill does with one slice of ids: fetch them and produce their documents (dead-lettering failures). */
type FetchSlice = (ids: string[]) => Promise<{ written: number; deleted: number; failed: number }>;

/**
 * The id loop: pages of ids (from the backfill query or a file), each sliced into batches fetched
 * through the enricher under the rate cap, the checkpoint saved after every page.
 * The checkpoint counts finished pages only, so a page that fails (or a resume) is counted once.
 */
async function fetchEveryEntity(
  loaded: LoadedIndex,
  enricher: Pick<Enricher, 'enrich' | 'deadLetterFailures'>,
  checkpoint: BackfillCheckpoint,
  options: BackfillOptions,
  progress: BackfillProgress,
  save: () => Promise<void>,
  yieldToLive: Pick<LiveWorkYield, 'turn'> | null,
): Promise<void> {
  const { config } = loaded;
  const cap = options.rate ?? config.backfill.rate;
  const limiter = new RateLimiter(cap);
  const adaptive = new AdaptiveRate(limiter, cap, progress);
  const queue = new PQueue({ concurrency: config.backfill.concurrency });
  const started = performance.now();
  const doneAtStart = checkpoint.done;
  const recent = new RecentRate();
  let total: number | null = null;
  let page: PageTally = emptyTally();
  const report = (): void => {
    const seconds = (performance.now() - started) / 1000;
    const done = checkpoint.done + page.done;
    progress.update({ done, total, failed: checkpoint.failed + page.failed, rate: seconds > 0 ? (done - doneAtStart) / seconds : 0, cap: limiter.rate });
  };
  const fetchSlice: FetchSlice = async (slice) => {
    const done = await yieldToLive?.turn();
    let outcome: Awaited<ReturnType<typeof enricher.enrich>>;
    try {
      await limiter.take(slice.length);
      const sliceStarted = performance.now();
      outcome = await enricher.enrich(new Map(slice.map((id) => [id, null])));
      adaptive.observe(performance.now() - sliceStarted, outcome.failed.length / slice.length, recent.rate(checkpoint.done + page.done));
    } finally {
      done?.();
    }
    await enricher.deadLetterFailures(outcome.failed);
    return { written: outcome.written, deleted: outcome.deleted, failed: outcome.failed.length };
  };
  try {
    const pages = options.idsFile ? idsFromFile(options.idsFile, checkpoint.linesDone) : enumerateIds(loaded, checkpoint.cursor);
    for await (const { ids, endCursor, total: pageTotal } of pages) {
      total = pageTotal ?? total;
      page = emptyTally();
      const tally = page;
      try {
        await fetchPage(queue, ids, config.pipeline.batchSize, async (slice) => {
          const outcome = await fetchSlice(slice);
          tally.done += slice.length;
          tally.written += outcome.written;
          tally.deleted += outcome.deleted;
          tally.failed += outcome.failed;
          report();
        });
      } catch (failure) {
        throw pageFailed(failure, config.index, checkpoint.done, resumeCommand(config.sourceFile, options));
      }
      // A page is finished when all its slices are: only then is its cursor safe to resume after.
      checkpoint.done += tally.done;
      checkpoint.written += tally.written;
      checkpoint.deleted += tally.deleted;
      checkpoint.failed += tally.failed;
      page = emptyTally();
      if (options.idsFile) checkpoint.linesDone = Number(endCursor);
      else checkpoint.cursor = endCursor;
      await save();
      if (options.signal?.aborted) {
        throw new InterruptedError(
          `backfill of ${config.index} stopped after ${checkpoint.done} entities; \`${resumeCommand(config.sourceFile, options)}\` continues it`,
        );
      }
    }
  } finally {
    queue.clear();
  }
}

interface PageTally {
  done: number;
  written: number;
  deleted: number;
  failed: number;
}

const emptyTally = (): PageTally => ({ done: 0, written: 0, deleted: 0, failed: 0 });

const resumeCommand = (configFile: string, options: BackfillOptions): string =>
  `fedsearch backfill ${configFile} --resume${options.newVersion ? ' --new-version' : ''}`;

/** A slice of a page that failed, with the ids it held (for the message). */
class SliceFailed extends Error {
  constructor(
    readonly ids: readonly string[],
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/**
 * One page's ids in slices of `sliceSize` through the queue (bounded concurrency). Resolves when
 * every slice is done. On the first failure the slices not yet started are dropped, the ones
 * running are let finish (nothing is left writing behind the caller's back), and it rejects with
 * a SliceFailed naming the failed slice.
 */
export async function fetchPage(queue: PQueue, ids: readonly string[], sliceSize: number, fetchSlice: (slice: string[]) => Promise<void>): Promise<void> {
  let failure: SliceFailed | undefined;
  for (let start = 0; start < ids.length; start += sliceSize) {
    const slice = ids.slice(start, start + sliceSize);
    // Caught inside the task, not on add()'s promise: the queue starts the next slice as soon as
    // this one settles, before a handler on that promise would run.
    void queue.add(async () => {
      if (failure) return;
      try {
        await fetchSlice(slice);
      } catch (error) {
        failure ??= new SliceFailed(slice, error);
        queue.clear();
      }
    });
  }
  await queue.onIdle();
  if (failure) throw failure;
}

/**
 * Why the backfill stopped, for the person who runs it: which ids, what failed, and that the
 * checkpoint holds the pages finished before (the caller saves it). Exit code as the cause's
 * (a user's mistake stays one), a service failing otherwise.
 */
function pageFailed(failure: unknown, index: string, done: number, resume: string): Error {
  const slice = failure instanceof SliceFailed ? failure : new SliceFailed([], failure);
  const cause = asInfrastructureError(slice.cause, 'a service failed');
  const reason = cause instanceof Error ? cause.message : String(cause);
  const which = slice.ids.length > 0 ? `a batch of ${slice.ids.length} ids from ${slice.ids[0]}` : 'a batch of ids';
  const message =
    `backfill of ${index} stopped: ${which} failed: ${reason}; ` +
    `the checkpoint keeps the ${done} entities of the pages finished before it, \`${resume}\` continues from there`;
  return cause instanceof UserError ? new UserError(message, { cause }) : new InfrastructureError(message, { cause });
}

/** Entities per second over roughly the last five seconds. */
class RecentRate {
  private readonly samples: Array<{ at: number; done: number }> = [];

  rate(done: number): number {
    const now = performance.now();
    this.samples.push({ at: now, done });
    while (this.samples.length > 2 && now - (this.samples[0] as { at: number }).at > 5_000) this.samples.shift();
    const first = this.samples[0] as { at: number; done: number };
    return now - first.at < 250 ? 0 : ((done - first.done) / (now - first.at)) * 1000;
  }
}

