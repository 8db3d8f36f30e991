import { buildSchema } from 'graphql';
import { elasticsearchClient } from '../clients/elasticsearchClient.ts';
import { ConfigError, formatProblem } from '../config/configError.ts';
import type { IndexConfig } from '../config/indexConfig.ts';
import { loadIndexConfig } from '../config/loadIndexConfig.ts';
import { loadGraph, type LoadedGraph } from '../graph/loadGraphSchema.ts';
import { readIndexMetadata } from '../index/indexMetadata.ts';
import { checkIndexAgainstSchema, type LoadedIndex } from '../index/loadIndex.ts';
import { outsideRun } from './graphWatch.ts';

/**
 * The index `run` starts with. Against the graph as it is, like every command; but when the
 * gateway's schema no longer takes the query (a subgraph shipped a breaking change, and the
 * process was restarted while paused for it), against the graph's schema `provision` recorded —
 * the graph the index was built for — so `run` starts and stays paused until the graph takes the
 * query again, instead of exiting. A supergraph file is the config's own say: a query it does not
 * take is an error to fix, as before. `say` gets the one line telling which.
 */
export async function loadIndexForRun(configFile: string, say: (line: string) => void): Promise<LoadedIndex> {
  const config = loadIndexConfig(configFile);
  const graph = await loadGraph({ gateway: config.gateway });
  return indexForRun(config, graph, async () => {
    const client = elasticsearchClient(config.elasticsearch);
    try {
      return (await readIndexMetadata(client, config.index))?.graphSchema ?? null;
    } finally {
      await client.close();
    }
  }, say);
}

/** loadIndexForRun once the graph is read: `recorded` reads the schema provision recorded (null: none). */
export async function indexForRun(config: IndexConfig, graph: LoadedGraph, recorded: () => Promise<string | null>, say: (line: string) => void): Promise<LoadedIndex> {
  try {
    return checkIndexAgainstSchema(config, graph.schema, graph.supergraph);
  } catch (error) {
    if (!(error instanceof ConfigError) || graph.supergraph !== null) throw error;
    const sdl = await recorded();
    if (sdl === null) throw error;
    let loaded: LoadedIndex;
    try {
      loaded = checkIndexAgainstSchema(config, buildSchema(sdl), null);
    } catch {
      // The config does not take the graph it was provisioned for either: the config is to fix.
      throw error;
    }
    const problems = error.problems.map(formatProblem).join('; ');
    // Only backfill.query or related[] broken: run does not fetch with them, so it indexes (GraphWatch warns).
    say(
      error.problems.every(outsideRun)
        ? `${config.index}: the gateway's schema no longer takes parts of the config run does not use (${problems}); ` +
            'starting with the graph\'s schema recorded at the last provision and indexing with the query; backfill and provision refuse the config until it is fixed'
        : `${config.index}: the gateway's schema no longer takes the query (${problems}); ` +
            'starting with the graph\'s schema recorded at the last provision, paused until the graph takes the query again',
    );
    return loaded;
  }
}
