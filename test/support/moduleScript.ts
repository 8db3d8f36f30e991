import { spawnSync } from 'node:child_process';

/**
 * An ES module script, TypeScript imports allowed (tsx), run to its end in a process of its own:
 * for behaviour that only shows in a fresh process (V8 flags, process.exit). Gives the exit status
 * and both outputs.
 */
export function runModuleScript(script: string, env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 });
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}
