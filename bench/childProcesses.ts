import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Set for a bench server started by startBenchServer: its stdin is the bench's pipe. */
const EXIT_WITH_STDIN = 'FEDSEARCH_BENCH_EXIT_WITH_STDIN';

/** SIGTERM, then its exit; nothing when it has exited already. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

export interface BenchServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * A server script of bench/ (run by tsx) in a process of its own, so it does not share the bench's
 * event loop. The script prints its URL as its first line once it listens, and exits when its
 * stdin closes (exitWithParent): a bench that dies without stopping it leaves nothing behind.
 */
export async function startBenchServer(script: string, args: string[], what: string, nodeOptions: string[] = []): Promise<BenchServer> {
  const child = spawn(process.execPath, [...nodeOptions, '--import', 'tsx', new URL(script, import.meta.url).pathname, ...args], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, [EXIT_WITH_STDIN]: '1' } });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code}`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', resolve);
  });
  return { url, pid: child.pid as number, stop: () => endByStdin(child) };
}

/** Closes the child's stdin so it exits by itself (process.exit: a --cpu-prof profile is written), SIGTERM if it has not within 5 s. */
async function endByStdin(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.stdin?.end();
  const timer = setTimeout(() => child.kill('SIGTERM'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** Node/V8 options for a child process from an environment variable (e.g. NODE_ARGS=--single-threaded-gc), split at spaces. */
export function nodeArgsFrom(variable: string): string[] {
  return process.env[variable]?.split(' ').filter(Boolean) ?? [];
}

/** In a bench server started by startBenchServer: exit when the bench is gone (its end of stdin closes). Started by hand, it does nothing. */
export function exitWithParent(): void {
  if (process.env[EXIT_WITH_STDIN] !== '1') return;
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}
