import { buildSchema } from 'graphql';
import { elasticsearchClient } from '../clients/elasticsearchClient.ts';
import { loadIndexConfig } from '../config/loadIndexConfig.ts';
import { asInfrastructureError, InfrastructureError, UserError } from '../errors.ts';
import { loadGraph } from '../graph/loadGraphSchema.ts';
import { readIndexMetadata } from '../index/indexMetadata.ts';
import { checkIndexAgainstSchema, type LoadedIndex } from '../index/loadIndex.ts';

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
    } catch (unreadable) {
      throw asInfrastructureError(unreadable, `the gateway cannot be reached, and Elasticsearch did not answer for the graph's schema recorded for ${config.index}`);
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
