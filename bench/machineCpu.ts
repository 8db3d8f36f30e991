import { readFileSync } from 'node:fs';
import { cpuMsOf, TICKS_PER_SECOND } from './processStats.ts';

/** Where a machine's CPU went over a window: each named process's share, the rest, and idle (fractions of all cores' time). */
export interface MachineCpu {
  /** Cores × seconds the window spanned. */
  coreSeconds: number;
  shares: Record<string, number>;
  /** Busy time not accounted to a named process (the kernel, other processes). */
  other: number;
  idle: number;
}

/** All cores' busy and idle time so far, ms (/proc/stat's first line; iowait counts as idle). */
function machineMs(): { busy: number; idle: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  const toMs = (ticks: number): number => (ticks * 1000) / TICKS_PER_SECOND;
  return { busy: toMs(user + nice + system + irq + softirq + steal), idle: toMs(idle + iowait) };
}

/**
 * Starts measuring: call the result when the window ends. Processes are named by pid groups (a
 * name may cover several processes, e.g. two `fedsearch run`); a process gone before the end
 * counts for nothing, not knowing what it used in the window.
 */
export function measureMachineCpu(processes: Record<string, readonly number[]>): () => MachineCpu {
  const cpuOrNull = (pid: number): number | null => {
    try {
      return cpuMsOf(pid);
    } catch {
      return null;
    }
  };
  const startOf = new Map(Object.values(processes).flat().map((pid) => [pid, cpuOrNull(pid)]));
  const usedSinceStart = (pid: number): number => {
    const [start, end] = [startOf.get(pid) ?? null, cpuOrNull(pid)];
    return start === null || end === null ? 0 : end - start;
  };
  const before = machineMs();
  return () => {
    const after = machineMs();
    const total = after.busy - before.busy + (after.idle - before.idle);
    const shares: Record<string, number> = {};
    let named = 0;
    for (const [name, pids] of Object.entries(processes)) {
      const used = pids.reduce((sum, pid) => sum + usedSinceStart(pid), 0);
      shares[name] = used / total;
      named += used;
    }
    return { coreSeconds: total / 1000, shares, other: Math.max(0, after.busy - before.busy - named) / total, idle: (after.idle - before.idle) / total };
  };
}

/** `fedsearch 31%, Elasticsearch 42%, …, idle 3%` (of all cores' time). */
export function describeMachineCpu(cpu: MachineCpu): string {
  const percent = (fraction: number): string => `${Math.round(fraction * 100)}%`;
  return [...Object.entries(cpu.shares).map(([name, share]) => `${name} ${percent(share)}`), `other ${percent(cpu.other)}`, `idle ${percent(cpu.idle)}`].join(', ');
}
