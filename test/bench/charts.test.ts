import { describe, expect, it } from 'vitest';
import { renderCharts } from '../../bench/charts.ts';
import type { BenchResults } from '../../bench/benchResults.ts';

// Every figure distinct, so an assertion on one cannot be satisfied by another series' bar.
const results: BenchResults = {
  date: '2025-03-14',
  machine: { cores: 2, cpu: 'Test CPU', memoryGiB: 8 },
  sizes: { movies: 5000, events: 200000, naiveEvents: 2000 },
  demoGraph: { fedsearch1: 4321, fedsearch2: 7654, rawBulk: 23456, naive: 187, fetchLimit: 9876 },
  fastGraph: { fedsearch1: 12345, fedsearch2: 19876, rawBulk: 24680, naive: 211, fetchLimit: 31415 },
  cpuMsPerDocument: { demoGraph: 0.5, fastGraph: 0.3, fastGraph2Processes: 0.35 },
  cpuMsPerDocumentCold: { demoGraph: 0.7, fastGraph: 0.5, fastGraph2Processes: 0.6 },
  mainThreadCpuMsPerDocument: { demoGraph: 0.3, fastGraph: 0.2, fastGraph2Processes: 0.2 },
  batching: {
    fastGraph: { enrichBatches: 8, eventsPerEnrichBatch: 750, gatewayRequests: 243, entitiesPerGatewayRequest: 24.7, produceRequests: 140, documentsPerProduce: 43, sinkBatches: 17, documentsPerSinkBatch: 353 },
    fastGraph2Processes: { enrichBatches: 8, eventsPerEnrichBatch: 750, gatewayRequests: 243, entitiesPerGatewayRequest: 24.7, produceRequests: 147, documentsPerProduce: 41, sinkBatches: 28, documentsPerSinkBatch: 214 },
  },
  machineCpu: { demoGraph: { coreSeconds: 8, shares: { 'fedsearch run': 0.3, Elasticsearch: 0.4 }, other: 0.2, idle: 0.1 }, fastGraph: { coreSeconds: 8, shares: { 'fedsearch run': 0.3, Elasticsearch: 0.4 }, other: 0.2, idle: 0.1 }, fastGraph2Processes: { coreSeconds: 8, shares: { 'fedsearch run': 0.3, Elasticsearch: 0.4 }, other: 0.2, idle: 0.1 } },
  peakRssMiB: 180,
  freshnessMs: { p50: 412, p95: 873, p99: 1234 },
  relatedHeavy: { renamesPerSecond: 20, seconds: 30, freshnessP50Ms: 1567, freshnessP99Ms: 4789, refreshesPerMinute: 60 },
  fanout1000Ms: 950,
  fanout: { demoGraphMs: [900, 950, 1010], demoGraphFetchAloneMs: 700, fastGraphMs: [400, 420, 450] },
  search: {
    c1: { p50Ratio: 1.1, p50Ms: 3, p99Ms: 9, directP50Ms: 2.7, directP99Ms: 8 },
    c10: { reqPerSecRatio: 0.9, reqPerSec: 900, directReqPerSec: 1000, p50Ratio: 1.2 },
    cpuMsPerRequest: { fedsearch: 1.5, passThroughProxy: 0.7, passThroughReqPerSecRatio: 0.97 },
  },
  cli: { helpWallMs: 120, helpPeakMiB: 60, validateWallMs: 300 },
};

// Vega writes each label and value as the content of a <text> element; reading those back
// checks what a reader sees, not the data the spec was given.
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => (m[1] ?? '').replaceAll('&amp;', '&'));
}

describe('renderCharts', () => {
  it('draws throughput per graph and series, with the run date and size in the title', async () => {
    const { throughputSvg } = await renderCharts(results);
    expect(throughputSvg.startsWith('<svg')).toBe(true);
    const labels = texts(throughputSvg);
    for (const label of [
      'demo graph',
      'fast graph (replay gateway)',
      'fedsearch, 1 process',
      'fedsearch, 2 processes',
      'gateway fetch limit',
      'raw bulk into Elasticsearch',
      'naive pipeline',
    ]) {
      expect(labels).toContain(label);
    }
    // One bar value from each series, formatted as drawn: a dropped series loses its number.
    for (const value of ['4,321', '7,654', '31,415', '24,680', '187']) expect(labels).toContain(value);
    expect(labels.join(' ')).toMatch(/2025-03-14.*200,000 events/);
    // Nothing is cut short with an ellipsis.
    expect(labels.filter((l) => l.endsWith('…'))).toEqual([]);
  });

  it('draws the freshness percentiles of steady and related-heavy traffic', async () => {
    const { freshnessSvg } = await renderCharts(results);
    expect(freshnessSvg.startsWith('<svg')).toBe(true);
    const labels = texts(freshnessSvg);
    for (const label of ['steady mutations', 'related-heavy (20 renames/s)', 'p50', 'p95', 'p99']) {
      expect(labels).toContain(label);
    }
    for (const value of ['412', '873', '1,234', '1,567', '4,789']) expect(labels).toContain(value);
  });
});
