import { existsSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import { loadGraph } from '../graph/loadGraphSchema.ts';
import { starterConfig } from './starterConfig.ts';

/**
 * `fedsearch init`: reads the graph (a schema file, or the gateway's introspection), writes the
 * starter config to `out` (never over an existing file) and returns its text.
 */
export async function writeStarterConfig(options: { typeName: string; schema?: string; gateway?: string; topicPrefix: string; out?: string }): Promise<string> {
  if (!options.schema && !options.gateway) throw new UserError('init reads the graph: give --schema <supergraph or SDL file> or --gateway <url>');
  if (options.out && existsSync(options.out)) throw new UserError(`${options.out} exists; init never overwrites a config (choose another --out)`);
  const graph = await loadGraph(
    options.schema
      ? { schemaFile: options.schema }
      : { gateway: { url: options.gateway as string, headers: {}, timeoutMs: 10_000, supergraph: null, subgraphs: {} } },
  );
  // The config resolves the supergraph beside itself: name it relative to where the config goes.
  const supergraphPath = graph.supergraph && options.schema ? relative(dirname(resolve(options.out ?? 'config.yaml')), resolve(options.schema)) : null;
  const text = starterConfig({
    typeName: options.typeName,
    schema: graph.schema,
    supergraph: graph.supergraph,
    supergraphPath,
    gatewayUrl: options.gateway ?? null,
    topicPrefix: options.topicPrefix,
  });
  if (options.out) writeFileSync(options.out, text, { flag: 'wx' });
  return text;
}
