// Freshness of live changes on a quiet index, during a zero-downtime reindex, and in the first
// 10 s after its alias swap, in one run (issue 26): a studio of MOVIES movies (demo graph, in this
// process, as `npm run demo` runs it), kept in step by the live pipeline (both stages, in this
// process, as the demo), changes at RATE/s — every other one a movie retitled, the others a person
// renamed (fanned out to each movie crediting them) — while CYCLES times: QUIET s quiet, then
// `backfill --new-version` (the config's rate cap, `--cleanup`), then AFTER s after the swap, then
// SETTLE s not counted. The live sink group's joins and rebalances are recorded (kafkajs
// instrumentation events) and printed against each swap.
//   MOVIES=4000 RATE=4 CYCLES=3 QUIET=20 AFTER=10 SETTLE=15 npx tsx bench/reindexFreshness.ts
// Run it under the integration lock: flock /tmp/fedsearch-int.lock env -u NODE_ENV npx tsx bench/reindexFreshness.ts
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { runBackfill } from '../src/backfill/runBackfill.ts';
import { runPipeline } from '../src/pipeline/runPipeline.ts';
import { elasticsearchUrl } from '../stack/elasticsearchService.ts';
import { kafkaBrokers } from '../stack/kafkaService.ts';
import { entityId } from '../subgraphs/data/studioRows.ts';
import { creditedTalents } from '../support/creditedTalents.ts';
import { createIndexHarness } from '../support/indexHarness.ts';
import { recordGroupEvents } from './groupEvents.ts';
import { LiveChanges } from './liveChanges.ts';
import { phaseTable, type PhaseWindows } from './reindexPhases.ts';
import { stageSnapshot, StageTimes } from './stageTimes.ts';

const MOVIES = Number(process.env.MOVIES ?? 4_000);
const RATE = Number(process.env.RATE ?? 4);
const CYCLES = Number(process.env.CYCLES ?? 3);
const QUIET_S = Number(process.env.QUIET ?? 20);
const AFTER_S = Number(process.env.AFTER ?? 10);
const SETTLE_S = Number(process.env.SETTLE ?? 15);
const OUT = process.env.OUT ?? new URL('./reindex-results.json', import.meta.url).pathname;
// YIELD: when the reindex waits for the live pipeline — unset: runBackfill's default; `off`: never;
// `documents=N,events=M`: more than N documents waiting for the sinks or M change events unfinished.
const YIELD = process.env.YIELD;
const yieldTo = (): { yieldTo?: { documents: number; changeEvents: number } | null } => {
  if (YIELD === undefined) return {};
  if (YIELD === 'off') return { yieldTo: null };
  const limits = Object.fromEntries(YIELD.split(',').map((pair) => pair.split('=') as [string, string]));
  return { yieldTo: { documents: Number(limits.documents ?? Infinity), changeEvents: Number(limits.events ?? Infinity) } };
};

const groupEvents = recordGroupEvents((groupId) => groupId.startsWith('it_'));
const h = await createIndexHarness({ elasticsearchUrl: elasticsearchUrl(), kafkaBrokers: kafkaBrokers(), movies: MOVIES });
const quietProgress = { update: () => {}, note: () => {}, stop: () => {} };
try {
  await runBackfill(h.loaded, { rate: Number.POSITIVE_INFINITY, resume: false, newVersion: false, cleanup: true, graceSeconds: 0 }, quietProgress);
  const pipeline = await runPipeline(h.loaded, { stage: 'all', metricsPort: 0 });
  await sleep(3_000);
  const talents = await creditedTalents(h.es, h.index, 100);
  console.log(`${MOVIES} movies; renames go to ${talents.length} people credited in ${Math.min(...talents.map((t) => t.movies))}–${Math.max(...talents.map((t) => t.movies))} movies`);
  const movieIds = Array.from({ length: MOVIES }, (_, i) => entityId('mov', i + 1));
  const changes = new LiveChanges({ gatewayUrl: h.graph.gatewayUrl, es: h.es, index: h.index }, movieIds, talents, RATE, h.run);
  const windows: PhaseWindows = { quiet: [], during: [], after: [] };
  // Where the time goes, per phase: the live pipeline's gateway requests and its event → written time (means).
  const stageTimes = { quiet: new StageTimes(), during: new StageTimes(), after: new StageTimes() };
  const snapshot = () => stageSnapshot(pipeline.metrics.registry);
  const swaps: number[] = [];
  await sleep(5_000); // warm-up, not counted
  for (let cycle = 1; cycle <= CYCLES; cycle++) {
    const quietFrom = performance.now();
    const quietSnapshot = await snapshot();
    await sleep(QUIET_S * 1000);
    windows.quiet.push([quietFrom, performance.now()]);
    const started = performance.now();
    const startSnapshot = await snapshot();
    stageTimes.quiet.add(quietSnapshot, startSnapshot);
    let swappedAt = Number.NaN;
    const summary = await runBackfill(
      h.loaded,
      { resume: false, newVersion: true, cleanup: true, graceSeconds: 0, ...yieldTo() },
      { ...quietProgress, note: (message) => void (message.startsWith('alias ') && (swappedAt = performance.now())) },
    );
    swaps.push(swappedAt);
    windows.during.push([started, swappedAt]);
    windows.after.push([swappedAt, swappedAt + AFTER_S * 1000]);
    console.log(`reindex ${cycle}: ${summary.done} movies in ${summary.seconds.toFixed(1)} s (${summary.rate.toFixed(0)}/s) into ${summary.liveIndex}`);
    const swapSnapshot = await snapshot();
    stageTimes.during.add(startSnapshot, swapSnapshot);
    await sleep(AFTER_S * 1000);
    stageTimes.after.add(swapSnapshot, await snapshot());
    await sleep(SETTLE_S * 1000);
  }
  const records = await changes.stop();
  await pipeline.stop();

  for (const event of groupEvents) {
    const nearest = swaps.reduce((best, swap, i) => (Math.abs(event.at - swap) < Math.abs(event.at - (swaps[best] ?? 0)) ? i : best), 0);
    const offset = (event.at - (swaps[nearest] ?? 0)) / 1000;
    const detail = event.event === 'join' ? ` (join+sync ${event.durationMs} ms, partitions ${JSON.stringify(event.partitions)})` : '';
    console.log(`${offset >= 0 ? '+' : ''}${offset.toFixed(2)} s from swap ${nearest + 1}: ${event.groupId} ${event.event} ${event.memberId.slice(-12)}${detail}`);
  }
  const table = phaseTable(records, windows);
  for (const line of table.lines) console.log(line);
  for (const [phase, times] of Object.entries(stageTimes)) console.log(`${phase}: ${times.describe()}`);
  writeFileSync(
    OUT,
    `${JSON.stringify({ date: new Date().toISOString(), movies: MOVIES, changesPerSecond: RATE, cycles: CYCLES, backfillRate: h.loaded.config.backfill.rate, phases: table.phases, stageMeans: Object.fromEntries(Object.entries(stageTimes).map(([phase, times]) => [phase, times.means()])), groupEvents: groupEvents.length }, null, 2)}\n`,
  );
} finally {
  await h.dispose();
}
