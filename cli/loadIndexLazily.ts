import type { LoadedIndex } from '../src/index/loadIndex.ts';

/**
 * loadIndex, its module (the graph, the config, the document model: graphql, Apollo composition,
 * zod, js-yaml) imported by the first command that needs it, so `fedsearch --help` and commands
 * that never load a config start without it.
 */
export async function loadIndex(configFile: string, options: { schemaFile?: string; env?: NodeJS.ProcessEnv } = {}): Promise<LoadedIndex> {
  const { loadIndex: load } = await import('../src/index/loadIndex.ts');
  return load(configFile, options);
}
