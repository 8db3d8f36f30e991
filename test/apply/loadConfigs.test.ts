import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { claimsIndex, loadApplyConfigs } from '../../src/apply/loadConfigs.ts';

const SUPERGRAPH = new URL('../../subgraphs/supergraph.graphql', import.meta.url).pathname;
const MOVIES = readFileSync(new URL('../../index-configs/movies.yaml', import.meta.url), 'utf8');
const INDEX_LINE = MOVIES.split('\n').findIndex((line) => line.startsWith('index:')) + 1;

const directoryWith = (files: Record<string, string>): string => {
  const directory = mkdtempSync(join(tmpdir(), 'fedsearch-apply-configs-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(directory, name), text);
  return directory;
};

describe('the configs apply is given', () => {
  it('a file named both directly and through its directory is one config, not two naming one index', async () => {
    const directory = directoryWith({ 'movies.yaml': MOVIES });
    const { indexes } = await loadApplyConfigs([directory, join(directory, 'movies.yaml')], { schemaFile: SUPERGRAPH });
    expect(indexes.map((loaded) => [loaded.config.index, loaded.config.sourceFile])).toEqual([['movies', join(directory, 'movies.yaml')]]);
  });

  it('a file named through a symbolic link and its directory is one config too', async () => {
    const directory = directoryWith({ 'movies.yaml': MOVIES });
    const elsewhere = mkdtempSync(join(tmpdir(), 'fedsearch-apply-link-'));
    symlinkSync(join(directory, 'movies.yaml'), join(elsewhere, 'movies.yaml'));
    const { indexes } = await loadApplyConfigs([directory, join(elsewhere, 'movies.yaml')], { schemaFile: SUPERGRAPH });
    expect(indexes.map((loaded) => loaded.config.index)).toEqual(['movies']);
  });

  it('two files naming one index: nothing is changed, and the second is named file:line:col at its index key, with the first', async () => {
    const directory = directoryWith({ 'a.yaml': MOVIES, 'b.yaml': MOVIES });
    const refused = loadApplyConfigs([directory], { schemaFile: SUPERGRAPH });
    await expect(refused).rejects.toThrow('nothing was changed: fix these configs first');
    await expect(refused).rejects.toThrow(
      `${join(directory, 'b.yaml')}:${INDEX_LINE}:1: index: movies is also the index of ${join(directory, 'a.yaml')}:${INDEX_LINE}:1; each index has one config`,
    );
  });
});

describe('a directory whose last config was removed', () => {
  it('is applied with --prune (the indexes its configs made are still its to delete)', async () => {
    const directory = directoryWith({});
    mkdirSync(join(directory, 'drafts'));
    await expect(loadApplyConfigs([directory], { schemaFile: SUPERGRAPH, prune: true })).resolves.toEqual({ indexes: [], directories: [directory] });
  });

  it('is refused without --prune, saying what --prune would do', async () => {
    const directory = directoryWith({});
    await expect(loadApplyConfigs([directory], { schemaFile: SUPERGRAPH })).rejects.toThrow(
      `${directory} holds no index configuration (.yaml or .yml file) (with --prune, apply deletes the indexes its configs made)`,
    );
  });
});

describe('whether the config file an index\'s record names still claims the index', () => {
  it('does when it is another file that names the index; not when it is gone, names another index, is relative, or is the applied file', () => {
    const directory = directoryWith({ 'movies.yaml': MOVIES, 'shows.yaml': MOVIES.replace(/^index: movies$/m, 'index: shows') });
    const applied = join(mkdtempSync(join(tmpdir(), 'fedsearch-apply-here-')), 'movies.yaml');
    writeFileSync(applied, MOVIES);
    expect(claimsIndex(join(directory, 'movies.yaml'), 'movies', applied)).toBe(true);
    expect(claimsIndex(join(directory, 'gone.yaml'), 'movies', applied)).toBe(false);
    expect(claimsIndex(join(directory, 'shows.yaml'), 'movies', applied)).toBe(false);
    expect(claimsIndex('movies.yaml', 'movies', applied)).toBe(false);
    expect(claimsIndex(applied, 'movies', applied)).toBe(false);
  });
});
