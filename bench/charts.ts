// Charts of a bench run (bench/results.json) as SVG, for the README and CI artefacts. Vega-Lite
// compiles a small declarative spec to Vega, and Vega's headless View renders it to an SVG string:
// pure JavaScript, so no canvas, native module or browser is needed to draw them.
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { BenchResults, ThroughputRow } from './benchResults.ts';

// The order the bars are drawn and listed in the legend: fedsearch first, then the ceilings and
// the baseline it is measured against.
const SERIES = [
  'fedsearch, 1 process',
  'fedsearch, 2 processes',
  'gateway fetch limit',
  'raw bulk into Elasticsearch',
  'naive pipeline',
] as const;

const GRAPHS = ['demo graph', 'fast graph (replay gateway)'] as const;

function seriesOf(row: ThroughputRow & { fetchLimit: number }): Record<(typeof SERIES)[number], number> {
  return {
    'fedsearch, 1 process': row.fedsearch1,
    'fedsearch, 2 processes': row.fedsearch2,
    'gateway fetch limit': row.fetchLimit,
    'raw bulk into Elasticsearch': row.rawBulk,
    'naive pipeline': row.naive,
  };
}

// The encoding a layered spec shares between its layers (vega-lite exports no stable name for it).
type LayerEncoding = NonNullable<Extract<TopLevelSpec, { layer: unknown }>['encoding']>;

// Labels are long ("fast graph (replay gateway)"); Vega would otherwise cut them with an ellipsis.
// The legend goes under the plot so the chart stays as wide as a README column.
const CONFIG = { axis: { labelLimit: 0 }, legend: { labelLimit: 0, orient: 'bottom', columns: 2 } } as const;

/** A bar chart with each bar's value written at its end, so the figures survive a greyscale print. */
function labelledBars(
  title: string,
  subtitle: string,
  values: Record<string, string | number>[],
  encoding: LayerEncoding,
): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle, anchor: 'start' },
    width: 480,
    data: { values },
    encoding,
    layer: [
      { mark: 'bar' },
      { mark: { type: 'text', align: 'left', dx: 3 }, encoding: { text: { field: 'value', format: ',.0f' }, color: { value: 'black' } } },
    ],
    config: CONFIG,
  };
}

const count = (n: number): string => n.toLocaleString('en-US');

async function toSvg(spec: TopLevelSpec): Promise<string> {
  // renderer 'none': nothing is drawn to a DOM; toSVG builds its own scenegraph and serialises it.
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize(); // drops the view's timers and listeners, so a caller's process can exit
  }
}

export async function renderCharts(results: BenchResults): Promise<{ throughputSvg: string; freshnessSvg: string }> {
  const rows = { 'demo graph': results.demoGraph, 'fast graph (replay gateway)': results.fastGraph };
  const throughput = GRAPHS.flatMap((graph) => SERIES.map((series) => ({ graph, series, value: seriesOf(rows[graph])[series] })));
  const throughputSpec = labelledBars(
    'Change events in Kafka → searchable documents, entities/s',
    `${results.date}: ${count(results.sizes.events)} events (naive pipeline: ${count(results.sizes.naiveEvents)}), ${results.machine.cores} cores`,
    throughput,
    {
      // yOffset groups the five series inside each graph's band: a horizontal grouped bar chart.
      y: { field: 'graph', type: 'nominal', sort: [...GRAPHS], title: null },
      yOffset: { field: 'series', type: 'nominal', sort: [...SERIES] },
      x: { field: 'value', type: 'quantitative', title: 'entities per second' },
      color: { field: 'series', type: 'nominal', scale: { domain: [...SERIES] }, title: null },
    },
  );

  const steady = 'steady mutations';
  const related = `related-heavy (${results.relatedHeavy.renamesPerSecond} renames/s)`;
  const freshness = [
    { traffic: steady, percentile: 'p50', value: results.freshnessMs.p50 },
    { traffic: steady, percentile: 'p95', value: results.freshnessMs.p95 },
    { traffic: steady, percentile: 'p99', value: results.freshnessMs.p99 },
    { traffic: related, percentile: 'p50', value: results.relatedHeavy.freshnessP50Ms },
    { traffic: related, percentile: 'p99', value: results.relatedHeavy.freshnessP99Ms },
  ];
  const freshnessSpec = labelledBars(
    'Freshness: a change committed → visible in search, ms',
    `${results.date}: ${results.relatedHeavy.seconds} s of related-heavy traffic (p50 and p99 only)`,
    freshness,
    {
      y: { field: 'traffic', type: 'nominal', sort: [steady, related], title: null },
      yOffset: { field: 'percentile', type: 'nominal', sort: ['p50', 'p95', 'p99'] },
      x: { field: 'value', type: 'quantitative', title: 'milliseconds' },
      color: { field: 'percentile', type: 'nominal', sort: ['p50', 'p95', 'p99'], title: 'percentile' },
    },
  );

  const [throughputSvg, freshnessSvg] = await Promise.all([toSvg(throughputSpec), toSvg(freshnessSpec)]);
  return { throughputSvg, freshnessSvg };
}
