import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema } from 'graphql';
import { elasticsearchClient } from '../clients/elasticsearchClient.ts';
import { loadIndexConfig } from '../config/loadIndexConfig.ts';
import { InfrastructureError, UserError } from '../errors.ts';
import { loadGraph } from '../graph/loadGraphSchema.ts';
import { readIndexMetadata } from '../index/indexMetadata.ts';
import { checkIndexAgainstSchema, type LoadedIndex } from '../index/loadIndex.ts';

/**
 * The config files `serve` was given: a file as it is, a directory as every `.yaml`/`.yml` file
 * in it (by name), so `serve index-configs/` serves every index there.
 */
export function configFilesOf(paths: readonly string[]): string[] {
  return paths.flatMap((path) => {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      return [path]; // Reported, with its reason, when the config is read.
    }
    if (!isDirectory) return [path];
    const files = readdirSync(path)
      .filter((name) => /\.ya?ml$/.test(name))
      .sort()
      .map((name) => join(path, name));
    if (files.length === 0) throw new UserError(`${path} holds no index configuration (.yaml or .yml file)`);
    return files;
  });
}

/**
 * One index as `serve` loads it: checked against the graph as every command does when the graph
 * can be read; when the gateway cannot be reached (or does not answer), against the graph's schema
 * `provision` recorded, so search starts and restarts while the gateway is down. `say` gets the
 * one line telling which.
 */
export async function loadServedIndex(configFile: string, say: (line: string) => void): Promise<LoadedIndex> {
  const config = loadIndexConfig(configFile);
  try {
    const graph = await loadGraph({ gateway: config.gateway });
    return checkIndexAgainstSchema(config, graph.schema, graph.supergraph);
  } catch (error) {
    if (!(error instanceof InfrastructureError)) throw error;
    const client = elasticsearchClient(config.elasticsearch);
    let recorded: string | null | undefined;
    try {
      recorded = (await readIndexMetadata(client, config.index))?.graphSchema;
    } finally {
      await client.close();
    }
    if (!recorded) {
      // The gateway's own message ends with advice for commands that take --schema; serve does not.
      const reason = error.message.replace(/\s*Is it running\?.*$/s, '');
      throw new UserError(`${reason}, and no graph schema recorded by provision to start ${config.index} from: run \`fedsearch provision ${configFile}\` once while the gateway is up`);
    }
    say(`${config.index}: the gateway cannot be reached; serving with the graph's schema recorded at the last provision`);
    return checkIndexAgainstSchema(config, buildSchema(recorded), null);
  }
}
