// What `npm run bench` writes to bench/results.json, from the same run as bench/results.md: the
// figures a machine (CI, a dashboard, the chart) reads. Entities per second unless named.

import type { Batching } from './indexerProcesses.ts';
import type { MachineCpu } from './machineCpu.ts';

export interface ThroughputRow {
  /** One `fedsearch run` process, change events in Kafka → searchable. */
  fedsearch1: number;
  /** Two `fedsearch run` processes in one consumer group. */
  fedsearch2: number;
  /** The same documents bulk-written straight into Elasticsearch. */
  rawBulk: number;
  /** One GraphQL request and one index request per event. */
  naive: number;
}

export interface BenchResults {
  date: string;
  machine: { cores: number; cpu: string; memoryGiB: number };
  sizes: { movies: number; events: number; naiveEvents: number };
  /** Against the demo graph (Apollo resolvers in the bench process). */
  demoGraph: ThroughputRow & { fetchLimit: number };
  /** Against the replay gateway (precomputed answers in its own process): fedsearch's own ceiling. */
  fastGraph: ThroughputRow & { fetchLimit: number };
  /** User + system CPU of the `fedsearch run` processes per document indexed (1 process; 2 processes summed). */
  cpuMsPerDocument: { demoGraph: number; fastGraph: number; fastGraph2Processes: number };
  /** The same over the warm-up documents each run indexes first, with its processes cold. */
  cpuMsPerDocumentCold: { demoGraph: number; fastGraph: number; fastGraph2Processes: number };
  /** The part of cpuMsPerDocument on the processes' main threads (the rest: V8's GC and compiler threads, libuv's pool). */
  mainThreadCpuMsPerDocument: { demoGraph: number; fastGraph: number; fastGraph2Processes: number };
  /** How the timed documents were batched (enrich batches, gateway requests, produce requests, sink batches), over all processes. */
  batching: { fastGraph: Batching; fastGraph2Processes: Batching };
  /** Where the machine's cores went while the timed documents were indexed: shares (0–1) of all cores' time by process, the rest, idle. */
  machineCpu: { demoGraph: MachineCpu; fastGraph: MachineCpu; fastGraph2Processes: MachineCpu };
  /** Peak resident memory (VmHWM) of a `fedsearch run` process, MiB. */
  peakRssMiB: number;
  freshnessMs: { p50: number; p95: number; p99: number };
  relatedHeavy: { renamesPerSecond: number; seconds: number; freshnessP50Ms: number; freshnessP99Ms: number; refreshesPerMinute: number };
  /** One person credited in 1,000 indexed movies renamed, until all 1,000 are searchable with it: median ms on the demo graph. */
  fanout1000Ms: number;
  /** Every round of that, on both graphs, and the demo graph fetching those 1,000 movies alone (its bound). */
  fanout: { demoGraphMs: number[]; demoGraphFetchAloneMs: number; fastGraphMs: number[] };
  search: {
    c1: { p50Ratio: number; p50Ms: number; p99Ms: number; directP50Ms: number; directP99Ms: number };
    c10: { reqPerSecRatio: number; reqPerSec: number; directReqPerSec: number; p50Ratio: number };
    /** User + system CPU of the `fedsearch serve` process per request (text query, 10 connections), and of a pass-through proxy (the floor). */
    cpuMsPerRequest: { fedsearch: number; passThroughProxy: number; passThroughReqPerSecRatio: number };
  };
  cli: { helpWallMs: number; helpPeakMiB: number; validateWallMs: number };
}
