import type { ClosedLoopResult } from './closedLoopLoad.ts';

/** The shape of bench/search-overhead-results.json: what searchOverhead.ts writes and searchOverheadTable.ts reads. */

export interface Measurement extends ClosedLoopResult {
  /** User + system CPU of the target's process per request, ms (direct: Elasticsearch's). */
  cpuMsPerRequest: number;
  /** The part of it in the kernel (system time): for a service on loopback, the TCP path of both ends of every write. */
  systemCpuMsPerRequest: number;
  /**
   * Preemptions of the target's main thread per request (involuntary context switches; direct:
   * every thread of Elasticsearch's JVM). A profiler's sample counts the time a thread waits to
   * run again to whatever call it was preempted in.
   */
  preemptionsPerRequest: number;
  /** CPU of the bench's own process (the load generator, sharing the cores) per request, ms: what every target's requests cost besides the target. */
  loadGeneratorCpuMsPerRequest: number;
  /** Busy share of the machine's cores outside this bench's processes meanwhile (other work on a shared machine). */
  otherBusyShare: number;
  /** Idle share of the machine's cores meanwhile: near 0, the cores were saturated and req/s was bound by CPU. */
  idleShare: number;
}

export interface Row {
  round: number;
  query: string;
  connections: number;
  order: string[];
  measured: Record<string, Measurement>;
  /** Each non-direct target against direct: req/s ratio, p50/p95/p99 ratios. */
  vsDirect: Record<string, { reqPerSec: number; p50: number; p95: number; p99: number }>;
}
