import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { heartbeatWhile } from '../../src/pipeline/heartbeatWhile.ts';

describe('heartbeatWhile', () => {
  it('heartbeats every interval while the work runs, and returns its result', async () => {
    let beats = 0;
    const result = await heartbeatWhile(sleep(130).then(() => 'written'), async () => void beats++, 20);
    expect(result).toBe('written');
    expect(beats).toBeGreaterThanOrEqual(4);
    const after = beats;
    await sleep(60);
    expect(beats).toBe(after); // stops with the work
  });

  it('does not heartbeat for work quicker than the interval', async () => {
    let beats = 0;
    await heartbeatWhile(sleep(5), async () => void beats++, 50);
    expect(beats).toBe(0);
  });

  it("passes the work's failure on", async () => {
    await expect(heartbeatWhile(sleep(30).then(() => Promise.reject(new Error('bulk refused'))), async () => undefined, 10)).rejects.toThrow('bulk refused');
  });

  it('fails the wait when a heartbeat fails (the group rebalances), without waiting for the work', async () => {
    const hangs = new Promise<never>(() => undefined); // a bulk request to a frozen Elasticsearch
    await expect(heartbeatWhile(hangs, async () => Promise.reject(new Error('The group is rebalancing')), 10)).rejects.toThrow('rebalancing');
  });
});
