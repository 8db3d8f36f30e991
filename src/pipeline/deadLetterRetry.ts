import type { DeadLetterRetrySettings } from '../config/indexConfig.ts';
import type { DeadLetter, RetryState } from './deadLetters.ts';
import { ENTITY_NULL } from './enrichSteps.ts';

export type { DeadLetterRetrySettings } from '../config/indexConfig.ts';
export type { RetryState } from './deadLetters.ts';

/**
 * When a dead letter is tried again by itself, as pure functions of the letter, the clock and the
 * settings: DeadLetterRecovery (the live consumer of the dead-letter topic) and `fedsearch dlq`
 * read letters through the same verdict, so what the summary calls waiting is what is retried.
 */

export type RetryVerdict =
  /** The graph's failure: retried by itself at `dueAtMs`. */
  | { state: 'waiting'; dueAtMs: number; firstFailedAtMs: number; attempts: number }
  /** Never succeeds by retrying as it is (or retries are off): stays until `fedsearch replay`. */
  | { state: 'permanent'; why: string };

/**
 * Waiting or permanent. Only a failed fetch the graph is to blame for is retried: its letter
 * names a subgraph (the gateway's error, a timeout, an outage, an answer about another entity).
 * An event that cannot be read, a document Elasticsearch refused, a document too large or not
 * fitting the Avro schema, an id the key cannot take, a stand-in: the same input fails the same
 * way every time, so retrying would only load the graph.
 */
export function retryVerdict(letter: DeadLetter, writtenAtMs: number, settings: DeadLetterRetrySettings): RetryVerdict {
  if (!settings.enabled) return { state: 'permanent', why: 'automatic retries are off (pipeline.retryDeadLetters.enabled)' };
  if (letter.standIn !== undefined) return { state: 'permanent', why: 'a stand-in: the original is at its source' };
  if (letter.kind !== 'refetch' || letter.entityId === null) return { state: 'permanent', why: `a ${letter.kind} letter: not the graph's failure` };
  if (letter.fault === undefined) return { state: 'permanent', why: "a fetch that failed on fedsearch's side, not the graph's" };
  const retry = letter.retry ?? { attempts: 0 };
  if (retry.gaveUp) return { state: 'permanent', why: `retried for ${settings.giveUpAfterHours} h without success` };
  const firstFailedAtMs = parseTime(retry.firstFailedAt) ?? writtenAtMs;
  const dueAtMs = parseTime(retry.nextRetryAt) ?? writtenAtMs + settings.firstDelaySeconds * 1000;
  return { state: 'waiting', dueAtMs, firstFailedAtMs, attempts: retry.attempts };
}

/**
 * Automatic retries of an entity the graph answered null while its change event said the row
 * exists (ENTITY_NULL) that still expect it: a null after them is taken as the graph's answer and
 * the document deleted. Six span about 5 minutes with the default schedule (5 + 10 + … + 160 s):
 * a lagging replica or a subgraph answering null during an incident is waited out; a row deleted
 * meanwhile has had its own delete event, so the null is then right and deleting the document
 * again is harmless — it costs six fetches.
 */
export const NULL_RETRIES_EXPECTING_THE_ENTITY = 6;

/** Whether a retry of `letter` still treats a null answer as the graph's failure rather than a deletion. */
export function expectsTheEntity(letter: Pick<DeadLetter, 'fault' | 'retry'>): boolean {
  return letter.fault?.code === ENTITY_NULL && (letter.retry?.attempts ?? 0) < NULL_RETRIES_EXPECTING_THE_ENTITY;
}

/**
 * The delay before the retry that follows `attempts` failed automatic retries: firstDelaySeconds
 * doubling each time, capped at maxDelaySeconds, each spread by ±20 % (`random` in [0, 1)) so
 * letters written in one burst do not all come due in the same second.
 */
export function retryDelayMs(attempts: number, settings: Pick<DeadLetterRetrySettings, 'firstDelaySeconds' | 'maxDelaySeconds'>, random: () => number = Math.random): number {
  const maxMs = settings.maxDelaySeconds * 1000;
  const baseMs = Math.min(maxMs, settings.firstDelaySeconds * 1000 * 2 ** Math.min(attempts, 40));
  return Math.round(Math.min(maxMs, baseMs * (0.8 + 0.4 * random())));
}

/** The state a letter goes back with after its automatic retry failed at `nowMs`. */
export function afterFailedRetry(verdict: Extract<RetryVerdict, { state: 'waiting' }>, nowMs: number, settings: DeadLetterRetrySettings, random: () => number = Math.random): RetryState {
  const attempts = verdict.attempts + 1;
  const firstFailedAt = new Date(verdict.firstFailedAtMs).toISOString();
  if (nowMs - verdict.firstFailedAtMs >= settings.giveUpAfterHours * 3_600_000) return { attempts, firstFailedAt, gaveUp: true };
  return { attempts, firstFailedAt, nextRetryAt: new Date(nowMs + retryDelayMs(attempts, settings, random)).toISOString() };
}

/**
 * A token bucket of `ratePerSecond` letters, holding at most one second's worth: retries of a
 * backlog start at that rate however many letters came due while the subgraph was down, so a
 * subgraph that just recovered is not met by all of them at once. `reserve` takes tokens (the
 * balance may go below zero) and says how long to wait before using them: waits queue up fairly.
 */
export class TokenBucket {
  private tokens: number;
  private updatedMs: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = ratePerSecond;
    this.updatedMs = now();
  }

  /** Takes `count` tokens; returns the ms to wait before they are earned. */
  reserve(count: number): number {
    const now = this.now();
    this.tokens = Math.min(this.ratePerSecond, this.tokens + ((now - this.updatedMs) / 1000) * this.ratePerSecond);
    this.updatedMs = now;
    this.tokens -= count;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.ratePerSecond) * 1000);
  }
}

function parseTime(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : undefined;
}
