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

/** The wait before retry number `attempt` (1-based); the same formula p-retry applies to `pRetryBackoff`. */
export function backoffDelay(backoff: Backoff, attempt: number, random: () => number = Math.random): number {
  return Math.min(backoff.maxMs, (1 + random()) * backoff.baseMs * backoff.factor ** (attempt - 1));
}

/** The backoff as p-retry's options. */
export function pRetryBackoff(backoff: Backoff): { factor: number; minTimeout: number; maxTimeout: number; randomize: true } {
  return { factor: backoff.factor, minTimeout: backoff.baseMs, maxTimeout: backoff.maxMs, randomize: true };
}

/** Why a bulk item (by its status) or the bulk request (no status) should be tried again; null: it should not. */
export function elasticsearchRetryReason(status: number | null): RetryReason | null {
  if (status === null) return 'elasticsearch_unreachable';
  return status === 429 || status >= 500 ? 'elasticsearch_busy' : null;
}
