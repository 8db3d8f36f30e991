import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { loadRequestQueue, stopIdleRequestQueueLoop, type RequestQueueInternals } from '../../src/clients/kafkajsIdleLoop.ts';

const require = createRequire(import.meta.url);
type Queue = RequestQueueInternals & { inflight: Map<number, unknown>; destroy(): void };
const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** A request queue of kafkajs's own, as one broker connection has, with its checks counted. */
function requestQueue(RequestQueue: ReturnType<typeof loadRequestQueue>): { queue: Queue; checks: () => number } {
  const Constructor = RequestQueue as unknown as new (options: Record<string, unknown>) => Queue;
  const queue = new Constructor({ maxInFlightRequests: 1, requestTimeout: 30_000, enforceRequestTimeout: false, clientId: 'test', broker: 'localhost:9092', logger: silent });
  let checks = 0;
  const check = queue.checkPendingRequests.bind(queue);
  queue.checkPendingRequests = () => {
    checks++;
    check();
  };
  return { queue, checks: () => checks };
}

describe('kafkajs idle request-queue loop', () => {
  it('kafkajs 2.2.4 as shipped re-checks an idle queue every millisecond (the bug this stops)', async () => {
    // A fresh copy of the module, unpatched, to show the bug is real in the installed release.
    const path = require.resolve('kafkajs/src/network/requestQueue/index.js');
    const patched = require.cache[path];
    delete require.cache[path];
    try {
      const { queue, checks } = requestQueue(require(path) as ReturnType<typeof loadRequestQueue>);
      queue.checkPendingRequests(); // what every response does
      await sleep(100);
      queue.destroy();
      expect(checks()).toBeGreaterThan(20);
    } finally {
      if (patched) require.cache[path] = patched;
    }
  });

  it('once stopped, an idle queue schedules no check; a pending or throttled one still does', async () => {
    const RequestQueue = loadRequestQueue();
    expect(stopIdleRequestQueueLoop(RequestQueue, '2.2.4', {})).toBe(true);
    const { queue, checks } = requestQueue(RequestQueue);
    queue.checkPendingRequests();
    await sleep(100);
    expect(checks()).toBe(1);
    expect(queue.throttleCheckTimeoutId).toBeNull();

    // Throttled with a request waiting: it is checked again when the throttle ends.
    queue.throttledUntil = Date.now() + 30;
    let sent = 0;
    queue.pending.push({ send: () => void sent++, expectResponse: true });
    queue.scheduleCheckPendingRequests();
    expect(queue.throttleCheckTimeoutId).not.toBeNull();
    await sleep(80);
    expect(checks()).toBeGreaterThanOrEqual(2);
    expect(sent).toBe(1);
    queue.destroy();
  });

  it('leaves any other kafkajs release alone, and this one when FEDSEARCH_KAFKAJS_IDLE_FIX=off', () => {
    const prototype = { scheduleCheckPendingRequests: () => undefined } as unknown as RequestQueueInternals;
    const original = prototype.scheduleCheckPendingRequests;
    expect(stopIdleRequestQueueLoop({ prototype }, '2.3.0', {})).toBe(false);
    expect(stopIdleRequestQueueLoop({ prototype }, '2.2.4', { FEDSEARCH_KAFKAJS_IDLE_FIX: 'off' })).toBe(false);
    expect(prototype.scheduleCheckPendingRequests).toBe(original);
  });
});
