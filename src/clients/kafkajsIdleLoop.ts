import { kafkajsInternal, kafkajsVersion, KNOWN_KAFKAJS_RELEASE } from './kafkajsInternals.ts';

/** kafkajs's own wait before it checks requests held by client-side throttling again. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

/** The internals of kafkajs's per-connection request queue that the fix touches. */
export interface RequestQueueInternals {
  throttledUntil: number;
  pending: unknown[];
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

type RequestQueueClass = { prototype: RequestQueueInternals };

/**
 * kafkajs 2.2.4's request queue re-arms a timer after every check even when nothing is pending
 * and nothing is throttled — with a negative delay, so every broker connection of every producer,
 * consumer and admin runs a 1 ms timer loop for as long as it is open (kafkajs issue #1556, fixes
 * proposed in PRs #1667 and #1768, never released). Measured here: an idle `fedsearch run` spent
 * about 3% of a core on it, and each extra process paid it again. This replaces that one method
 * with the proposed fix: a check is scheduled only for pending requests (at the end of the
 * throttle, or kafkajs's 10 ms) or for the end of a throttle; a request that arrives later
 * schedules its own check (push), as does every response (fulfillRequest). Applied once, only to
 * the release that has the bug, unless FEDSEARCH_KAFKAJS_IDLE_FIX=off.
 */
export function stopIdleRequestQueueLoop(requestQueue: RequestQueueClass = loadRequestQueue(), version = kafkajsVersion(), env = process.env): boolean {
  // The escape hatch (and the benchmark's baseline): kafkajs exactly as released.
  if (version !== KNOWN_KAFKAJS_RELEASE || env['FEDSEARCH_KAFKAJS_IDLE_FIX'] === 'off') return false;
  requestQueue.prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: RequestQueueInternals): void {
    if (this.throttleCheckTimeoutId) return;
    const untilUnthrottled = this.throttledUntil - Date.now();
    let delay: number;
    if (this.pending.length > 0) delay = untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_REQUESTS_INTERVAL_MS;
    else if (untilUnthrottled > 0) delay = untilUnthrottled;
    else return; // nothing waits and nothing is throttled: nothing to check
    this.throttleCheckTimeoutId = setTimeout(() => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    }, delay);
  };
  return true;
}

export function loadRequestQueue(): RequestQueueClass {
  return kafkajsInternal<RequestQueueClass>('network/requestQueue/index.js');
}
