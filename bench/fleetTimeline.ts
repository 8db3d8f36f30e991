// Where the timed changes of a many-indexes run spent their time (bench/manyIndexes.ts's `changes`
// and `metrics`): per second of the timed part (by when the change was sent), how many (index,
// change) pairs, and each stage's median and max; then the slow ones (sent → searchable over
// `FEDSEARCH_FLEET_SLOW_MS`, 3,000) by stage, graph and index; then the run process's per-index
// counters (events read, documents written) per second, how many indexes moved in each.
//
//   npx tsx bench/fleetTimeline.ts bench/many-indexes-results.json [run number, from 0]
import { readFileSync } from 'node:fs';
import type { ChangeTrace } from './fleetChanges.ts';

interface Run {
  run: string;
  indexes: number;
  changes?: ChangeTrace[];
  pollsCutOffAt?: number[];
  metrics?: Array<{ at: number; byIndex: Record<string, [number, number, number, number, number]> }>;
}

const [file, only] = process.argv.slice(2);
if (!file) throw new Error('usage: fleetTimeline.ts <results.json> [run number]');
const SLOW_MS = Number(process.env.FEDSEARCH_FLEET_SLOW_MS ?? 3_000);
const runs = (JSON.parse(readFileSync(file, 'utf8')) as { results: Run[] }).results;

const STAGES: Array<[string, (t: ChangeTrace) => number | undefined]> = [
  ['to topic', (t) => diff(t.onTopicAt, t.sentAt)],
  ['to fetch', (t) => diff(t.fetchSentAt, t.onTopicAt)],
  ['fetch→produced', (t) => diff(t.producedAt, t.fetchSentAt)],
  ['produced→found', (t) => diff(t.foundAt, t.producedAt)],
  ['total', (t) => diff(t.foundAt, t.sentAt)],
];

for (const [position, run] of runs.entries()) {
  if (only !== undefined && Number(only) !== position) continue;
  const changes = run.changes ?? [];
  if (changes.length === 0) continue;
  const t0 = Math.min(...changes.map((t) => t.sentAt));
  process.stdout.write(`\n== run ${position}: ${run.indexes} indexes, ${changes.length} timed (index, change) pairs; ms, median / max per second sent\n`);
  process.stdout.write(`second | pairs | ${STAGES.map(([name]) => name).join(' | ')} | searches cut off in that second\n`);
  const bySecond = group(changes, (t) => Math.floor((t.sentAt - t0) / 1000));
  const cutOff = group(run.pollsCutOffAt ?? [], (at) => Math.floor((at - t0) / 1000));
  for (const [second, list] of [...bySecond].sort((a, b) => a[0] - b[0])) {
    process.stdout.write(`${String(second).padStart(6)} | ${String(list.length).padStart(5)} | ${STAGES.map(([, span]) => medianMax(list.map(span))).join(' | ')} | ${cutOff.get(second)?.length ?? 0}\n`);
  }
  const afterwards = [...cutOff].filter(([second]) => second > Math.max(...bySecond.keys())).reduce((sum, [, list]) => sum + list.length, 0);
  if (afterwards > 0) process.stdout.write(`searches cut off after the last change was sent: ${afterwards}\n`);
  const slow = changes.filter((t) => (diff(t.foundAt, t.sentAt) ?? Number.POSITIVE_INFINITY) > SLOW_MS);
  process.stdout.write(`\nslow (> ${SLOW_MS} ms or never found): ${slow.length} of ${changes.length}\n`);
  for (const graph of ['movies', 'shop'] as const) {
    const ofGraph = slow.filter((t) => t.graph === graph);
    if (ofGraph.length === 0) continue;
    const indexes = new Set(ofGraph.map((t) => t.alias)).size;
    process.stdout.write(`  ${graph}: ${ofGraph.length} pairs on ${indexes} indexes; ${STAGES.map(([name, span]) => `${name} ${medianMax(ofGraph.map(span))}`).join(', ')}\n`);
  }
  const metrics = run.metrics ?? [];
  if (metrics.length > 1) {
    process.stdout.write('\nrun process, per second: indexes whose events read / documents written grew; their sums; enrich and sink lag summed\n');
    for (let i = 1; i < metrics.length; i++) {
      const [before, after] = [metrics[i - 1], metrics[i]] as [NonNullable<(typeof metrics)[number]>, NonNullable<(typeof metrics)[number]>];
      let readMoved = 0;
      let writtenMoved = 0;
      let read = 0;
      let written = 0;
      let enrichLag = 0;
      let sinkLag = 0;
      for (const [alias, row] of Object.entries(after.byIndex)) {
        const was = before.byIndex[alias] ?? [0, 0, 0, 0, 0];
        if (row[0] > was[0]) readMoved++;
        if (row[2] > was[2]) writtenMoved++;
        read += row[0] - was[0];
        written += row[2] - was[2];
        enrichLag += row[3];
        sinkLag += row[4];
      }
      process.stdout.write(`  +${((after.at - t0) / 1000).toFixed(1)} s: read on ${readMoved} (${read}), written on ${writtenMoved} (${written}), lag enrich ${enrichLag} sink ${sinkLag}\n`);
    }
  }
}

function diff(later: number | undefined, earlier: number | undefined): number | undefined {
  return later === undefined || earlier === undefined ? undefined : later - earlier;
}

function medianMax(values: Array<number | undefined>): string {
  const known = values.filter((value): value is number => value !== undefined).sort((a, b) => a - b);
  if (known.length === 0) return '–';
  return `${Math.round(known[Math.floor(known.length / 2)] as number)}/${Math.round(known.at(-1) as number)}`;
}

function group<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
