// What `fedsearch serve` costs on top of Elasticsearch, issue #30's target (req/s ≥ 0.9 of
// direct and p50 ≤ 1.15× direct in every run): the same Elasticsearch bodies sent straight to
// `_search`, through a pass-through proxy (bench/passThroughProxy.ts: the floor of any Node.js
// service in front of Elasticsearch) and through `fedsearch serve`, side by side in one run.
// A studio of N movies is backfilled into a fresh index; then every round measures each query
// (text, filter, text + filter + facets) at 1 and 10 connections against every target in turn,
// the order rotated from one measurement to the next so that none is always first or last after
// a change of load. Each measurement: WARMUP s untimed, then SECONDS s with a closed-loop load
// (bench/closedLoopLoad.ts: exact sub-millisecond percentiles), the target's CPU per request
// (/proc: Elasticsearch's JVM for direct), and how busy the rest of the machine was.
// SERVE_CLI=<a checkout>/cli/fedsearch.js runs `serve` of that checkout (default this one's);
// VARIANT_NODE_OPTIONS / VARIANT_SERVE_ARGS add one more serve of this build with those Node options
// or serve options (e.g. `--searches-at-once 16`).
// BASELINE_CLI=<another checkout>/cli/fedsearch.js adds a second `fedsearch serve`, of that
// build, as a fourth target (a before/after comparison in the same run). FEDSEARCH_PROFILE=1 starts
// one more serve process per build with --cpu-prof (into FEDSEARCH_PROFILE_DIR/<name>, default
// .fedsearch/profiles) and loads them in a round of their own after the measured rounds, so the
// profiler's cost stays out of the figures; summarize with bench/cpuProfileSummary.ts. Results: RESULTS_FILE (default
// bench/search-overhead-results.json). Run it under the integration lock:
//   flock /tmp/fedsearch-int.lock env -u NODE_ENV npx tsx bench/searchOverhead.ts
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { runBackfill } from '../src/backfill/runBackfill.ts';
import { elasticsearchUrl } from '../stack/elasticsearchService.ts';
import { kafkaBrokers } from '../stack/kafkaService.ts';
import { createIndexHarness } from '../support/indexHarness.ts';
import { closedLoopLoad } from './closedLoopLoad.ts';
import { measureMachineCpu } from './machineCpu.ts';
import { contextSwitchesOf, cpuTimesOf, mainThreadContextSwitchesOf } from './processStats.ts';
import type { Measurement, Row } from './searchOverheadResults.ts';
import { searchPair, startPassThroughProxy, startSearchServer, type SearchServerProcess } from './searchLoad.ts';

const N = Number(process.env.N ?? 20_000);
const SECONDS = Number(process.env.SECONDS ?? 4);
const WARMUP = Number(process.env.WARMUP ?? 1);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const SERVE_CLI = process.env.SERVE_CLI;
const BASELINE_CLI = process.env.BASELINE_CLI;
/** Node options (e.g. `--max-semi-space-size=32`) for one more `fedsearch serve` of this build, measured as a target of its own. */
const VARIANT_NODE_OPTIONS = process.env.VARIANT_NODE_OPTIONS?.split(' ').filter(Boolean) ?? [];
/** `serve` options (e.g. `--searches-at-once 16`) for that variant, alone or with VARIANT_NODE_OPTIONS. */
const VARIANT_SERVE_ARGS = process.env.VARIANT_SERVE_ARGS?.split(' ').filter(Boolean) ?? [];
const VARIANT_WORDS = [...VARIANT_NODE_OPTIONS, ...VARIANT_SERVE_ARGS];
const VARIANT = VARIANT_WORDS.length > 0 ? `serve (${VARIANT_WORDS.join(' ')})` : null;
const PROFILE_DIR = process.env.FEDSEARCH_PROFILE_DIR ?? new URL('../.fedsearch/profiles/', import.meta.url).pathname;
const profile = process.env.FEDSEARCH_PROFILE === '1';
const RESULTS_FILE = process.env.RESULTS_FILE ?? new URL('./search-overhead-results.json', import.meta.url).pathname;
const TARGET = { reqPerSecRatio: 0.9, p50Ratio: 1.15 };

const QUERIES: Array<{ label: string; request: Record<string, unknown> }> = [
  { label: 'text', request: { query: 'shadow river', facets: [] } },
  { label: 'filter', request: { filter: 'releaseYear >= 1990 AND production.status IN ["RELEASED", "POST_PRODUCTION"]', facets: [] } },
  { label: 'text + filter + facets', request: { query: 'shadow river', filter: 'releaseYear >= 1990 AND production.status IN ["RELEASED", "POST_PRODUCTION"]' } },
];

const quiet = { update: () => {}, note: () => {}, stop: () => {} };
const elasticsearchPid = pidListeningOn(new URL(elasticsearchUrl()).port || '9200');

const h = await createIndexHarness({ elasticsearchUrl: elasticsearchUrl(), kafkaBrokers: kafkaBrokers(), movies: N });
await runBackfill(h.loaded, { rate: Number.POSITIVE_INFINITY, resume: false, newVersion: false, cleanup: false, graceSeconds: 0 }, quiet);
const proxy = await startPassThroughProxy(elasticsearchUrl(), h.index);
const serve = await startSearchServer(h.configFile, h.env, [], ...(SERVE_CLI ? [SERVE_CLI] : []));
const baseline = BASELINE_CLI ? await startSearchServer(h.configFile, h.env, [], BASELINE_CLI) : null;
const variant = VARIANT ? await startSearchServer(h.configFile, h.env, VARIANT_NODE_OPTIONS, SERVE_CLI, VARIANT_SERVE_ARGS) : null;
// A directory per process: a process writes one profile per thread.
const profiling = (name: string): string[] => {
  mkdirSync(`${PROFILE_DIR}/${name}`, { recursive: true });
  return ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}/${name}`];
};
const profiled: Record<string, SearchServerProcess> = profile
  ? {
      serve: await startSearchServer(h.configFile, h.env, profiling('serve'), ...(SERVE_CLI ? [SERVE_CLI] : [])),
      ...(BASELINE_CLI ? { 'serve (baseline)': await startSearchServer(h.configFile, h.env, profiling('serve-baseline'), BASELINE_CLI) } : {}),
    }
  : {};

const rows: Row[] = [];
const started = new Date();
try {
  const pairs = await Promise.all(QUERIES.map(({ request }) => searchPair(serve, h.loaded, h.es, elasticsearchUrl(), request)));
  console.log(`${started.toISOString()}: ${N} movies, ${ROUNDS} round(s), ${WARMUP} s warm-up + ${SECONDS} s per measurement${baseline ? `, baseline serve ${BASELINE_CLI}` : ''}`);
  let turn = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [q, { label }] of QUERIES.entries()) {
      const pair = pairs[q] as (typeof pairs)[number];
      const targets: Record<string, { url: string; body: string; pid: number }> = {
        direct: { url: pair.direct.url, body: pair.direct.body, pid: elasticsearchPid },
        proxy: { url: proxy.url, body: pair.direct.body, pid: proxy.pid },
        serve: { url: pair.viaFedsearch.url, body: pair.viaFedsearch.body, pid: serve.pid },
        ...(baseline ? { 'serve (baseline)': { url: pair.viaFedsearch.url.replace(serve.apiUrl, baseline.apiUrl), body: pair.viaFedsearch.body, pid: baseline.pid } } : {}),
        ...(variant && VARIANT ? { [VARIANT]: { url: pair.viaFedsearch.url.replace(serve.apiUrl, variant.apiUrl), body: pair.viaFedsearch.body, pid: variant.pid } } : {}),
      };
      for (const connections of [1, 10]) {
        const names = Object.keys(targets);
        const order = names.map((_, i) => names[(i + turn) % names.length] as string);
        turn++;
        const measured: Record<string, Measurement> = {};
        for (const name of order) {
          const { url, body, pid } = targets[name] as { url: string; body: string; pid: number };
          await closedLoopLoad(url, body, connections, WARMUP);
          // Elasticsearch's work is spread over its JVM's threads; a Node.js service's runs on its main thread.
          const preemptions = (): number => (pid === elasticsearchPid ? contextSwitchesOf(pid) : mainThreadContextSwitchesOf(pid)).involuntary;
          const [cpuBefore, preemptionsBefore] = [cpuTimesOf(pid), preemptions()];
          const machine = measureMachineCpu({ bench: [process.pid, elasticsearchPid, proxy.pid, serve.pid, ...[baseline, variant].flatMap((other) => (other ? [other.pid] : []))] });
          const loadGeneratorBefore = process.cpuUsage();
          const result = await closedLoopLoad(url, body, connections, SECONDS);
          const loadGenerator = process.cpuUsage(loadGeneratorBefore);
          const cpu = cpuTimesOf(pid);
          const window = machine();
          const perRequest = (amount: number): number => amount / Math.max(1, result.requests);
          measured[name] = {
            ...result,
            cpuMsPerRequest: perRequest(cpu.userMs + cpu.systemMs - cpuBefore.userMs - cpuBefore.systemMs),
            systemCpuMsPerRequest: perRequest(cpu.systemMs - cpuBefore.systemMs),
            preemptionsPerRequest: perRequest(preemptions() - preemptionsBefore),
            loadGeneratorCpuMsPerRequest: perRequest((loadGenerator.user + loadGenerator.system) / 1000),
            otherBusyShare: window.other,
            idleShare: window.idle,
          };
        }
        const direct = measured.direct as Measurement;
        const vsDirect = Object.fromEntries(
          Object.entries(measured)
            .filter(([name]) => name !== 'direct')
            .map(([name, m]) => [name, { reqPerSec: m.requestsPerSecond / direct.requestsPerSecond, p50: m.p50 / direct.p50, p95: m.p95 / direct.p95, p99: m.p99 / direct.p99 }]),
        );
        const row: Row = { round, query: label, connections, order, measured, vsDirect };
        rows.push(row);
        console.log(formatRow(row));
      }
    }
  }
  // The profiled processes, alone: each query at each connection count, as measured above.
  for (const [name, server] of Object.entries(profiled)) {
    for (const pair of pairs) {
      const url = pair.viaFedsearch.url.replace(serve.apiUrl, server.apiUrl);
      for (const connections of [1, 10]) {
        await closedLoopLoad(url, pair.viaFedsearch.body, connections, WARMUP);
        const [cpuBefore, preemptionsBefore] = [cpuTimesOf(server.pid), mainThreadContextSwitchesOf(server.pid).involuntary];
        const started = performance.timeOrigin + performance.now();
        const result = await closedLoopLoad(url, pair.viaFedsearch.body, connections, SECONDS);
        const cpu = cpuTimesOf(server.pid);
        const perRequest = (amount: number): string => (amount / Math.max(1, result.requests)).toFixed(3);
        console.log(
          `profiled ${name} c${connections} from ${new Date(started).toISOString()}: ${result.requestsPerSecond.toFixed(0)}/s p50 ${result.p50.toFixed(2)} ms, CPU ${perRequest(cpu.userMs + cpu.systemMs - cpuBefore.userMs - cpuBefore.systemMs)} ms/request (system ${perRequest(cpu.systemMs - cpuBefore.systemMs)}; profiler on), preemptions ${perRequest(mainThreadContextSwitchesOf(server.pid).involuntary - preemptionsBefore)}/request, failures ${result.failures}`,
        );
      }
    }
  }
} finally {
  for (const server of Object.values(profiled)) await server.stop();
  await proxy.stop();
  await serve.stop();
  await baseline?.stop();
  await variant?.stop();
  await h.dispose();
}

const summary = summarize(rows);
console.log(JSON.stringify(summary, null, 2));
writeFileSync(
  RESULTS_FILE,
  `${JSON.stringify({ date: started.toISOString(), machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? '' }, settings: { movies: N, rounds: ROUNDS, seconds: SECONDS, warmupSeconds: WARMUP, serveCli: SERVE_CLI ?? null, baselineCli: BASELINE_CLI ?? null, variantNodeOptions: VARIANT_NODE_OPTIONS, variantServeArgs: VARIANT_SERVE_ARGS, profiled: profile }, target: TARGET, queries: QUERIES, summary, rows }, null, 2)}\n`,
);
console.log(`results in ${RESULTS_FILE}${profile ? `; profiles in ${PROFILE_DIR}` : ''}`);
process.exit(0);

/** The process listening on a local TCP port (Elasticsearch's JVM), from `ss`: the one whose CPU a direct search costs. */
function pidListeningOn(port: string): number {
  const listening = execFileSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' });
  const pid = Number(/pid=(\d+)/.exec(listening)?.[1]);
  if (!Number.isInteger(pid)) throw new Error(`nothing listens on port ${port}: is Elasticsearch running (\`node cli/fedsearch.js stack up\`)?`);
  return pid;
}

function formatRow(row: Row): string {
  const f = (n: number, digits = 2): string => n.toFixed(digits);
  const lines = [`round ${row.round} ${row.query} c${row.connections} (order ${row.order.join(' → ')})`];
  for (const [name, m] of Object.entries(row.measured)) {
    const ratio = row.vsDirect[name];
    lines.push(
      `  ${name.padEnd(17)} ${f(m.requestsPerSecond, 0).padStart(5)}/s p50 ${f(m.p50)} p95 ${f(m.p95)} p99 ${f(m.p99)} ms | CPU ${f(m.cpuMsPerRequest, 3)} ms/request (system ${f(m.systemCpuMsPerRequest, 3)}), ${f(m.preemptionsPerRequest, 2)} preemptions/request | load generator ${f(m.loadGeneratorCpuMsPerRequest, 3)} ms/request | others busy ${f(100 * m.otherBusyShare, 0)}%, idle ${f(100 * m.idleShare, 0)}% | ${f(m.bytesPerResponse / 1024, 1)} KiB` +
        (ratio ? ` | vs direct: req/s ${f(ratio.reqPerSec)} p50 ${f(ratio.p50)}× p95 ${f(ratio.p95)}× p99 ${f(ratio.p99)}×` : '') +
        (m.failures ? ` | FAILURES ${m.failures}` : ''),
    );
  }
  return lines.join('\n');
}

/** Per target, query and connections: the range over the rounds of each ratio and of the CPU per request; whether the target held in every round. */
function summarize(all: Row[]) {
  const cells = new Map<string, Row[]>();
  for (const row of all) cells.set(`${row.query} c${row.connections}`, [...(cells.get(`${row.query} c${row.connections}`) ?? []), row]);
  const range = (values: number[]) => ({ min: Math.min(...values), median: [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)] as number, max: Math.max(...values) });
  const byCell = Object.fromEntries(
    [...cells].map(([cell, cellRows]) => [
      cell,
      Object.fromEntries(
        Object.keys(cellRows[0]?.measured ?? {}).map((name) => [
          name,
          {
            cpuMsPerRequest: range(cellRows.map((r) => (r.measured[name] as Measurement).cpuMsPerRequest)),
            p50Ms: range(cellRows.map((r) => (r.measured[name] as Measurement).p50)),
            ...(name === 'direct'
              ? { requestsPerSecond: range(cellRows.map((r) => (r.measured[name] as Measurement).requestsPerSecond)) }
              : {
                  reqPerSecVsDirect: range(cellRows.map((r) => r.vsDirect[name]?.reqPerSec ?? Number.NaN)),
                  p50VsDirect: range(cellRows.map((r) => r.vsDirect[name]?.p50 ?? Number.NaN)),
                  p95VsDirect: range(cellRows.map((r) => r.vsDirect[name]?.p95 ?? Number.NaN)),
                  p99VsDirect: range(cellRows.map((r) => r.vsDirect[name]?.p99 ?? Number.NaN)),
                }),
          },
        ]),
      ),
    ]),
  );
  const targetMet = (name: string) => all.every((r) => (r.vsDirect[name]?.reqPerSec ?? 0) >= TARGET.reqPerSecRatio && (r.vsDirect[name]?.p50 ?? Infinity) <= TARGET.p50Ratio);
  const misses = (name: string) => all.filter((r) => !((r.vsDirect[name]?.reqPerSec ?? 0) >= TARGET.reqPerSecRatio && (r.vsDirect[name]?.p50 ?? Infinity) <= TARGET.p50Ratio)).map((r) => `round ${r.round} ${r.query} c${r.connections}`);
  const names = Object.keys(all[0]?.measured ?? {}).filter((name) => name !== 'direct');
  return {
    byCell,
    targetMetInEveryMeasurement: Object.fromEntries(names.map((name) => [name, targetMet(name)])),
    misses: Object.fromEntries(names.map((name) => [name, misses(name)])),
    failures: all.reduce((sum, r) => sum + Object.values(r.measured).reduce((s, m) => s + m.failures, 0), 0),
  };
}
