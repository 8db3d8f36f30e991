import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { Kafka } from '../src/clients/kafkajs.ts';
import { AssignerProtocol } from '../src/clients/kafkajs.ts';
import { pipelineTopology } from '../src/index/pipelineTopology.ts';
import type { IndexHarness } from '../support/indexHarness.ts';
import { waitForStableGroup } from './consumerGroups.ts';
import { produceMovieEvents, waitUntilSearchable } from './movieEvents.ts';
import { stopChild } from './childProcesses.ts';
import { measureMachineCpu, type MachineCpu } from './machineCpu.ts';
import { contextSwitchesOf, cpuMsOf, mainThreadCpuMsOf, peakRssMiBOf } from './processStats.ts';
import { metricSum, scrape } from './prometheusText.ts';
import { startReferenceWork } from './referenceWork.ts';
import { whenWritten } from './writtenClock.ts';

const cli = new URL('../cli/fedsearch.js', import.meta.url).pathname;

export interface IndexerRun {
  entitiesPerSecond: number;
  /** Peak resident memory (VmHWM) of each `fedsearch run` process, MiB. */
  peakRssMiB: number[];
  /** User + system CPU of all the processes while they indexed, per document, ms (after the warm-up). */
  cpuMsPerDocument: number;
  /** The same over the warm-up documents, indexed first by the cold processes (NaN without a warm-up). */
  cpuMsPerDocumentCold: number;
  /** The part of it on the processes' main threads (the event loop; the rest is V8's compiler and GC threads, libuv's pool). */
  mainThreadCpuMsPerDocument: number;
  /** Each process's CPU share of that work, ms per document. */
  cpuMsPerDocumentByProcess: number[];
  /** Partitions of the source topic with events each process's enrich consumer holds, and of the documents topic its sink holds. */
  partitions: Array<{ events: number; documents: number }>;
  /** Where the machine's cores went while the timed documents were indexed: `fedsearch run` and the processes given to observe. */
  machineCpu: MachineCpu;
  /** How the timed documents were batched, over all processes (from their /metrics). */
  batching: Batching;
  /**
   * The CPU a fixed piece of work took, every 50 ms in a process of its own, over the timed part
   * (median): how fast the machine itself ran under this load (bench/referenceWork.ts); null unless asked for.
   */
  referenceWork: { medianCpuMs: number; units: number } | null;
  /** Context switches of the `fedsearch run` processes' threads per 1,000 timed documents: waits (voluntary) and preemptions (involuntary). */
  contextSwitchesPer1000Documents: { voluntary: number; involuntary: number };
  /**
   * Seconds from the first change event until Elasticsearch had acknowledged every document
   * (bench/writtenClock.ts), before the refresh that made them searchable; entitiesPerSecond
   * counts until searchable.
   */
  writtenSeconds: number;
  /** Where the machine's cores went until then: the part before the wait for the refresh. */
  machineCpuUntilWritten: MachineCpu;
  /** The timed part on the monotonic clock in µs, the clock of `--cpu-prof` timestamps: to cut a profile to it. */
  timedMonotonicUs: { start: number; end: number };
}

/** Batches and requests over the timed part of a run: fewer, larger ones cost less per document. */
export interface Batching {
  enrichBatches: number;
  eventsPerEnrichBatch: number;
  gatewayRequests: number;
  entitiesPerGatewayRequest: number;
  produceRequests: number;
  documentsPerProduce: number;
  sinkBatches: number;
  documentsPerSinkBatch: number;
}

/** The counters Batching is computed from, summed over the processes' /metrics pages. */
async function batchCounters(metricsUrls: readonly string[]): Promise<Record<'enrichBatches' | 'events' | 'gatewayRequests' | 'fetched' | 'produceRequests' | 'produced' | 'sinkBatches' | 'documents', number>> {
  const pages = await Promise.all(metricsUrls.map(scrape));
  const sum = (name: string, having: Record<string, string> = {}): number => pages.reduce((total, page) => total + metricSum(page, name, having), 0);
  return {
    enrichBatches: sum('fedsearch_batch_messages_count', { stage: 'enrich' }),
    events: sum('fedsearch_batch_messages_sum', { stage: 'enrich' }),
    gatewayRequests: sum('fedsearch_gateway_request_seconds_count'),
    fetched: sum('fedsearch_documents_fetched_total'),
    produceRequests: sum('fedsearch_documents_per_produce_count'),
    produced: sum('fedsearch_documents_per_produce_sum'),
    sinkBatches: sum('fedsearch_batch_messages_count', { stage: 'sink' }),
    documents: sum('fedsearch_batch_messages_sum', { stage: 'sink' }),
  };
}

function batchingBetween(before: Awaited<ReturnType<typeof batchCounters>>, after: Awaited<ReturnType<typeof batchCounters>>): Batching {
  const d = (key: keyof typeof before): number => after[key] - before[key];
  const per = (total: number, count: number): number => (count > 0 ? total / count : Number.NaN);
  return {
    enrichBatches: d('enrichBatches'),
    eventsPerEnrichBatch: per(d('events'), d('enrichBatches')),
    gatewayRequests: d('gatewayRequests'),
    entitiesPerGatewayRequest: per(d('fetched'), d('gatewayRequests')),
    produceRequests: d('produceRequests'),
    documentsPerProduce: per(d('produced'), d('produceRequests')),
    sinkBatches: d('sinkBatches'),
    documentsPerSinkBatch: per(d('documents'), d('sinkBatches')),
  };
}

/** "8 enrich batches of 750 events, 243 gateway requests of 24.7 entities, 60 produce requests of 100 documents, 14 sink batches of 429 documents". */
export function describeBatching(b: Batching): string {
  return `${b.enrichBatches} enrich batches of ${b.eventsPerEnrichBatch.toFixed(0)} events, ${b.gatewayRequests} gateway requests of ${b.entitiesPerGatewayRequest.toFixed(1)} entities, ${b.produceRequests} produce requests of ${b.documentsPerProduce.toFixed(0)} documents, ${b.sinkBatches} sink batches of ${b.documentsPerSinkBatch.toFixed(0)} documents`;
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
  options: { env?: Record<string, string>; nodeArgs?: string[]; referenceWork?: boolean; cli?: string } = {},
): Promise<IndexerRun> {
  // Off unless asked: it is a little load of its own beside the indexers.
  const reference = options.referenceWork ? await startReferenceWork() : null;
  const children: ChildProcess[] = [];
  const metricsUrls: string[] = [];
  try {
    for (let n = 0; n < processes; n++) {
      const indexer = await spawnIndexer(h, options);
      children.push(indexer.child);
      metricsUrls.push(indexer.metricsUrl);
    }
    await untilJoined(h, children);
    const topology = pipelineTopology(h.loaded);
    const eventTopic = h.loaded.config.primary.events[0]?.topic as string;
    const enrichPartitions = await assignedPartitions(h.kafka, topology.enrichGroup, eventTopic);
    const sinkPartitions = await assignedPartitions(h.kafka, topology.sinkGroup, topology.documentsTopic);
    const pids = children.map((child) => child.pid as number);
    const cpuCold = pids.map(cpuMsOf);
    if (warmUp.length > 0) {
      await produceMovieEvents(h.kafka, eventTopic, warmUp);
      await waitUntilSearchable(h.es, h.index, warmUp.length);
    }
    const countersBefore = await batchCounters(metricsUrls);
    const switchesBefore = pids.map(contextSwitchesOf);
    const cpuBefore = pids.map(cpuMsOf);
    const mainThreadBefore = pids.map(mainThreadCpuMsOf);
    const machineCpu = measureMachineCpu({ 'fedsearch run': pids, ...observe });
    reference?.start();
    const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);
    const timedStart = monotonicUs();
    const started = performance.now();
    let untilWritten: MachineCpu | null = null;
    const written = whenWritten(h.es, h.index, warmUp.length + ids.length).then((at) => {
      untilWritten = machineCpu();
      return at;
    });
    await produceMovieEvents(h.kafka, eventTopic, ids);
    await waitUntilSearchable(h.es, h.index, warmUp.length + ids.length);
    const seconds = (performance.now() - started) / 1000;
    const writtenSeconds = ((await written) - started) / 1000;
    const referenceWork = (await reference?.stop()) ?? null;
    const timedMonotonicUs = { start: timedStart, end: monotonicUs() };
    const machine = machineCpu();
    const cpuByProcess = pids.map((pid, n) => (cpuMsOf(pid) - (cpuBefore[n] as number)) / ids.length);
    const mainThreadCpu = pids.reduce((sum, pid, n) => sum + mainThreadCpuMsOf(pid) - (mainThreadBefore[n] as number), 0) / ids.length;
    const batching = batchingBetween(countersBefore, await batchCounters(metricsUrls));
    const switchesAfter = pids.map(contextSwitchesOf);
    const switched = (kind: 'voluntary' | 'involuntary'): number =>
      (1000 * switchesAfter.reduce((sum, after, n) => sum + after[kind] - (switchesBefore[n]?.[kind] ?? 0), 0)) / ids.length;
    return {
      entitiesPerSecond: ids.length / seconds,
      peakRssMiB: pids.map(peakRssMiBOf),
      cpuMsPerDocument: cpuByProcess.reduce((sum, ms) => sum + ms, 0),
      cpuMsPerDocumentByProcess: cpuByProcess,
      mainThreadCpuMsPerDocument: mainThreadCpu,
      cpuMsPerDocumentCold: pids.reduce((sum, _, n) => sum + ((cpuBefore[n] as number) - (cpuCold[n] as number)), 0) / warmUp.length,
      // Members are listed in no particular order; pair them up by rank, which is all the table shows.
      partitions: enrichPartitions.map((events, n) => ({ events, documents: sinkPartitions[n] ?? 0 })),
      machineCpu: machine,
      writtenSeconds,
      machineCpuUntilWritten: untilWritten ?? machine,
      batching,
      timedMonotonicUs,
      referenceWork,
      contextSwitchesPer1000Documents: { voluntary: switched('voluntary'), involuntary: switched('involuntary') },
    };
  } finally {
    for (const indexer of children) await stopChild(indexer);
    await reference?.stop();
  }
}

/** A `fedsearch run` process over the harness's index (this clone's dist/ unless `cli` names another build's), serving /metrics on a port of its own. */
async function spawnIndexer(h: IndexHarness, options: { env?: Record<string, string>; nodeArgs?: string[]; cli?: string }): Promise<{ child: ChildProcess; metricsUrl: string }> {
  const port = await freePort();
  // Another build's CLI (a compiled checkout of main, say) runs as the baseline beside this one's.
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.cli ?? cli, 'run', h.configFile, '--metrics-port', String(port)], {
    env: { ...process.env, ...h.env, FEDSEARCH_LOG_LEVEL: 'warn', ...options.env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return { child, metricsUrl: `http://127.0.0.1:${port}` };
}

/** Resolves once every one of `children` has a member in both stage groups; fails at once if one exits first. */
async function untilJoined(h: IndexHarness, children: readonly ChildProcess[]): Promise<void> {
  const topology = pipelineTopology(h.loaded);
  await unlessOneExits(children, async () => {
    await waitForStableGroup(h.kafka, topology.enrichGroup, children.length);
    await waitForStableGroup(h.kafka, topology.sinkGroup, children.length);
  });
}

/** `work`, failing at once with the exit status when one of `children` exits before it is done (a bad option, say). */
async function unlessOneExits(children: readonly ChildProcess[], work: () => Promise<void>): Promise<void> {
  const listeners: Array<() => void> = [];
  const exited = new Promise<never>((_, reject) => {
    for (const indexer of children) {
      const listener = (): void => reject(new Error(`a fedsearch run process exited (${indexer.exitCode ?? indexer.signalCode}) before its consumers joined; its stderr is above`));
      indexer.once('exit', listener);
      listeners.push(() => indexer.off('exit', listener));
    }
  });
  try {
    await Promise.race([work(), exited]);
  } finally {
    listeners.forEach((remove) => remove());
  }
}

/**
 * One `fedsearch run` process over the harness's index, as an operator runs it (its own process,
 * not the bench's event loop, which also runs the demo graph), once both its consumers have joined.
 * `env` adds to its environment (e.g. FEDSEARCH_KAFKAJS_IDLE_FIX=off).
 */
export async function startIndexerProcess(h: IndexHarness, env: Record<string, string> = {}): Promise<{ pid: number; metricsUrl: string; stop(): Promise<void> }> {
  const { child, metricsUrl } = await spawnIndexer(h, { env });
  try {
    await untilJoined(h, [child]);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return { pid: child.pid as number, metricsUrl, stop: () => stopChild(child) };
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
