import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on Linux everywhere that matters). */
export const TICKS_PER_SECOND = 100;

/** User + system CPU a process has used so far, ms (/proc/<pid>/stat utime + stime). */
export function cpuMsOf(pid: number): number {
  return cpuMsOfStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

/** User and system CPU a process has used so far, ms each (/proc/<pid>/stat utime, stime). */
export function cpuTimesOf(pid: number): { userMs: number; systemMs: number } {
  return cpuTimesOfStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

/** utime + stime of a /proc `stat` line (a process's or a thread's), ms. */
function cpuMsOfStat(stat: string): number {
  const { userMs, systemMs } = cpuTimesOfStat(stat);
  return userMs + systemMs;
}

function cpuTimesOfStat(stat: string): { userMs: number; systemMs: number } {
  // The command name (field 2) may hold spaces: count fields from the ')' that closes it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { userMs: (Number(fields[11]) * 1000) / TICKS_PER_SECOND, systemMs: (Number(fields[12]) * 1000) / TICKS_PER_SECOND };
}

/** VmHWM from /proc: the most memory the process has held at once, MiB. */
export function peakRssMiBOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN);
  return kib / 1024;
}

/** User + system CPU the main thread of a process (the event loop, not V8's helper threads) has used so far, ms. */
export function mainThreadCpuMsOf(pid: number): number {
  return cpuMsOfStat(readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8'));
}

/** Context switches of all a process's threads so far (/proc/<pid>/task/<tid>/status): waits it chose (voluntary) and preemptions (involuntary). */
export function contextSwitchesOf(pid: number): { voluntary: number; involuntary: number } {
  return contextSwitchesOfThreads(pid, readdirSync(`/proc/${pid}/task`));
}

/** contextSwitchesOf the main thread alone (the event loop of a Node.js process). */
export function mainThreadContextSwitchesOf(pid: number): { voluntary: number; involuntary: number } {
  return contextSwitchesOfThreads(pid, [String(pid)]);
}

function contextSwitchesOfThreads(pid: number, tids: readonly string[]): { voluntary: number; involuntary: number } {
  let voluntary = 0;
  let involuntary = 0;
  for (const tid of tids) {
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
    } catch {
      continue; // a thread that ended meanwhile
    }
    voluntary += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    involuntary += Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  }
  return { voluntary, involuntary };
}
