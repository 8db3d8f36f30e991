import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { pipelineTopology } from '../src/index/pipelineTopology.ts';
import type { IndexHarness } from '../support/indexHarness.ts';
import { waitForStableGroup } from './consumerGroups.ts';
import { produceMovieEvents, waitUntilSearchable } from './movieEvents.ts';

const cli = new URL('../cli/fedsearch.js', import.meta.url).pathname;

export interface IndexerRun {
  entitiesPerSecond: number;
  /** Peak resident memory (VmHWM) of each `fedsearch run` process, MiB. */
  peakRssMiB: number[];
}

/**
 * End-to-end throughput of `processes` × `fedsearch run` in one consumer group: once they have
 * joined, change events for `ids` go into Kafka, and the clock stops when every document is
 * searchable. The index starts empty, so the count says when the last one landed.
 */
export async function runIndexerProcesses(h: IndexHarness, processes: number, ids: readonly string[]): Promise<IndexerRun> {
  const children: ChildProcess[] = [];
  try {
    for (let n = 0; n < processes; n++) {
      const child = spawn(process.execPath, [cli, 'run', h.configFile], {
        env: { ...process.env, ...h.env, FEDSEARCH_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      children.push(child);
    }
    const topology = pipelineTopology(h.loaded);
    await waitForStableGroup(h.kafka, topology.enrichGroup, processes);
    await waitForStableGroup(h.kafka, topology.sinkGroup, processes);
    const started = performance.now();
    await produceMovieEvents(h.kafka, h.loaded.config.primary.events[0]?.topic as string, ids);
    await waitUntilSearchable(h.es, h.index, ids.length);
    const seconds = (performance.now() - started) / 1000;
    const peakRssMiB = children.map((child) => peakRssOf(child.pid as number));
    return { entitiesPerSecond: ids.length / seconds, peakRssMiB };
  } finally {
    for (const child of children) {
      if (child.exitCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  }
}

/** VmHWM from /proc: the most memory the process has held at once. */
function peakRssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN);
  return kib / 1024;
}
