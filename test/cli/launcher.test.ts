import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

async function launch(env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  const { NODE_ENV: _, ...userEnv } = process.env;
  try {
    const { stdout, stderr } = await run(process.execPath, [join(root, 'cli/fedsearch.js'), '--help'], { env: { ...userEnv, ...env }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    return error as { code: number; stdout: string; stderr: string };
  }
}

// cli/fedsearch.js chooses between dist/ and the TypeScript sources; the choice can be forced.
describe('the fedsearch launcher', { timeout: 60_000 }, () => {
  it('runs from the sources or from dist/ when FEDSEARCH_RUN_FROM says so', async () => {
    for (const from of ['sources', 'dist']) {
      const started = await launch({ FEDSEARCH_RUN_FROM: from });
      expect(started.code, started.stderr).toBe(0);
      expect(started.stdout).toMatch(/^Usage: fedsearch /);
    }
  });

  it('refuses any other FEDSEARCH_RUN_FROM, naming the two it takes', async () => {
    expect(await launch({ FEDSEARCH_RUN_FROM: 'src' })).toMatchObject({
      code: 2,
      stdout: '',
      stderr: "fedsearch: FEDSEARCH_RUN_FROM must be 'dist' or 'sources', not 'src'\n",
    });
  });
});
