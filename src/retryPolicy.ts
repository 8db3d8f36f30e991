import { setTimeout as sleep } from 'node:timers/promises';

/**
 * How fedsearch retries, in one place: one backoff formula, the schedule used against each
 * dependency, and one vocabulary of reasons that every stage reports in
 * `fedsearch_retries_total{stage, reason}` — so a dashboard reads one label set, whichever stage
 * retried.
 */

/** Why a call is tried again; low cardinality on purpose (metric label values). */
export type RetryReason =
  /** The gateway could not be reached (connection refused, reset, DNS). */
  | 'network'
  /** The gateway did not answer in time. */
  | 'timeout'
  | 'http_429'
  | 'http_5xx'
  /** The gateway answered 200 without data. */
  | 'no_data'
  /** GraphQL errors for the whole request or for some entities in it. */
  | 'graphql_errors'
  /** Elasticsearch refused writes for now (429: queues full, or 5xx: a shard unavailable). */
  | 'elasticsearch_busy'
  /** The bulk request itself failed (Elasticsearch unreachable, timed out). */
  | 'elasticsearch_unreachable'
  /** The index's alias is gone (its index deleted under the pipeline): writes wait until it is back. */
  | 'elasticsearch_index_missing'
  /** A bulk answer whose items cannot be paired with the request's writes (another number of them). */
  | 'elasticsearch_unmatched_answer'
  | 'other';

/** The stages whose retries are counted. */
export type RetryStage = 'enrich' | 'sink';

/** Exponential backoff with jitter: try n waits min(maxMs, jitter · baseMs · factor^(n-1)), jitter in [1, 2). */
export interface Backoff {
  baseMs: number;
  factor: number;
  maxMs: number;
}

/** Against the gateway: 200 ms, 400 ms, … up to 5 s; outages are waited out at the cap. */
export const GATEWAY_BACKOFF: Backoff = { baseMs: 200, factor: 2, maxMs: 5_000 };

/**
 * Against Elasticsearch's bulk API: 125–250 ms, 250–500 ms, … up to 20 s. The sink holds its
 * partition meanwhile (backpressure), so the cap is long — a busy cluster gets time to drain — but
 * under the consumer's 30 s session timeout: the sink heartbeats between waits, and a wait as long
 * as the session would have the group rebalance in every long outage.
 */
export const ELASTICSEARCH_BACKOFF: Backoff = { baseMs: 125, factor: 2, maxMs: 20_000 };

/**
 * Backing off a stream of work rather than one call (backfill's rate cap, which protects the
 * gateway): a failing or very slow slice divides the rate by the gateway backoff's factor, each
 * healthy slice wins back `recovery` of it, and the rate never drops below `floorOfCap` of the cap.
 */
export const RATE_BACKOFF = { factor: GATEWAY_BACKOFF.factor, recovery: 1.2, floorOfCap: 1 / 20 } as const;

/**
 * The Elasticsearch client's own retries of one request (connection errors, 502/503/504), with
 * its own short backoff, before a caller's backoff above sees the failure.
 */
export const ELASTICSEARCH_REQUEST_RETRIES = 3;

/**
 * Consumers that crash on a retriable broker error are restarted by kafkajs this many times
 * (its own backoff) before the pipeline reports them crashed on /healthz.
 */
export const KAFKA_CONSUMER_RETRIES = 10;

/** The wait before retry number `attempt` (1-based). */
export function backoffDelay(backoff: Backoff, attempt: number, random: () => number = Math.random): number {
  return Math.min(backoff.maxMs, (1 + random()) * backoff.baseMs * backoff.factor ** (attempt - 1));
}

/**
 * What one try came to: finished with a value, or to be tried again for these reasons (one per
 * thing still to do: a sink's bulk request retries some of its writes, each for its own reason).
 * Giving up is a throw.
 */
export type AttemptOutcome<T> = { done: T } | { retry: readonly RetryReason[] };

export interface RetryRun {
  backoff: Backoff;
  /**
   * Before each wait, with the reasons and the wait ahead: count it, log it, heartbeat. A throw
   * ends the run with that error (the caller lost its partition, say).
   */
  beforeWait?(reasons: readonly RetryReason[], attempt: number, delayMs: number): Promise<void> | void;
  /** After each wait, before the next try: heartbeat, or throw to stop (shutting down). */
  afterWait?(): Promise<void> | void;
  /** How the backoff waits (a test passes one that does not). */
  sleep?(ms: number): Promise<unknown>;
}

/**
 * The one retry loop of fedsearch (the gateway fetcher's and the sink's): `attempt` is tried until
 * it is done or throws, waiting `run.backoff` between tries. Which failures are retried, and for
 * how long, is the attempt's to decide; when and how long to wait is this one's.
 */
export async function retryUntilDone<T>(attempt: (attempt: number) => Promise<AttemptOutcome<T>>, run: RetryRun): Promise<T> {
  for (let number = 1; ; number++) {
    const outcome = await attempt(number);
    if ('done' in outcome) return outcome.done;
    const delay = backoffDelay(run.backoff, number);
    await run.beforeWait?.(outcome.retry, number, delay);
    await (run.sleep ?? sleep)(delay);
    await run.afterWait?.();
  }
}

/** Why a bulk item (by its status) or the bulk request (no status) should be tried again; null: it should not. */
export function elasticsearchRetryReason(status: number | null): RetryReason | null {
  if (status === null) return 'elasticsearch_unreachable';
  return status === 429 || status >= 500 ? 'elasticsearch_busy' : null;
}
