// bench/searchOverhead.ts's results as the Markdown table bench/README.md shows: per query and
// connections, each target's range over the rounds (min–max) of req/s and p50/p95/p99 against
// direct, and of its CPU per request.
//   npx tsx bench/searchOverheadTable.ts [bench/search-overhead-results.json]
import { readFileSync } from 'node:fs';
import type { Measurement, Row } from './searchOverheadResults.ts';


const file = process.argv[2] ?? new URL('./search-overhead-results.json', import.meta.url).pathname;
const { rows } = JSON.parse(readFileSync(file, 'utf8')) as { rows: Row[] };
const range = (values: number[], digits: number, suffix = ''): string => {
  const [min, max] = [Math.min(...values), Math.max(...values)];
  return min.toFixed(digits) === max.toFixed(digits) ? `${min.toFixed(digits)}${suffix}` : `${min.toFixed(digits)}–${max.toFixed(digits)}${suffix}`;
};
const cells = [...new Set(rows.map((r) => `${r.query}|${r.connections}`))];
const targets = Object.keys(rows[0]?.measured ?? {});
/** A range over the rounds of a figure older results do not have. */
const rangeOrDash = (values: Array<number | undefined>, digits: number): string => (values.every((v) => v !== undefined) ? range(values as number[], digits) : '–');
console.log('| query, connections | target | req/s vs direct | p50 vs direct | p95 vs direct | p99 vs direct | CPU ms / request | of it system | preemptions / request | direct: req/s, p50 ms |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const cell of cells) {
  const [query, connections] = cell.split('|');
  const of = rows.filter((r) => `${r.query}|${r.connections}` === cell);
  for (const target of targets) {
    const m = of.map((r) => r.measured[target] as Measurement);
    const kernelAndPreemptions = `${rangeOrDash(m.map((x) => x.systemCpuMsPerRequest), 2)} | ${rangeOrDash(m.map((x) => x.preemptionsPerRequest), 2)}`;
    if (target === 'direct') {
      console.log(`| ${query}, ${connections} | direct (Elasticsearch's JVM CPU) | 1 | 1 | 1 | 1 | ${range(m.map((x) => x.cpuMsPerRequest), 2)} | ${kernelAndPreemptions} | ${range(m.map((x) => x.requestsPerSecond), 0)}, ${range(m.map((x) => x.p50), 2)} |`);
      continue;
    }
    const v = of.map((r) => r.vsDirect[target] as Row['vsDirect'][string]);
    console.log(
      `| ${query}, ${connections} | ${target} | ${range(v.map((x) => x.reqPerSec), 2)} | ${range(v.map((x) => x.p50), 2, '×')} | ${range(v.map((x) => x.p95), 2, '×')} | ${range(v.map((x) => x.p99), 2, '×')} | ${range(m.map((x) => x.cpuMsPerRequest), 2)} | ${kernelAndPreemptions} | |`,
    );
  }
}
