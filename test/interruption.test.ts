import { describe, expect, it } from 'vitest';
import { handleInterrupts, interruption, InterruptedError } from '../src/interruption.ts';

describe('work cut short by a signal', () => {
  it('exits as a shell reports the signal (143 after SIGTERM), so `apply && deploy` stops there', () => {
    const said: string[] = [];
    const before = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };
    handleInterrupts((line) => void said.push(line));
    process.emit('SIGTERM', 'SIGTERM');
    // The test's worker must still end when its pool stops it.
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      for (const listener of process.listeners(signal)) if (!before[signal].includes(listener)) process.off(signal, listener);
    }
    expect(said).toEqual(['SIGTERM: stopping cleanly… (press Ctrl-C again to stop at once)']);
    expect(interruption.reason).toBe('SIGTERM');
    expect(new InterruptedError('backfill of movies stopped after 500 entities').exitCode).toBe(143);
    // The demo: stopping is how it ends.
    expect(new InterruptedError('demo stopped', { workLeft: false }).exitCode).toBe(0);
  });
});
