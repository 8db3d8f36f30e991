import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';

const cli = new URL('../../cli/fedsearch.js', import.meta.url).pathname;

/**
 * `fedsearch <args>` as a person runs it from a terminal: NODE_ENV unset (vitest sets it to
 * `test`, and Apollo Server changes its signal handling and error responses on it), in a process
 * group of its own so the test can signal the group the way a terminal's Ctrl-C does.
 */
export function spawnCliAsUser(args: string[], options: { env?: Record<string, string>; stdio?: StdioOptions } = {}): ChildProcess {
  const { NODE_ENV: _vitestSetsThis, ...environment } = process.env;
  return spawn(process.execPath, [cli, ...args], {
    env: { ...environment, ...options.env },
    stdio: options.stdio ?? ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
}

/** Ctrl-C as a terminal sends it: SIGINT to the whole process group. */
export function pressCtrlC(child: ChildProcess): void {
  if (child.pid === undefined) throw new Error('the process did not start');
  process.kill(-child.pid, 'SIGINT');
}

/** Resolves with the exit code (null when a signal ended it) and the signal. */
export function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** `fedsearch <args>` run to its end as a person runs it: its exit code and everything it printed. */
export async function runCliAsUser(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnCliAsUser(args, { env });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const { code } = await exitOf(child);
  return { code, stdout, stderr };
}
