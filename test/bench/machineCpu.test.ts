import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { describeMachineCpu, measureMachineCpu } from '../../bench/machineCpu.ts';

describe('measureMachineCpu', () => {
  it('charges a busy process with its share of the cores and accounts for all of their time', async () => {
    const busy = spawn(process.execPath, ['-e', 'const end = Date.now() + 5000; while (Date.now() < end);'], { stdio: 'ignore' });
    const sleeping = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 5000)'], { stdio: 'ignore' });
    // Busy when the window opens, gone before it closes: what it used is unknown, so nothing.
    const ended = spawn(process.execPath, ['-e', 'const end = Date.now() + 500; while (Date.now() < end);'], { stdio: 'ignore' });
    try {
      await sleep(200);
      const stop = measureMachineCpu({ busy: [busy.pid as number], sleeping: [sleeping.pid as number], gone: [2 ** 22 + 1], ended: [ended.pid as number] });
      await sleep(1_000);
      const cpu = stop();
      // Shares, not thresholds: on a loaded shared machine the busy loop may get little of a core,
      // but always more than a sleeping process, which gets next to nothing.
      expect(cpu.shares.busy).toBeGreaterThan(0);
      expect(cpu.shares.busy).toBeGreaterThan((cpu.shares.sleeping ?? 0) * 4);
      expect(cpu.shares.sleeping).toBeLessThan(0.05);
      expect(cpu.shares.gone).toBe(0);
      expect(ended.exitCode, 'the short-lived process ended within the window').toBe(0);
      expect(cpu.shares.ended).toBe(0);
      const sum = Object.values(cpu.shares).reduce((a, b) => a + b, 0) + cpu.other + cpu.idle;
      expect(sum).toBeCloseTo(1, 1);
      expect(describeMachineCpu(cpu)).toMatch(/^busy \d+%, sleeping \d+%, gone 0%, ended 0%, other \d+%, idle \d+%$/);
    } finally {
      busy.kill();
      sleeping.kill();
    }
  });
});
