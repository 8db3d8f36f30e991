import type { IndexConfig } from '../config/indexConfig.ts';
import { configFilesOf } from '../config/configFiles.ts';
import { loadIndexConfig } from '../config/loadIndexConfig.ts';
import { UserError } from '../errors.ts';
import { loadGraph, type LoadedGraph } from '../graph/loadGraphSchema.ts';
import { readUserTextFile, SCHEMA_FILE } from '../readUserFile.ts';
import { ConfigError, formatProblem } from '../config/configError.ts';
import { checkReport, type CheckReport, type SkippedConfig } from './checkReport.ts';
import { classifyIndex, type Classification } from './classifyIndex.ts';
import type { SupergraphSource } from '../graph/supergraph.ts';
import { composeProposedSupergraph, unknownSubgraph, type ProposedGraph, type ProposedSubgraph } from './proposedGraph.ts';

/** A config's supergraph without any subgraph --subgraph names: the change is to another graph. */
interface NotOnThisGraph {
  notOnThisGraph: string;
}

export interface CheckOptions {
  /** Config files, or directories whose `*.yaml`/`*.yml` files are configs. */
  configs: readonly string[];
  /** The current graph for every config (`--schema`); else each config's gateway.supergraph, else its gateway. */
  schemaFile?: string;
  /** `name=file`: a subgraph's proposed SDL, composed with the rest of the current supergraph. */
  subgraphs: readonly string[];
  /** A whole proposed supergraph (or API schema SDL). */
  proposedFile?: string;
  failOn?: Classification;
  env?: NodeJS.ProcessEnv;
}

/**
 * Settings check never reads: it sends no request with the config's headers and reaches no
 * subgraph, Elasticsearch or Kafka, so their secrets (`${USERS_TOKEN}`), which a subgraph team's
 * CI does not hold, need not be set. gateway.url is read only to introspect a config with no
 * supergraph, and such a config without it is refused as before.
 */
const NOT_READ_BY_CHECK = ['gateway.url', 'gateway.headers', 'gateway.timeoutMs', 'gateway.subgraphs', 'elasticsearch', 'kafka', 'pipeline', 'audit'];

/** `fedsearch check`: every index config against the current graph and the proposed change. */
export async function runCheck(options: CheckOptions): Promise<CheckReport> {
  if ((options.subgraphs.length > 0) === (options.proposedFile !== undefined)) {
    throw new UserError('give the proposed change: --subgraph <name>=<SDL file> (one or more), or --proposed <supergraph file>, not both');
  }
  const subgraphs = options.subgraphs.map(proposedSubgraph);
  const currentGraphs = new Map<string, Promise<LoadedGraph>>();
  const proposedGraphs = new Map<string, Promise<ProposedGraph | NotOnThisGraph>>();
  const supergraphsSeen = new Map<string, SupergraphSource>();
  const verdicts = [];
  const skipped: SkippedConfig[] = [];
  const configs: IndexConfig[] = [];
  for (const file of configFilesOf(options.configs)) {
    try {
      configs.push(loadIndexConfig(file, options.env, { unsetVariablesAllowedIn: NOT_READ_BY_CHECK }));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      skipped.push({ configFile: file, why: 'invalid', problems: error.problems.map(formatProblem) });
    }
  }
  for (const config of configs) {
    const source = options.schemaFile ?? config.gateway.supergraph ?? config.gateway.url ?? '';
    if (!currentGraphs.has(source)) currentGraphs.set(source, loadGraph(options.schemaFile ? { schemaFile: options.schemaFile } : { gateway: config.gateway }));
    if (!proposedGraphs.has(source)) proposedGraphs.set(source, proposedGraph(config, currentGraphs.get(source) as Promise<LoadedGraph>, subgraphs, options.proposedFile));
    const proposed = await (proposedGraphs.get(source) as Promise<ProposedGraph | NotOnThisGraph>);
    const { supergraph } = await (currentGraphs.get(source) as Promise<LoadedGraph>);
    if (supergraph) supergraphsSeen.set(supergraph.file, supergraph);
    if ('notOnThisGraph' in proposed) {
      skipped.push({ configFile: config.sourceFile, why: 'not-on-this-graph', problems: [proposed.notOnThisGraph] });
      continue;
    }
    try {
      verdicts.push(classifyIndex(config, await (currentGraphs.get(source) as Promise<LoadedGraph>), proposed, subgraphs.map((subgraph) => subgraph.name)));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      skipped.push({ configFile: config.sourceFile, why: 'invalid', problems: error.problems.map(formatProblem) });
    }
  }
  const onNoGraph = subgraphs.find((subgraph) => ![...supergraphsSeen.values()].some((supergraph) => supergraph.subgraphs.some((known) => known.name === subgraph.name)));
  // With no config loaded (each listed as skipped) there is no graph to say the name is not on.
  if (onNoGraph && supergraphsSeen.size > 0) throw unknownSubgraph(onNoGraph.name, [...supergraphsSeen.values()]);
  const described = options.proposedFile ?? subgraphs.map((subgraph) => `${subgraph.name}=${subgraph.file}`).join(' ');
  return checkReport(described, verdicts, options.failOn, skipped);
}

/**
 * The config's graph after the change: the subgraphs given that its supergraph has, replaced and
 * composed again; a config whose supergraph has none of them is on another graph (a directory of
 * several graphs' configs checked without --schema) and has nothing to check.
 */
async function proposedGraph(config: IndexConfig, current: Promise<LoadedGraph>, subgraphs: ProposedSubgraph[], proposedFile: string | undefined): Promise<ProposedGraph | NotOnThisGraph> {
  if (proposedFile !== undefined) return { graph: await loadGraph({ schemaFile: proposedFile }) };
  const { supergraph } = await current;
  if (supergraph === null) {
    throw new UserError(
      `${config.sourceFile}: --subgraph composes with the current supergraph, and this config's graph comes from introspection, which has no subgraph SDLs: ` +
        'pass --schema <supergraph file> (or set gateway.supergraph), or give the whole proposed graph with --proposed',
    );
  }
  const names = new Set(supergraph.subgraphs.map((subgraph) => subgraph.name));
  const onThisGraph = subgraphs.filter((subgraph) => names.has(subgraph.name));
  if (onThisGraph.length === 0) {
    return { notOnThisGraph: `${supergraph.file} has no subgraph ${subgraphs.map((subgraph) => subgraph.name).join(', ')} (it has ${[...names].join(', ')})` };
  }
  return composeProposedSupergraph(supergraph, onThisGraph);
}

function proposedSubgraph(argument: string): ProposedSubgraph {
  const match = /^([^=]+)=(.+)$/.exec(argument);
  if (!match?.[1] || !match[2]) throw new UserError(`--subgraph ${argument}: expected <name>=<SDL file>, e.g. --subgraph users=users.graphql`);
  return { name: match[1], file: match[2], sdl: readUserTextFile(match[2], { ...SCHEMA_FILE, what: `${match[1]} subgraph SDL` }) };
}

