import { GraphQLError, parse } from 'graphql';
import { UserError } from '../errors.ts';
import { didYouMean, suggestionList } from '../suggestions.ts';
import { composition } from '../graph/federationLibraries.ts';
import { supergraphApiSchema, type LoadedGraph } from '../graph/loadGraphSchema.ts';
import { supergraphFromSdl, type SupergraphSource } from '../graph/supergraph.ts';

/** A subgraph's proposed SDL: `--subgraph talent=talent.graphql`. */
export interface ProposedSubgraph {
  name: string;
  file: string;
  sdl: string;
}

/** The graph after the change, or why it does not compose (each composition error as Apollo words it). */
export type ProposedGraph = { graph: LoadedGraph } | { compositionErrors: string[] };

/**
 * The current supergraph with some subgraphs' SDL replaced, composed again as the subgraph team's
 * CI would: the result is what the gateway would serve once the change ships. A name the
 * supergraph does not have is refused with the names it has (a typo would otherwise compose a
 * graph nobody proposed); a new subgraph is composed by its team and given whole (`--proposed`).
 */
export function composeProposedSupergraph(current: SupergraphSource, proposed: readonly ProposedSubgraph[]): ProposedGraph {
  const replaced = new Map(proposed.map((subgraph) => [subgraph.name, subgraph]));
  const services = current.subgraphs.map((subgraph) => {
    const replacement = replaced.get(subgraph.name);
    return replacement ? { name: subgraph.name, url: subgraph.url, typeDefs: parseSubgraph(replacement) } : subgraph;
  });
  const known = current.subgraphs.map((subgraph) => subgraph.name);
  for (const subgraph of proposed) {
    if (!known.includes(subgraph.name)) throw unknownSubgraph(subgraph.name, [current]);
  }
  const composed = composition().composeServices(services);
  if (composed.errors) return { compositionErrors: composed.errors.map((error) => error.message) };
  const file = `${current.file} with ${proposed.map((subgraph) => `${subgraph.name}=${subgraph.file}`).join(', ')}`;
  return { graph: { schema: supergraphApiSchema(composed.supergraphSdl), supergraph: supergraphFromSdl(composed.supergraphSdl, file) } };
}

/**
 * A `--subgraph` name none of the current supergraphs has, refused with the names they have: a
 * typo would otherwise check nothing (every config skipped as not on its graph) and pass.
 */
export function unknownSubgraph(name: string, supergraphs: readonly SupergraphSource[]): UserError {
  const known = [...new Set(supergraphs.flatMap((supergraph) => supergraph.subgraphs.map((subgraph) => subgraph.name)))];
  const has = supergraphs.map((supergraph) => `${supergraphs.length > 1 ? `${supergraph.file} has ` : 'it has '}${supergraph.subgraphs.map((subgraph) => subgraph.name).join(', ')}`);
  const missing = supergraphs.length === 1 && supergraphs[0] ? `${supergraphs[0].file} has no subgraph` : 'no supergraph the configs use has a subgraph';
  return new UserError(
    `${missing} ${name}${didYouMean(suggestionList(name, known))} (${has.join('; ')}); ` +
      'for a new subgraph, compose the proposed supergraph and pass it with --proposed',
  );
}

function parseSubgraph(subgraph: ProposedSubgraph): ReturnType<typeof parse> {
  try {
    return parse(subgraph.sdl);
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    const at = error.locations?.[0];
    throw new UserError(`${subgraph.file}${at ? `:${at.line}:${at.column}` : ''}: the ${subgraph.name} subgraph's SDL does not parse: ${error.message}`);
  }
}
