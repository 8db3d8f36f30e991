import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAlive, liveOwnedPid, stopProcess } from '../../stack/processControl.ts';

describe('process control', () => {
  it('only claims a PID from a PID file when the process carries our marker', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fedsearch-pid-'));
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', '--', '-Dfedsearch.service=probe']);
    const pidFile = join(dir, 'probe.pid');
    writeFileSync(pidFile, `${child.pid}\n`);
    try {
      expect(liveOwnedPid(pidFile, '-Dfedsearch.service=probe')).toBe(child.pid);
      // A stale PID file naming someone else's process must never be signalled.
      expect(liveOwnedPid(pidFile, '-Dfedsearch.service=kafka')).toBeUndefined();
    } finally {
      expect(await stopProcess(child.pid as number, 5_000)).toBe('terminated');
    }
    expect(isAlive(child.pid as number)).toBe(false);
    expect(liveOwnedPid(pidFile, '-Dfedsearch.service=probe')).toBeUndefined();
  });

  it('kills a process that ignores SIGTERM after the grace period', async () => {
    const child = spawn(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000); console.log("ignoring SIGTERM")']);
    // Signalled only once its handler is in place (a busy machine may take longer than any fixed wait to start it).
    await new Promise((resolve) => child.stdout.once('data', resolve));
    expect(await stopProcess(child.pid as number, 500)).toBe('killed');
  });
});
