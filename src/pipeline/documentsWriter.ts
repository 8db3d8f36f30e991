import { setTimeout as sleep } from 'node:timers/promises';
import { InfrastructureError } from '../errors.ts';
import { committedOffsets, endOffsets, hasCaughtUp, type OffsetsAdmin, type PartitionOffsets } from './consumerGroupProgress.ts';

/** What writes the documents a backfill (or an audit's repair) produces to the documents topic. */
export interface DocumentsWriter {
  /** The index's running sinks (this work joins no consumer group), or a sink of its own. */
  readonly via: 'running sinks' | 'own sink';
  /** Resolves once everything produced so far is written; rejects after `timeoutMs`. */
  sinkCaughtUp(timeoutMs?: number): Promise<void>;
  /** Stops its own sink, if it started one. */
  stop(): Promise<void>;
}

/** A sink of the work's own, in the index's sink group (runPipeline's sink stage). */
export interface OwnSink {
  sinkCaughtUp(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface DocumentsWriterDeps {
  /** How many members the index's sink group has now (describeGroups). */
  liveSinks(): Promise<number>;
  /** Reads the documents topic's end offsets and the sink group's commits. */
  offsets: OffsetsAdmin;
  sinkGroup: string;
  documentsTopic: string;
  startOwnSink(): Promise<OwnSink>;
  pollMs?: number;
}

/** Default wait for the sink to write the last documents, as runPipeline's. */
const CAUGHT_UP_TIMEOUT_MS = 600_000;

/**
 * Who writes a backfill's documents. When the index's live sinks run, they do: the backfill only
 * produces and then waits for the sink group's commits to pass what it produced. It used to join
 * the sink group with a sink of its own, which cost the live sinks two rebalances — one when it
 * joined, and one when it left right after the alias swap, during which the partitions it held
 * were read by nobody until the live sink's next heartbeat told it to rejoin (up to its fetch
 * wait of 5 s: live changes, a related one's fan-out included, stalled on those partitions).
 * With no live sink, nothing else would write them: a sink of its own joins the group (and
 * stays until it has written them). A live sink that leaves while the backfill waits is replaced
 * the same way, so the wait never depends on a sink that is gone.
 */
export async function documentsWriter(deps: DocumentsWriterDeps): Promise<DocumentsWriter> {
  if ((await deps.liveSinks()) === 0) return ownSinkWriter(await deps.startOwnSink());
  let own: OwnSink | undefined;
  return {
    get via() {
      return own ? 'own sink' : 'running sinks';
    },
    async sinkCaughtUp(timeoutMs = CAUGHT_UP_TIMEOUT_MS) {
      if (own) return own.sinkCaughtUp(timeoutMs);
      const deadline = Date.now() + timeoutMs;
      const end = await endOffsets(deps.offsets, deps.documentsTopic);
      for (;;) {
        if (hasCaughtUp(await committedOffsets(deps.offsets, deps.sinkGroup, deps.documentsTopic), end)) return;
        if ((await deps.liveSinks()) === 0) {
          own = await deps.startOwnSink();
          return own.sinkCaughtUp(Math.max(0, deadline - Date.now()));
        }
        if (Date.now() >= deadline) throw notCaughtUp(deps, end, timeoutMs);
        await sleep(deps.pollMs ?? 250);
      }
    },
    async stop() {
      await own?.stop();
    },
  };
}

function ownSinkWriter(sink: OwnSink): DocumentsWriter {
  return { via: 'own sink', sinkCaughtUp: (timeoutMs) => sink.sinkCaughtUp(timeoutMs ?? CAUGHT_UP_TIMEOUT_MS), stop: () => sink.stop() };
}

function notCaughtUp(deps: DocumentsWriterDeps, end: PartitionOffsets, timeoutMs: number): InfrastructureError {
  const where = [...end].map(([partition, offset]) => `${partition}:${offset}`).join(', ');
  return new InfrastructureError(
    `the running sinks (${deps.sinkGroup}) did not write ${deps.documentsTopic} up to ${where} within ${timeoutMs / 1000}s; ` +
      'is a `fedsearch run` of this index stuck (Elasticsearch unreachable)? Its /healthz says',
  );
}
