import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { IndexHarness } from '../../support/indexHarness.ts';
import { eventually } from '../../support/indexHarness.ts';

const cli = new URL('../../cli/fedsearch.js', import.meta.url).pathname;
const run = promisify(execFile);

export interface CliAudit {
  code: number;
  stdout: string;
  stderr: string;
}

/** `fedsearch audit <config> --full` (or other options), as a user runs it, in a child process. */
export async function fedsearchAudit(h: IndexHarness, options: string[] = ['--full']): Promise<CliAudit> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, 'audit', h.configFile, ...options], {
      env: { ...process.env, ...h.env, FEDSEARCH_LOG_LEVEL: 'warn' },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/**
 * Waits (the pipeline may still be catching up after a fault) until `fedsearch audit --full`
 * exits 0, and returns its report, which says zero missing, zero extra and zero stale.
 */
export async function auditEventuallyClean(h: IndexHarness, timeoutMs = 120_000): Promise<string> {
  let last: CliAudit | undefined;
  try {
    return await eventually(
      'a clean `fedsearch audit --full`',
      async () => {
        last = await fedsearchAudit(h);
        return last.code === 0 ? last.stdout : undefined;
      },
      timeoutMs,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; last audit (exit ${last?.code}):\n${last?.stdout}${last?.stderr}`);
  }
}

/** The lines a clean full audit prints. */
export const CLEAN_AUDIT = [/missing 0\n/, /extra {3}0\n/, /stale {3}0 of \d+ compared\n/];
