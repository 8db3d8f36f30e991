import type { Logger } from '../logger.ts';
import type { PauseReason } from './pauseReasons.ts';
import { heartbeatWhile } from './heartbeatWhile.ts';
import type { PipelineEvents } from './pipelineEvents.ts';
import type { SchemaRejection } from './schemaRejection.ts';


/** What makes the pipeline pause: the reason, the field and the subgraph it is about, and the graph's words. */
export interface PauseCause {
  /**
   * `breaks`: the graph (its supergraph file, or the gateway's schema) no longer validates the
   * query; `subgraph_rejects`: a subgraph refuses a field the gateway still plans for it (the
   * subgraph was redeployed without it, the gateway not yet recomposed); `needs_reindex`: a
   * field's shape changed so the provisioned Avro reader cannot read the new documents.
   */
  reason: PauseReason;
  /** `Talent.name`; null when no one field is named. */
  field: string | null;
  /** The subgraph that owns the field (or refused it: its URL when no supergraph names it); null when unknown. */
  subgraph: string | null;
  message: string;
}

/** The graph as a check found it: a cause to pause for, or none; and the fields that changed shape without needing one. */
export interface GraphCheck {
  pause: PauseCause | null;
  /** `needs reindex` fields the provisioned reader can still read (`cast.role (CastMember.role): enum values added: X`); [] when none. */
  needsReindex: string[];
  /**
   * What the graph broke in the parts of the config `run` does not fetch with (`backfill.query`,
   * `related[]`), each `file:line:col: field: message`: warnings, not causes to pause; absent when none.
   */
  graphWarnings?: string[];
}

/** What /healthz shows of the guard. */
export interface GuardStatus {
  paused: (PauseCause & { since: string }) | null;
  needsReindex: string[];
  /** GraphCheck.graphWarnings as the last check found them; [] when none. */
  graphWarnings: string[];
}

/** How a fetch that the graph refused waits (GatewayFetcher's hook). */
export interface SchemaGate {
  /**
   * The graph refused the query: the pipeline pauses (if it is not paused already) and this
   * resolves when it is worth trying again — at the next re-check — calling `whileWaiting` (the
   * consumer's heartbeat) meanwhile. Rejects when the pipeline stops.
   */
  rejected(rejection: SchemaRejection, whileWaiting: () => Promise<void>): Promise<void>;
  /** A request is being sent: its number, greater than every earlier one's, to hand back to `accepted`. */
  sending(): number;
  /**
   * The graph answered a whole request, numbered `sent` by `sending`; `reached(subgraph)` says
   * whether answering it asked that subgraph (null: not known). A pause a refusal caused ends
   * only for a request sent after the refusal was seen that asked the refusing subgraph (or
   * whose subgraphs are not known): an answer to one sent before, or one that never reached
   * it (movies with no cast, while the talent subgraph refuses a field of their talent), says
   * nothing about the refusal.
   */
  accepted(sent: number, reached: (subgraph: string) => boolean | null): void;
}

export interface SchemaGuardDeps {
  /** Reads the graph and classifies the index's query against it; null when it could not be read (kept as it was). */
  checkGraph(): Promise<GraphCheck | null>;
  /** What a fetch's refusal is about: the field, and the subgraph that owns or refused it. */
  causeOf(rejection: SchemaRejection): PauseCause;
  /** Stop consuming (kafkajs consumer.pause), and start again. */
  pauseConsuming(): void;
  resumeConsuming(): void;
  events: PipelineEvents;
  logger: Logger;
  /** How often the graph is checked, and, while paused, how often the refused fetches are tried again. */
  recheckMs: number;
  now?: () => Date;
}

/** The pipeline stops; a fetch waiting out a pause goes up with this. */
export class PipelineStopping extends Error {
  constructor() {
    super('the pipeline is stopping');
  }
}

/**
 * Pause instead of failing, when the graph changes under the index. Two things can pause it: a
 * check of the graph (its supergraph file, or the gateway's schema, classified against the graph
 * the process started with) and fetches the graph refused as not validating. Either keeps it
 * paused: consuming stops, the refused fetches wait (their batches hold their partitions;
 * nothing is dead-lettered, nothing committed past them) and are tried again at each re-check.
 * It resumes once the graph check finds nothing to pause for and a fetch got through. One log
 * line when it pauses, one when it resumes.
 */
export class SchemaGuard implements SchemaGate {
  private graphCause: PauseCause | null = null;
  private fetchCause: PauseCause | null = null;
  /** How many requests had been numbered (sending) when fetchCause was seen: an answer to one of them does not end it. */
  private fetchCauseAfter = 0;
  private sent = 0;
  private paused: (PauseCause & { since: string }) | null = null;
  private needsReindex: string[] = [];
  private graphWarnings: string[] = [];
  private waiting = 0;
  /** Consuming resumed to let a new batch's fetch try the graph, while still paused (no fetch was waiting to). */
  private probing = false;
  private nextTry = promiseWithResolve();
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly deps: SchemaGuardDeps) {}

  get status(): GuardStatus {
    return { paused: this.paused, needsReindex: this.needsReindex, graphWarnings: this.graphWarnings };
  }

  /** Checks the graph now and then every `recheckMs`. */
  start(): void {
    void this.recheck();
    this.timer = setInterval(() => void this.tick(), this.deps.recheckMs);
    this.timer.unref();
  }

  async rejected(rejection: SchemaRejection, whileWaiting: () => Promise<void>): Promise<void> {
    if (this.stopped) throw new PipelineStopping();
    if (this.fetchCause === null) {
      this.fetchCause = this.deps.causeOf(rejection);
      this.fetchCauseAfter = this.sent;
    }
    if (this.probing) {
      this.probing = false;
      this.deps.pauseConsuming();
    }
    this.update();
    // A refusal is a sign the graph changed: check it now rather than at the next tick.
    void this.recheck();
    this.waiting++;
    try {
      await heartbeatWhile(this.nextTry.promise, whileWaiting);
    } finally {
      this.waiting--;
    }
  }

  sending(): number {
    return ++this.sent;
  }

  accepted(sent: number, reached: (subgraph: string) => boolean | null): void {
    if (this.fetchCause === null || sent <= this.fetchCauseAfter) return;
    // `talent`, or the owners of a field more than one subgraph resolves (`talent, movies`).
    const refusing = this.fetchCause.subgraph?.split(', ') ?? [];
    if (refusing.length > 0 && refusing.every((subgraph) => reached(subgraph) === false)) return;
    this.fetchCause = null;
    this.probing = false;
    this.update();
  }

  /** What a check of the graph found. */
  graphChecked(check: GraphCheck): void {
    const added = check.needsReindex.filter((change) => !this.needsReindex.includes(change));
    if (added.length > 0) {
      this.deps.logger.warn(
        { needsReindex: check.needsReindex },
        `needs reindex: the graph changed the shape of fields the index holds (${check.needsReindex.join('; ')}); ` +
          'the provisioned Avro reader still reads it, so indexing goes on: provision and backfill --new-version to take the new shape',
      );
    }
    if (added.length > 0 || check.needsReindex.length !== this.needsReindex.length) {
      this.deps.events.emit('pipeline.needs_reindex', { fields: check.needsReindex.length });
    }
    this.needsReindex = check.needsReindex;
    const warnings = check.graphWarnings ?? [];
    const newWarnings = warnings.filter((warning) => !this.graphWarnings.includes(warning));
    if (newWarnings.length > 0) {
      this.deps.logger.warn(
        { graphWarnings: warnings },
        `the graph changed under parts of the config run does not use (${newWarnings.join('; ')}); ` +
          'indexing goes on with the query, but backfill, provision and a restarted run refuse the config until it is fixed',
      );
    }
    this.graphWarnings = warnings;
    this.graphCause = check.pause;
    this.update();
  }

  /** Releases every waiting fetch (they go up with PipelineStopping) and stops checking. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.nextTry.reject(new PipelineStopping());
    this.nextTry.promise.catch(() => undefined);
  }

  /** One re-check: the graph checked, then the waiting fetches tried again (or, none waiting, consuming resumed to try). */
  async tick(): Promise<void> {
    await this.recheck();
    if (this.stopped || this.paused === null) return;
    const released = this.nextTry;
    this.nextTry = promiseWithResolve();
    released.resolve();
    if (this.waiting === 0 && this.graphCause === null && !this.probing) {
      // Nothing is waiting to try the graph (the batches that were went up in a rebalance): the
      // next batch's fetch tries it. Refused again, it pauses consuming again, without a new line.
      this.probing = true;
      this.deps.resumeConsuming();
    }
  }

  /** Checks the graph, one check at a time (a check asked for while one runs shares it). */
  private recheck(): Promise<void> {
    this.checking ??= (async () => {
      try {
        const check = await this.deps.checkGraph();
        if (check !== null && !this.stopped) this.graphChecked(check);
      } catch (error) {
        this.deps.logger.warn({ err: error }, 'checking the graph against the query failed; checking again later');
      } finally {
        this.checking = null;
      }
    })();
    return this.checking;
  }

  /** Pauses, resumes, or moves to another cause, from the causes as they are now. */
  private update(): void {
    const cause = this.graphCause ?? this.fetchCause;
    const { logger, events } = this.deps;
    if (cause !== null && this.paused === null) {
      this.paused = { ...cause, since: (this.deps.now?.() ?? new Date()).toISOString() };
      this.deps.pauseConsuming();
      events.emit('pipeline.paused', { reason: cause.reason });
      logger.error(
        { reason: cause.reason, field: cause.field, subgraph: cause.subgraph },
        `paused: the graph no longer takes the index's query — ${describeCause(cause)}. Nothing is dead-lettered or committed past the last indexed event; ` +
          'indexing resumes by itself once the graph takes the query again (the subgraph rolled back, or the config fixed and the process restarted)',
      );
    } else if (cause !== null && this.paused !== null && !sameCause(cause, this.paused)) {
      // Still paused, for another cause now (one field rolled back, another broken meanwhile):
      // /healthz names what pauses it now, since the pause began.
      const reasonChanged = cause.reason !== this.paused.reason;
      this.paused = { ...cause, since: this.paused.since };
      if (reasonChanged) events.emit('pipeline.paused', { reason: cause.reason });
      logger.warn(
        { reason: cause.reason, field: cause.field, subgraph: cause.subgraph, since: this.paused.since },
        `still paused, now because the graph no longer takes the index's query — ${describeCause(cause)}`,
      );
    } else if (cause === null && this.paused !== null) {
      const seconds = ((this.deps.now?.() ?? new Date()).getTime() - Date.parse(this.paused.since)) / 1000;
      this.paused = null;
      this.probing = false;
      this.deps.resumeConsuming();
      events.emit('pipeline.resumed', {});
      logger.info({ pausedSeconds: Math.round(seconds) }, 'resumed: the graph takes the query again; indexing goes on from the first uncommitted event');
      // Fetches still waiting try again now rather than at the next tick.
      const released = this.nextTry;
      this.nextTry = promiseWithResolve();
      released.resolve();
    }
  }
}

function sameCause(a: PauseCause, b: PauseCause): boolean {
  return a.reason === b.reason && a.field === b.field && a.subgraph === b.subgraph && a.message === b.message;
}

/** `Talent.name (subgraph talent): Cannot query field …`, in words. */
export function describeCause(cause: PauseCause): string {
  const where = [cause.field, cause.subgraph === null ? null : `subgraph ${cause.subgraph}`].filter((part) => part !== null);
  return `${where.length > 0 ? `${where.join(', ')}: ` : ''}${cause.message}`;
}

function promiseWithResolve(): { promise: Promise<void>; resolve(): void; reject(error: Error): void } {
  let resolve = (): void => {};
  let reject = (_error: Error): void => {};
  const promise = new Promise<void>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}
