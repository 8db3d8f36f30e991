import { setTimeout as sleep } from 'node:timers/promises';

/** How often a consumer that waits inside a batch heartbeats: well under its 30 s session timeout. */
export const HEARTBEAT_EVERY_MS = 3_000;

/**
 * Waits for `work`, calling `heartbeat` every `everyMs` meanwhile. kafkajs heartbeats only when
 * asked inside a batch, so a batch that waits longer than the session timeout (a bulk request to a
 * frozen Elasticsearch, a partition held for an earlier batch) would otherwise have its member
 * evicted, and its commit refused. A heartbeat that fails (the group rebalances) fails the wait;
 * `work` still settles, unobserved.
 */
export async function heartbeatWhile<T>(work: Promise<T>, heartbeat: () => Promise<void>, everyMs = HEARTBEAT_EVERY_MS): Promise<T> {
  const ac = new AbortController();
  const done = work.finally(() => ac.abort());
  done.catch(() => undefined);
  const ticking = (async (): Promise<void> => {
    for (;;) {
      try {
        await sleep(everyMs, undefined, { signal: ac.signal });
      } catch {
        return; // `work` settled
      }
      await heartbeat();
    }
  })();
  ticking.catch(() => undefined); // a heartbeat that fails after `work` settled changes nothing
  await Promise.race([done, ticking]);
  return done;
}
