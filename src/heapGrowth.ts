import { setFlagsFromString } from 'node:v8';
import { UserError } from './errors.ts';

/**
 * How far V8 lets the old generation grow past what survived the last full collection, in percent.
 * V8 picks a factor between 1.1 and 4 from its GC and allocation speeds; an indexer allocates fast
 * and keeps little (a live heap near 40 MiB), so V8 let the heap reach about 105 MiB between full
 * collections and a `fedsearch run` peaked at 217–226 MiB of RSS. Doubling at most, it peaked at
 * 183–196 MiB for about 2% more CPU per document, inside the run-to-run spread (50% gives 170–176
 * MiB at 12% more); bench/profileIndexer.ts, interleaved runs, README "Measured".
 */
export const DEFAULT_HEAP_GROWING_PERCENT = 100;

/** FEDSEARCH_HEAP_GROWING_PERCENT: a whole number of percent (default 100); 0 leaves the growth to V8. */
export function heapGrowingPercent(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.FEDSEARCH_HEAP_GROWING_PERCENT;
  if (text === undefined || text === '') return DEFAULT_HEAP_GROWING_PERCENT;
  if (!/^\d+$/.test(text)) throw new UserError(`FEDSEARCH_HEAP_GROWING_PERCENT must be a whole number of percent (0 leaves it to V8), not "${text}"`);
  return Number(text);
}

/**
 * Caps V8's old-generation growth for this process with `--heap-growing-percent`, which V8 reads
 * at every full collection, so setting it once running takes effect (NODE_OPTIONS does not accept
 * it). Left alone when the node command line gives it or the percent is 0. Returns the percent set.
 */
export function limitHeapGrowth(percent: number, execArgv: readonly string[] = process.execArgv): number | null {
  if (percent === 0 || execArgv.some((arg) => /^--heap[-_]growing[-_]percent\b/.test(arg))) return null;
  setFlagsFromString(`--heap-growing-percent=${percent}`);
  return percent;
}
