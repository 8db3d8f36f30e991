import { readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { formatProblem } from '../config/configError.ts';
import { configFilesOf } from '../config/configFiles.ts';
import { secondClaims } from '../config/indexClaims.ts';
import type { SourcePosition } from '../config/indexConfig.ts';
import { loadYamlWithPositions } from '../config/loadYamlWithPositions.ts';
import { UserError } from '../errors.ts';
import { loadIndex, type LoadedIndex } from '../index/loadIndex.ts';

export interface ApplyConfigs {
  indexes: LoadedIndex[];
  /** The directories given (absolute): a managed index whose record names a file in one is apply's to prune. */
  directories: string[];
}

/**
 * Every config `apply` was given, each checked against its graph before anything is changed: one
 * invalid file fails the whole apply, with every problem of every file (file:line:col). Paths are
 * made absolute, so the metadata records name the file wherever apply runs from.
 */
export async function loadApplyConfigs(paths: readonly string[], options: { schemaFile?: string; prune?: boolean }): Promise<ApplyConfigs> {
  const absolute = paths.map((path) => resolve(path));
  const directories = absolute.filter((path) => isDirectory(path));
  const indexes: LoadedIndex[] = [];
  const problems: string[] = [];
  // With --prune a directory whose last config was removed is applied too: the indexes its configs made are pruned.
  const emptyDirectory = options.prune === true ? { allowed: true as const } : { hint: '(with --prune, apply deletes the indexes its configs made)' };
  const loadOptions = options.schemaFile === undefined ? {} : { schemaFile: options.schemaFile };
  for (const file of onceEach(configFilesOf(absolute, { emptyDirectory }))) {
    try {
      indexes.push(await loadIndex(file, loadOptions));
    } catch (error) {
      // A service down (the gateway) is no problem of the file: it stops apply with its own exit code.
      if (!(error instanceof UserError)) throw error;
      problems.push(error.message);
    }
  }
  // The files are read again for the `index:` key's position only when two name one index.
  for (const { index, file, first } of secondClaims(indexes.map(({ config }) => config))) {
    const other = `${first}:${formatPosition(indexKeyPosition(first))}`;
    problems.push(formatProblem({ file, position: indexKeyPosition(file), field: 'index', message: `${index} is also the index of ${other}; each index has one config` }));
  }
  if (problems.length > 0) throw new UserError(`nothing was changed: fix these configs first\n${problems.join('\n')}`);
  return { indexes, directories };
}

/**
 * The files, each once: a file named directly and through its directory (`apply dir dir/movies.yaml`),
 * or through a symbolic link, is one config, not two naming one index. The first naming is kept.
 */
function onceEach(files: readonly string[]): string[] {
  const seen = new Set<string>();
  return files.filter((file) => {
    const real = realPath(file);
    if (seen.has(real)) return false;
    seen.add(real);
    return true;
  });
}

function realPath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    // A file that does not exist is reported by loading it.
    return file;
  }
}

/** Where the `index:` key is in a config that loaded (so it is readable YAML with that key). */
function indexKeyPosition(file: string): SourcePosition {
  return loadYamlWithPositions(readFileSync(file, 'utf8')).positionOf(['index']);
}

function formatPosition(position: SourcePosition): string {
  return `${position.line}:${position.col}`;
}

/**
 * Whether `file` is another config than `applied` that names `index`: a metadata record naming it
 * is then a second config's claim on the index, not a config that moved. A relative path (a
 * hand-run provision's) or a file that is gone, unreadable or names another index claims nothing.
 */
export function claimsIndex(file: string, index: string, applied: string): boolean {
  if (!isAbsolute(file) || realPath(file) === realPath(applied)) return false;
  try {
    const value = loadYamlWithPositions(readFileSync(file, 'utf8')).value;
    return typeof value === 'object' && value !== null && (value as { index?: unknown }).index === index;
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
