import type { ClosedLoopResult } from './closedLoopLoad.ts';

/** The shape of bench/search-overhead-results.json: what searchOverhead.ts writes and searchOverheadTable.ts reads. */

export interface Measurement extends ClosedLoopResult {
  /** User + system CPU of the target's process per request, ms (direct: Elasticsearch's). */
  cpuMsPerRequest: number;
  /** Busy share of the machine's cores outside this bench's processes meanwhile (other work on a shared machine). */
  otherBusyShare: number;
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
