import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UserError } from '../../src/errors.ts';
import type { LoadedIndex } from '../../src/index/loadIndex.ts';
import { IndexFleet, type FleetDependencies } from '../../src/pipeline/indexFleet.ts';
import type { RunningPipeline } from '../../src/pipeline/runPipeline.ts';
import { SharedClients } from '../../src/pipeline/sharedClients.ts';
import { silentLogger } from './stageFakes.ts';

/**
 * Configs as files whose text is `index: <name>` (or anything else: it does not load), and
 * pipelines that only say whether they run. Starting, stopping and checking an alias take the
 * given time (a real one takes seconds); the gateway the movies config reads is down until
 * `gatewayDownUntil`; an index in `unprovisioned` does not start.
 */
function world(options: { startMs?: number; stopMs?: number; aliasCheckMs?: number; gatewayDownUntil?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-'));
  const lines: string[] = [];
  const running = new Set<string>();
  const aliases = new Set<string>();
  const unprovisioned = new Set<string>();
  const counts = { starts: 0, aliasChecks: 0 };
  const sleep = (ms: number | undefined): Promise<void> => (ms ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve());
  const write = (name: string, text: string): string => {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, text);
    return file;
  };
  const deps: FleetDependencies = {
    async load(file) {
      const text = readFileSync(file, 'utf8');
      if (text.includes('movies') && options.gatewayDownUntil !== undefined && Date.now() < options.gatewayDownUntil) {
        throw new Error('the gateway at http://gw/graphql did not answer: connect ECONNREFUSED');
      }
      const match = /^index: (\w+)$/.exec(text.trim());
      if (!match) throw new UserError(`1 problem in ${file}:\n  ${file}:1:1: index: is required`);
      const index = match[1] as string;
      aliases.add(index);
      return { config: { index, sourceFile: file }, names: { alias: index } } as unknown as LoadedIndex;
    },
    async start(loaded) {
      const index = loaded.config.index;
      counts.starts++;
      if (index.startsWith('unprovisioned') || unprovisioned.has(index)) throw new UserError(`${index} is not provisioned yet`);
      await sleep(options.startMs);
      running.add(index);
      return {
        metrics: { registry: {} },
        health: () => ({ ok: true, detail: { stage: 'all' } }),
        stop: async () => {
          await sleep(options.stopMs);
          running.delete(index);
        },
      } as unknown as RunningPipeline;
    },
    async aliasExists(loaded) {
      counts.aliasChecks++;
      await sleep(options.aliasCheckMs);
      return aliases.has(loaded.config.index);
    },
  };
  const fleet = new IndexFleet({ stage: 'all', shared: { clients: new SharedClients(), metricsUrl: 'http://x' }, say: (line) => void lines.push(line), logger: silentLogger, deps });
  return { fleet, write, lines, running, aliases, unprovisioned, counts };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('IndexFleet: many indexes, each on its own', () => {
  it('starts the indexes that load and reports the others, which do not stop the rest', async () => {
    const { fleet, write, running, lines } = world();
    const files = [write('a', 'index: movies'), write('b', 'garbage'), write('c', 'index: unprovisioned'), write('d', 'index: movies')];
    expect(await fleet.start(files)).toBe(1);
    expect([...running]).toEqual(['movies']);
    const health = fleet.health();
    expect(health.ok).toBe(true);
    expect(health.detail).toMatchObject({ status: 'degraded' });
    const indexes = health.detail['indexes'] as Record<string, { status: string; reason?: string }>;
    expect(indexes['movies']?.status).toBe('ok');
    expect(indexes[files[1] as string]?.reason).toContain(':1:1: index: is required');
    expect(indexes['unprovisioned']?.reason).toContain('is not provisioned yet');
    expect(lines.some((line) => line.includes(`index movies is already run from ${files[0]}`))).toBe(true);
    expect(fleet.indexHealth('unprovisioned')?.ok).toBe(false);
    expect(fleet.indexHealth('movies')?.ok).toBe(true);
    expect(fleet.indexHealth('nothing')).toBeUndefined();
    await fleet.stop();
    expect(running.size).toBe(0);
  });

  it('on reload keeps a running index whose changed config does not load, starts added ones and stops removed ones', async () => {
    const { fleet, write, running, lines } = world();
    const a = write('a', 'index: movies');
    const b = write('b', 'index: products');
    await fleet.start([a, b]);
    write('a', 'index movies');
    const c = write('c', 'index: users');
    await fleet.reload([a, c]);
    expect([...running].sort()).toEqual(['movies', 'users']);
    expect(lines.some((line) => line.startsWith(`movies: ${a} changed but does not load; the config it started with runs on.`))).toBe(true);
    expect(fleet.indexHealth('movies')).toMatchObject({ ok: true, detail: { refusedChange: expect.stringContaining(`${a}:1:1`) } });
    expect(lines).toContain('products: stopped (its config is gone from the command line)');
    write('a', 'index: films');
    await fleet.reload([a, c]);
    expect([...running].sort()).toEqual(['films', 'users']);
    await fleet.stop();
  });

  it('starts nothing again for a SIGHUP that comes while the indexes are stopping', async () => {
    const { fleet, write, running, lines } = world({ stopMs: 50 });
    const files = [write('a', 'index: movies'), write('b', 'index: products')];
    await fleet.start(files);
    // Ctrl-C, then a SIGHUP (config management, a log rotation) before the drain ends.
    const stopping = fleet.stop();
    await fleet.reload(files);
    await stopping;
    expect([...running]).toEqual([]);
    expect(lines.filter((line) => line.startsWith('reloaded:'))).toEqual([]);
  });

  it('starts no more added indexes once a stop is asked during a reload, and stops removed ones together', async () => {
    vi.useFakeTimers();
    // runPipeline takes seconds (topics checked, consumers joining); 100 ms each here.
    const { fleet, write, running, counts } = world({ startMs: 100, stopMs: 100 });
    const kept = write('a', 'index: movies');
    const removed = [write('b', 'index: products'), write('c', 'index: users')];
    const starting = fleet.start([kept, ...removed]);
    await vi.advanceTimersByTimeAsync(300);
    await starting;
    const added = Array.from({ length: 10 }, (_, n) => write(`n${n}`, `index: added${n}`));
    const reloading = fleet.reload([kept, ...added]);
    // Both removed indexes drain at once: after one stop's time neither runs.
    await vi.advanceTimersByTimeAsync(100);
    expect([...running].sort()).toEqual(['movies']);
    // The first added index is starting when Ctrl-C comes: it is the last to start.
    await vi.advanceTimersByTimeAsync(50);
    const stopping = fleet.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    await Promise.all([reloading, stopping]);
    expect(counts.starts).toBe(3 + 1);
    expect(running.size).toBe(0);
  });

  it('starts no more indexes once interrupted while they start, finishing the one starting then', async () => {
    vi.useFakeTimers();
    const { fleet, write, running, counts } = world({ startMs: 100, stopMs: 100 });
    const files = Array.from({ length: 10 }, (_, n) => write(`i${n}`, `index: index${n}`));
    const ctrlC = new AbortController();
    const starting = fleet.start(files, ctrlC.signal);
    // Ctrl-C while the second index starts.
    await vi.advanceTimersByTimeAsync(150);
    ctrlC.abort('SIGINT');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await starting).toBe(2);
    expect(counts.starts).toBe(2);
    const stopping = fleet.stop();
    await vi.advanceTimersByTimeAsync(1_000);
    await stopping;
    expect(running.size).toBe(0);
  });

  it('tries a changed config that did not start again at the next SIGHUP', async () => {
    const { fleet, write, running, unprovisioned, lines } = world();
    const a = write('a', 'index: movies');
    await fleet.start([a]);
    // The query changed: the new config needs a provision first. The old one runs on.
    unprovisioned.add('films');
    write('a', 'index: films');
    await fleet.reload([a]);
    expect([...running]).toEqual(['movies']);
    expect(fleet.indexHealth('movies')?.detail['refusedChange']).toContain('films is not provisioned yet');
    // `fedsearch provision a.yaml`, then SIGHUP, as the message says.
    unprovisioned.delete('films');
    await fleet.reload([a]);
    expect([...running]).toEqual(['films']);
    expect(fleet.indexHealth('films')?.detail['refusedChange']).toBeUndefined();
    expect(lines).toContain(`films: restarted with the changed ${a}`);
    await fleet.stop();
  });

  it('clears a refused change from /healthz once the file is put back as it was', async () => {
    const { fleet, write } = world();
    const a = write('a', 'index: movies');
    await fleet.start([a]);
    write('a', 'index movies');
    await fleet.reload([a]);
    expect(fleet.indexHealth('movies')?.detail['refusedChange']).toBeDefined();
    write('a', 'index: movies');
    await fleet.reload([a]);
    expect(fleet.indexHealth('movies')).toMatchObject({ ok: true });
    expect(fleet.indexHealth('movies')?.detail['refusedChange']).toBeUndefined();
    await fleet.stop();
  });

  it('has one alias check at a time when Elasticsearch answers slowly, so a SIGHUP waits for that one only', async () => {
    vi.useFakeTimers();
    // Elasticsearch slow to answer (GC, overloaded): each check 4 s, 12 s a pass over 3 indexes, checked every 5 s.
    const { fleet, write, counts } = world({ aliasCheckMs: 4_000 });
    const files = [write('a', 'index: movies'), write('b', 'index: products'), write('c', 'index: users')];
    await fleet.start(files);
    await vi.advanceTimersByTimeAsync(60_000);
    const checksBefore = counts.aliasChecks;
    let reloaded = false;
    void fleet.reload(files).then(() => (reloaded = true));
    for (let waited = 0; !reloaded && waited < 600; waited++) await vi.advanceTimersByTimeAsync(1_000);
    expect(reloaded).toBe(true);
    // At most the rest of the pass in flight ran before the reload.
    expect(counts.aliasChecks - checksBefore).toBeLessThanOrEqual(files.length);
    await fleet.stop();
  });

  it('starts an index whose gateway was down at start once it answers, without a SIGHUP, and stops trying when stopped', async () => {
    vi.useFakeTimers();
    // The gateway restarts with the indexer (a node drained, a deploy): down for 20 s.
    const { fleet, write, running, lines } = world({ gatewayDownUntil: Date.now() + 20_000 });
    const files = [write('a', 'index: movies'), write('b', 'index: products'), write('c', 'garbage')];
    expect(await fleet.start(files)).toBe(1);
    expect(fleet.indexHealth(files[0] as string)?.detail['reason']).toContain('ECONNREFUSED');
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect([...running].sort()).toEqual(['movies', 'products']);
    // A config to correct is not tried again by itself: only a SIGHUP does.
    expect(lines.filter((line) => line.includes('index: is required'))).toHaveLength(1);
    await fleet.stop();
    expect(running.size).toBe(0);
  });

  it('tries no load again once stopped', async () => {
    vi.useFakeTimers();
    const { fleet, write, running } = world({ gatewayDownUntil: Date.now() + 20_000 });
    const a = write('a', 'index: movies');
    await fleet.start([a, write('b', 'index: products')]);
    await fleet.stop();
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(running.size).toBe(0);
  });

  it('answers 503 only when no index runs', async () => {
    const { fleet, write } = world();
    await fleet.start([write('a', 'nothing')]);
    expect(fleet.health()).toMatchObject({ ok: false, status: 'failed' });
    await fleet.stop();
  });
});
