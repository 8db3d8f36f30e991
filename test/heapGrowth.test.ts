import { describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.ts';
import { DEFAULT_HEAP_GROWING_PERCENT, heapGrowingPercent, limitHeapGrowth } from '../src/heapGrowth.ts';
import { runModuleScript } from './support/moduleScript.ts';

// A process that allocates fast and keeps a little, as an indexer does, set up the way the CLI
// sets itself up; prints the largest heap V8 let it have.
const CHURN = `
import { heapGrowingPercent, limitHeapGrowth } from ${JSON.stringify(new URL('../src/heapGrowth.ts', import.meta.url).pathname)};
limitHeapGrowth(heapGrowingPercent());
const kept = [];
let peak = 0;
for (let i = 0; i < 2_000_000; i++) {
  kept.push({ id: i, title: 'movie ' + i, cast: [i, i + 1, { name: 'n' + i }] });
  if (kept.length > 150_000) kept.splice(0, 75_000);
  if (i % 5_000 === 0) peak = Math.max(peak, process.memoryUsage().heapTotal);
}
process.stdout.write(String(peak / 2 ** 20));
`;

function peakHeapMiB(env: NodeJS.ProcessEnv): number {
  const child = runModuleScript(CHURN, env);
  expect(child.status, child.stderr).toBe(0);
  return Number(child.stdout);
}

describe('heap growth', () => {
  it('defaults to 100% and takes FEDSEARCH_HEAP_GROWING_PERCENT, 0 meaning V8 decides', () => {
    expect(heapGrowingPercent({})).toBe(DEFAULT_HEAP_GROWING_PERCENT);
    expect(heapGrowingPercent({ FEDSEARCH_HEAP_GROWING_PERCENT: '80' })).toBe(80);
    expect(heapGrowingPercent({ FEDSEARCH_HEAP_GROWING_PERCENT: '0' })).toBe(0);
  });

  it('refuses a value that is not a whole percent, naming the variable', () => {
    expect(() => heapGrowingPercent({ FEDSEARCH_HEAP_GROWING_PERCENT: '50%' })).toThrow(UserError);
    expect(() => heapGrowingPercent({ FEDSEARCH_HEAP_GROWING_PERCENT: '-5' })).toThrow(/FEDSEARCH_HEAP_GROWING_PERCENT.*"-5"/);
  });

  it('leaves the growth alone at 0 or when node was started with its own --heap-growing-percent', () => {
    expect(limitHeapGrowth(0)).toBeNull();
    expect(limitHeapGrowth(50, ['--heap-growing-percent=200'])).toBeNull();
    expect(limitHeapGrowth(50, ['--heap_growing_percent=200'])).toBeNull();
  });

  // V8's own factor moves with its GC and allocation speeds (a busy machine changes both), so
  // this checks that the setting takes effect in a running process with a tight limit, not the
  // default's margin.
  it('keeps the heap of a fast-allocating process well below what V8 lets it grow to', () => {
    const limited = peakHeapMiB({ FEDSEARCH_HEAP_GROWING_PERCENT: '10' });
    const unlimited = peakHeapMiB({ FEDSEARCH_HEAP_GROWING_PERCENT: '0' });
    expect(limited, `peak heap ${limited} MiB limited, ${unlimited} MiB as V8 chose`).toBeLessThan(unlimited * 0.75);
  }, 60_000);
});
