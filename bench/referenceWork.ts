import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { stopChild } from './childProcesses.ts';

/**
 * A fixed piece of work — JSON in and out of a document-like object, the indexer's commonest kind —
 * done every 50 ms in a process of its own, each time timed in CPU (user + system) by
 * process.cpuUsage. The same work costing more CPU under one load than under another shows that
 * the machine itself runs slower then (caches shared with busier neighbours, the hypervisor), which
 * no change to fedsearch would remove. Its own load is about 7 ms of CPU every 50 ms (a seventh of a
 * core), so bench/run.ts does not run it; bench/profileScaleOut.ts does, beside every run it compares.
 */
const UNIT = `
const movie = (i) => ({ movieId: 'mov-' + i, title: 'Title ' + i, year: 1990 + (i % 30), genres: ['drama', 'comedy'],
  cast: Array.from({ length: 12 }, (_, c) => ({ role: 'Role ' + c, talent: { talentId: 'tal-' + (i * 7 + c), name: 'Name ' + c + ' ' + i } })) });
const text = JSON.stringify({ data: Object.fromEntries(Array.from({ length: 25 }, (_, i) => ['e' + i, movie(i)])) });
const unit = () => { let n = 0; for (let r = 0; r < 20; r++) n += JSON.stringify(JSON.parse(text)).length; return n; };
for (let w = 0; w < 200; w++) unit();
const tick = () => {
  const before = process.cpuUsage();
  unit();
  const used = process.cpuUsage(before);
  process.stdout.write(((used.user + used.system) / 1000).toFixed(3) + '\\n');
};
console.log('ready');
setInterval(tick, 50);
`;

export interface ReferenceWork {
  /** Starts keeping the units' CPU from now on (the ones before are dropped). */
  start(): void;
  /** The median CPU ms of the units since start(), and how many there were; the process stops. */
  stop(): Promise<{ medianCpuMs: number; units: number }>;
}

export async function startReferenceWork(): Promise<ReferenceWork> {
  const child = spawn(process.execPath, ['-e', UNIT], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  let kept: number[] | null = null;
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the reference work exited with ${code}`)));
    lines.on('line', (line) => {
      if (line === 'ready') resolve();
      else kept?.push(Number(line));
    });
  });
  return {
    start: () => void (kept = []),
    async stop() {
      const units = [...(kept ?? [])].sort((a, b) => a - b);
      await stopChild(child);
      return { medianCpuMs: units[Math.floor(units.length / 2)] ?? Number.NaN, units: units.length };
    },
  };
}
