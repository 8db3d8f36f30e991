// fedsearch as a user installs it: `npm pack` (which builds dist/), the tarball installed into an
// empty folder without dev dependencies, and the `fedsearch` bin run from there — compiled code,
// no TypeScript toolchain. It needs no services, but npm and a build take tens of seconds, so it
// runs with the integration files.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

/** The process environment as a shell has it: NODE_ENV unset (vitest sets it to `test`). */
function userEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_ENV;
  return env;
}

async function fedsearch(bin: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { cwd, env: userEnv(), timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('the installed package', () => {
  it('packs compiled code only and no development stack, installs without dev dependencies, and its bin answers --help and validate', async () => {
    const work = mkdtempSync(join(tmpdir(), 'fedsearch-package-'));
    const packed = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, env: userEnv(), maxBuffer: 64 * 1024 * 1024 });
    const [manifest] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
    if (!manifest) throw new Error('npm pack printed no manifest');
    const files = manifest.files.map((file) => file.path);
    expect(files).toContain('cli/fedsearch.js');
    expect(files).toContain('dist/cli/main.js');
    expect(files).toContain('dist/cli/main.js.map');
    // What the code reads at run time travels with it.
    expect(files).toContain('dist/src/search/searchPage.html');
    // The local development stack (stack/) is a clone's, not the product's: none of it ships.
    expect(files).toContain('dist/cli/stackCommands.js');
    expect(files.filter((file) => /^(dist\/)?stack\//.test(file))).toEqual([]);
    expect(files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);

    const app = join(work, 'app');
    await run('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), '{ "name": "an-app", "private": true }\n');
    await run('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', join(work, manifest.filename)], { cwd: app, env: userEnv(), maxBuffer: 64 * 1024 * 1024 });
    for (const devOnly of ['typescript', 'tsx', 'vitest']) expect(existsSync(join(app, 'node_modules', devOnly)), devOnly).toBe(false);

    const bin = join(app, 'node_modules', '.bin', 'fedsearch');
    const help = await fedsearch(bin, ['--help'], app);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: fedsearch \[options\] \[command\]/);
    expect(help.stdout).toContain('validate [options] <config>');

    copyFileSync(join(root, 'subgraphs/shop/supergraph.graphql'), join(app, 'shop.graphql'));
    writeFileSync(join(app, 'catalog.yaml'), readFileSync(join(root, 'index-configs/shop-catalog.yaml'), 'utf8').replace('../subgraphs/shop/supergraph.graphql', 'shop.graphql'));
    expect(await fedsearch(bin, ['validate', 'catalog.yaml'], app)).toEqual({
      code: 0,
      stdout: 'catalog.yaml: ok — index shop-catalog, 14 fields (nested: items), 4 event sources\n',
      stderr: '',
    });
    const broken = await fedsearch(bin, ['validate', 'missing.yaml'], app);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('missing.yaml');

    // The commands that run the development stack say where they work instead of crashing.
    for (const command of [['stack', 'status'], ['demo']]) {
      const devOnly = await fedsearch(bin, command, app);
      expect(devOnly.code, devOnly.stderr).toBe(2);
      expect(devOnly.stdout).toBe('');
      expect(devOnly.stderr).toMatch(
        new RegExp(`^fedsearch: \`fedsearch ${command[0]}\` runs the local development stack, which only a clone of the fedsearch repository has .*\n$`),
      );
    }
  }, 300_000);
});
