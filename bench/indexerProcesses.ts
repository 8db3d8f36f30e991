import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { Kafka } from 'kafkajs';
import { AssignerProtocol } from '../src/clients/kafkajs.ts';
import { pipelineTopology } from '../src/index/pipelineTopology.ts';
import type { IndexHarness } from '../support/indexHarness.ts';
import { waitForStableGroup } from './consumerGroups.ts';
import { produceMovieEvents, waitUntilSearchable } from './movieEvents.ts';
import { stopChild } from './childProcesses.ts';
import { measureMachineCpu, type MachineCpu } from './machineCpu.ts';
import { cpuMsOf, peakRssMiBOf } from './processStats.ts';

const cli = new URL('../cli/fedsearch.js', import.meta.url).pathname;

export interface IndexerRun {
  entitiesPerSecond: number;
  /** Peak resident memory (VmHWM) of each `fedsearch run` process, MiB. */
  peakRssMiB: number[];
  /** User + system CPU of all the processes while they indexed, per document, ms (after the warm-up). */
  cpuMsPerDocument: number;
  /** The same over the warm-up documents, indexed first by the cold processes (NaN without a warm-up). */
  cpuMsPerDocumentCold: number;
  /** Each process's CPU share of that work, ms per document. */
  cpuMsPerDocumentByProcess: number[];
  /** Partitions of the source topic with events each process's enrich consumer holds, and of the documents topic its sink holds. */
  partitions: Array<{ events: number; documents: number }>;
  /** Where the machine's cores went while the timed documents were indexed: `fedsearch run` and the processes given to observe. */
  machineCpu: MachineCpu;
}

/**
 * End-to-end throughput of `processes` × `fedsearch run` in one consumer group: once they have
 * joined and indexed the `warmUp` ids (not timed: a long-running indexer is warm, and the fetch
 * limit it is compared with is measured after the same warm-up), change events for `ids` go into
 * Kafka, and the clock stops when every document is searchable. The index starts empty, so the
 * count says when the last one landed. `observe` names other processes (Elasticsearch, Kafka, the
 * graph) whose share of the machine's CPU over the timed part is reported beside fedsearch's.
 */
export async function runIndexerProcesses(
  h: IndexHarness,
  processes: number,
  ids: readonly string[],
  warmUp: readonly string[] = [],
  observe: Record<string, readonly number[]> = {},
): Promise<IndexerRun> {
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
    const eventTopic = h.loaded.config.primary.events[0]?.topic as string;
    const enrichPartitions = await assignedPartitions(h.kafka, topology.enrichGroup, eventTopic);
    const sinkPartitions = await assignedPartitions(h.kafka, topology.sinkGroup, topology.documentsTopic);
    const pids = children.map((child) => child.pid as number);
    const cpuCold = pids.map(cpuMsOf);
    if (warmUp.length > 0) {
      await produceMovieEvents(h.kafka, eventTopic, warmUp);
      await waitUntilSearchable(h.es, h.index, warmUp.length);
    }
    const cpuBefore = pids.map(cpuMsOf);
    const machineCpu = measureMachineCpu({ 'fedsearch run': pids, ...observe });
    const started = performance.now();
    await produceMovieEvents(h.kafka, eventTopic, ids);
    await waitUntilSearchable(h.es, h.index, warmUp.length + ids.length);
    const seconds = (performance.now() - started) / 1000;
    const machine = machineCpu();
    const cpuByProcess = pids.map((pid, n) => (cpuMsOf(pid) - (cpuBefore[n] as number)) / ids.length);
    return {
      entitiesPerSecond: ids.length / seconds,
      peakRssMiB: pids.map(peakRssMiBOf),
      cpuMsPerDocument: cpuByProcess.reduce((sum, ms) => sum + ms, 0),
      cpuMsPerDocumentByProcess: cpuByProcess,
      cpuMsPerDocumentCold: pids.reduce((sum, _, n) => sum + ((cpuBefore[n] as number) - (cpuCold[n] as number)), 0) / warmUp.length,
      // Members are listed in no particular order; pair them up by rank, which is all the table shows.
      partitions: enrichPartitions.map((events, n) => ({ events, documents: sinkPartitions[n] ?? 0 })),
      machineCpu: machine,
    };
  } finally {
    for (const child of children) await stopChild(child);
  }
}

/**
 * One `fedsearch run` process over the harness's index, as an operator runs it (its own process,
 * not the bench's event loop, which also runs the demo graph), once both its consumers have joined.
 * `env` adds to its environment (e.g. FEDSEARCH_KAFKAJS_IDLE_FIX=off).
 */
export async function startIndexerProcess(h: IndexHarness, env: Record<string, string> = {}): Promise<{ pid: number; metricsUrl: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, [cli, 'run', h.configFile, '--metrics-port', String(port)], {
    env: { ...process.env, ...h.env, FEDSEARCH_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    const topology = pipelineTopology(h.loaded);
    await waitForStableGroup(h.kafka, topology.enrichGroup, 1);
    await waitForStableGroup(h.kafka, topology.sinkGroup, 1);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return { pid: child.pid as number, metricsUrl: `http://127.0.0.1:${port}`, stop: () => stopChild(child) };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/** How many partitions of `topic` each member of `groupId` holds, most first. */
async function assignedPartitions(kafka: Kafka, groupId: string, topic: string): Promise<number[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    const counts = (groups[0]?.members ?? []).map((member) => AssignerProtocol.MemberAssignment.decode(member.memberAssignment)?.assignment[topic]?.length ?? 0);
    return counts.sort((a, b) => b - a);
  } finally {
    await admin.disconnect();
  }
}
