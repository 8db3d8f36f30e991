import { describe, expect, it } from 'vitest';
import { runModuleScript } from './support/moduleScript.ts';

const interruption = new URL('../src/interruption.ts', import.meta.url).pathname;

/** A process whose clean stop takes `stopMs` (never, when null), given `seconds` to finish it. */
function stopping(stopMs: number | null, seconds: number): { status: number | null; stderr: string } {
  const script = `
import { stopWithin } from ${JSON.stringify(interruption)};
const keepAlive = setInterval(() => {}, 1_000);
const stop = ${stopMs === null ? 'new Promise(() => {})' : `new Promise((resolve) => setTimeout(resolve, ${stopMs}))`};
await stopWithin(stop, ${seconds}, 'movies: the pipeline');
clearInterval(keepAlive);
process.stderr.write('stopped cleanly');
`;
  const { status, stderr } = runModuleScript(script);
  return { status, stderr };
}

describe('stopWithin', () => {
  it('lets a stop that finishes in time end the process normally', () => {
    const { status, stderr } = stopping(200, 5);
    expect(status).toBe(0);
    expect(stderr).toContain('stopped cleanly');
  });

  it('exits 2 past the deadline, saying what did not stop and that nothing is lost', () => {
    const { status, stderr } = stopping(null, 1);
    expect(status).toBe(2);
    expect(stderr).toContain('movies: the pipeline did not stop within 1s');
    expect(stderr).toContain('read again at the next start');
    expect(stderr).not.toContain('stopped cleanly');
  });
});
