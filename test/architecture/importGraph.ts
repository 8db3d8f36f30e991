import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The folders of src/, lowest layer first. A file may import from its own folder and from folders
 * of lower layers only; folders on one line are peers and import neither each other nor anything
 * above. `(root)` is src/'s own files (errors, logger, suggestions, valueAt), used by every layer.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['(root)'],
  ['config'],
  ['clients'],
  ['graph'],
  ['index'],
  ['generate'],
  ['provision'],
  ['pipeline'],
  ['backfill'],
  ['audit'],
  ['search', 'stack'],
  ['demo'],
];

/** One relative import: `from` imports `to` (both paths relative to the repository root). */
export interface ImportEdge {
  from: string;
  to: string;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

/** Every relative import of the .ts files under `dir` (recursively), as repository paths. */
export function importEdges(root: string, dir: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const path of tsFiles(root, dir)) {
    const text = readFileSync(join(root, path), 'utf8');
    for (const match of text.matchAll(IMPORT)) {
      const specifier = match[1] ?? match[2];
      if (specifier !== undefined) edges.push({ from: path, to: relative(root, resolve(root, dirname(path), specifier)) });
    }
  }
  return edges;
}

/**
 * The source files under `dir` (.ts, .js, .mjs, .cjs) that load package `name` for its values — an
 * `import` or `export … from` with a default, namespace or named value, a bare `import 'name'`,
 * `require()` or `import()` — as opposed to types alone (`import type`, `{ type X }`), which leave
 * nothing at run time.
 */
export function valueImportsOf(root: string, dir: string, name: string): string[] {
  const escaped = name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const quoted = `(?:'${escaped}'|"${escaped}"|\`${escaped}\`)`;
  const statement = new RegExp(`(?:^|[\\n;])\\s*(?:import|export)\\s+(type\\s+)?([^'"\`;]*?)\\s*from\\s*${quoted}`, 'g');
  const bare = new RegExp(`(?:^|[\\n;])\\s*import\\s*${quoted}`);
  const call = new RegExp(`\\b(?:require|import)\\(\\s*${quoted}\\s*\\)`);
  return sourceFiles(root, dir, /\.(ts|js|mjs|cjs)$/).filter((path) => {
    const text = readFileSync(join(root, path), 'utf8');
    if (call.test(text) || bare.test(text)) return true;
    return [...text.matchAll(statement)].some(([, typeOnly, clause = '']) => {
      if (typeOnly) return false;
      const named = /^\{([^}]*)\}$/.exec(clause.trim());
      if (named === null) return true; // a default or namespace import, `export *`
      return (named[1] ?? '').split(',').some((specifier) => specifier.trim() !== '' && !/^type\s/.test(specifier.trim()));
    });
  });
}

function tsFiles(root: string, dir: string): string[] {
  return sourceFiles(root, dir, /\.ts$/);
}

function sourceFiles(root: string, dir: string, extensions: RegExp): string[] {
  const files: string[] = [];
  const walk = (folder: string): void => {
    for (const entry of readdirSync(join(root, folder), { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') walk(path);
      } else if (extensions.test(entry.name)) files.push(path);
    }
  };
  walk(dir);
  return files;
}

/** `src/pipeline/sinkStage.ts` → `pipeline`; `src/errors.ts` → `(root)`; outside src/ → null. */
export function folderOf(path: string): string | null {
  const parts = path.split('/');
  if (parts[0] !== 'src') return null;
  return parts.length > 2 ? (parts[1] as string) : '(root)';
}

/** Every import that goes sideways or up the layers, or leaves src/ (the demo may run the demo graph). */
export function layerViolations(edges: readonly ImportEdge[], layers: readonly (readonly string[])[] = LAYERS): string[] {
  const rank = new Map(layers.flatMap((peers, index) => peers.map((folder) => [folder, index] as const)));
  const violations: string[] = [];
  for (const { from, to } of edges) {
    const source = folderOf(from);
    const target = folderOf(to);
    if (source === null) continue;
    if (target === null) {
      if (!(source === 'demo' && to.startsWith('subgraphs/'))) violations.push(`${from} imports ${to}, outside src/`);
      continue;
    }
    if (source === target) continue;
    const sourceRank = rank.get(source);
    const targetRank = rank.get(target);
    if (sourceRank === undefined) violations.push(`src/${source}/ is in no layer: add it to LAYERS (${from})`);
    else if (targetRank === undefined) violations.push(`src/${target}/ is in no layer: add it to LAYERS (${to})`);
    else if (targetRank >= sourceRank) violations.push(`${from} imports ${to}: ${source} may not depend on ${target}`);
  }
  return [...new Set(violations)];
}

/** Each import cycle among files, as the files on it (first file repeated at the end). */
export function fileCycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to]);
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const target of next.get(file) ?? []) {
      if (state.get(target) === 'open') cycles.push([...stack.slice(stack.indexOf(target)), target]);
      else if (!state.has(target)) visit(target);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of [...next.keys()].sort()) if (!state.has(file)) visit(file);
  return cycles;
}
