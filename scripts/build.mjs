// `npm run build`: compiles src/, cli/, subgraphs/ and stack/ into dist/ (tsc, source maps, `.ts`
// import specifiers rewritten to `.js`), copies beside them the files the code reads at run time
// (the search page, the demo graphs' SDL, the demo's config, the local stack's Maven projects), and
// stamps the build so cli/fedsearch.js can tell a stale dist/ from a fresh one. dist/stack/ serves
// a clone only: package.json's `files` keeps it out of the published package.
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
for (const folder of ['src', 'subgraphs', 'stack']) {
  cpSync(join(root, folder), join(dist, folder), {
    recursive: true,
    filter: (source) => !source.endsWith('.ts') && !source.split('/').includes('target'),
  });
}
cpSync(join(root, 'index-configs'), join(dist, 'index-configs'), { recursive: true });
writeFileSync(join(dist, 'build-stamp'), `${new Date().toISOString()}\n`);
