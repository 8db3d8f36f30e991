import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

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
 * event loop. The script prints its URL as its first line once it listens.
 */
export async function startBenchServer(script: string, args: string[], what: string): Promise<BenchServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL(script, import.meta.url).pathname, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code}`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', resolve);
  });
  return { url, pid: child.pid as number, stop: () => stopChild(child) };
}
