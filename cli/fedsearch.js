#!/usr/bin/env node
// The `fedsearch` executable. It runs the compiled CLI in dist/ (`npm run build`; what an installed
// package ships), which starts in a fraction of a second. In a clone whose TypeScript is newer than
// that build — or that was never built — it runs the sources through tsx instead, so an edit is
// never hidden behind a stale build (a terminal is told; FEDSEARCH_RUN_FROM=dist|sources forces
// either). The product's logic lives in src/, the commands in cli/main.ts,
// the local development stack (a clone's only) in stack/.
import { existsSync, readdirSync, statSync } from 'node:fs';

const here = new URL('./', import.meta.url);
const stamp = new URL('../dist/build-stamp', here);

/** The newest modification time among the TypeScript sources and their folders (a deletion touches its folder). */
function newestSource() {
  let newest = 0;
  const walk = (folder) => {
    if (!existsSync(folder)) return;
    newest = Math.max(newest, statSync(folder).mtimeMs);
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'target') walk(new URL(`${entry.name}/`, folder));
      } else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(new URL(entry.name, folder)).mtimeMs);
    }
  };
  for (const folder of ['../src/', '../cli/', '../subgraphs/', '../stack/']) walk(new URL(folder, here));
  return newest;
}

// An installed package ships no TypeScript (and npm gives every file the same old mtime): dist/ it is.
// FEDSEARCH_RUN_FROM=dist or =sources overrides the choice in a clone; without it, a terminal is
// told when the sources are run, so a slow start-up is never a mystery.
const installed = !existsSync(new URL('./main.ts', here));
const forced = process.env.FEDSEARCH_RUN_FROM;
if (forced !== undefined && forced !== 'dist' && forced !== 'sources') {
  process.stderr.write(`fedsearch: FEDSEARCH_RUN_FROM must be 'dist' or 'sources', not '${forced}'\n`);
  process.exit(2);
}
const buildIsFresh = existsSync(stamp) && statSync(stamp).mtimeMs >= newestSource();
if (installed || forced === 'dist' || (forced === undefined && buildIsFresh)) {
  // Stack traces name the TypeScript lines (dist/ carries source maps).
  process.setSourceMapsEnabled(true);
  await import(new URL('../dist/cli/main.js', here).href);
} else {
  if (forced === undefined && process.stderr.isTTY) {
    const why = existsSync(stamp) ? 'dist/ is older than them' : 'there is no build';
    process.stderr.write(`fedsearch: running from the TypeScript sources (${why}; \`npm run build\` makes start-up fast again)\n`);
  }
  const { register } = await import('tsx/esm/api');
  register();
  await import('./main.ts');
}
