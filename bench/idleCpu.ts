// What an idle `fedsearch run` costs: two processes side by side over two provisioned indexes with
// no events, one with kafkajs as released (FEDSEARCH_KAFKAJS_IDLE_FIX=off: its request queues
// re-arm a 1 ms timer on every broker connection) and one with the fix (src/clients/kafkajsIdleLoop.ts).
// After both have joined their groups and settled, CPU (user + system, from /proc) is sampled over
// ROUNDS windows of SECONDS each; prints ms of CPU per second for each, percentiles and the ratio.
//   ROUNDS=6 SECONDS=10 npx tsx bench/idleCpu.ts
import { setTimeout as sleep } from 'node:timers/promises';
import { elasticsearchUrl } from '../stack/elasticsearchService.ts';
import { kafkaBrokers } from '../stack/kafkaService.ts';
import { createIndexHarness } from '../support/indexHarness.ts';
import { startIndexerProcess } from './indexerProcesses.ts';
import { percentile } from './percentile.ts';
import { cpuMsOf } from './processStats.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 6);
const SECONDS = Number(process.env.SECONDS ?? 10);
const harness = () => createIndexHarness({ elasticsearchUrl: elasticsearchUrl(), kafkaBrokers: kafkaBrokers(), movies: 100, pipelineSettings: '  retries: 5\n' });
const released = await harness();
const fixed = await harness();
const children = [await startIndexerProcess(released, { FEDSEARCH_KAFKAJS_IDLE_FIX: 'off' }), await startIndexerProcess(fixed)];
try {
  await sleep(10_000); // start-up's JIT and GC settle
  const samples: number[][] = [[], []];
  for (let round = 0; round < ROUNDS; round++) {
    const before = children.map((child) => cpuMsOf(child.pid));
    await sleep(SECONDS * 1000);
    children.forEach((child, n) => samples[n]?.push((cpuMsOf(child.pid) - (before[n] as number)) / SECONDS));
  }
  const describe = (values: number[]): string => `p50 ${percentile(values, 50).toFixed(1)}, p90 ${percentile(values, 90).toFixed(1)} ms/s`;
  const [asReleased = [], withFix = []] = samples.map((values) => [...values].sort((a, b) => a - b));
  console.log(`idle \`fedsearch run\`, ${ROUNDS} windows of ${SECONDS} s (${new Date().toISOString().slice(0, 10)}):`);
  console.log(`  kafkajs as released: ${describe(asReleased)}`);
  console.log(`  with the fix:        ${describe(withFix)}`);
  console.log(`  ratio (p50): ${(percentile(withFix, 50) / percentile(asReleased, 50)).toFixed(2)}`);
} finally {
  for (const child of children) await child.stop();
  await released.dispose();
  await fixed.dispose();
}
process.exit(0);
