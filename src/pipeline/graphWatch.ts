import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { printSchema } from 'graphql';
import { classifyIndex, type IndexVerdict } from '../evolution/classifyIndex.ts';
import { fieldOwners } from '../graph/fieldOwners.ts';
import { loadGraph, type LoadedGraph } from '../graph/loadGraphSchema.ts';
import type { SupergraphSource } from '../graph/supergraph.ts';
import { ConfigError, formatProblem, type ConfigProblem } from '../config/configError.ts';
import type { GatewaySettings, IndexConfig } from '../config/indexConfig.ts';
import { checkIndexAgainstSchema, type LoadedIndex } from '../index/loadIndex.ts';
import type { Logger } from '../logger.ts';
import type { GraphCheck, PauseCause } from './schemaGuard.ts';
import type { SchemaRejection } from './schemaRejection.ts';

/**
 * The graph the index's query runs against, watched: the config's `gateway.supergraph` file when
 * it has one (read again when its size or modification time changes), else the gateway's schema
 * by introspection (compared by the hash of its printed SDL). A graph unlike the last one seen is
 * classified with `fedsearch check`'s classifier against the graph the process started with
 * (whose Avro schema the running codec writes).
 */
export class GraphWatch {
  private last: { version: string; check: GraphCheck } | null = null;
  private unreadable = false;

  constructor(
    private readonly loaded: LoadedIndex,
    private readonly logger: Logger,
    /** How the gateway's graph is read (a `run` of many indexes shares one read among the indexes behind one gateway). */
    private readonly readGateway: (gateway: GatewaySettings) => Promise<VersionedGraph> = readGatewayGraph,
  ) {}

  /** The graph as it is now, classified; null when it could not be read (said once in the log). */
  async check(): Promise<GraphCheck | null> {
    const { gateway } = this.loaded.config;
    let graph: LoadedGraph;
    let version: string;
    try {
      if (gateway.supergraph !== null) {
        const { size, mtimeMs } = statSync(gateway.supergraph);
        version = `${size}:${mtimeMs}`;
        if (version === this.last?.version) return this.last.check;
        graph = await loadGraph({ gateway });
      } else {
        ({ graph, version } = await this.readGateway(gateway));
        if (version === this.last?.version) return this.last.check;
      }
    } catch (error) {
      if (!this.unreadable) this.logger.warn({ err: error }, 'cannot read the graph to check the query against it; trying again at the next check');
      this.unreadable = true;
      return null;
    }
    this.unreadable = false;
    const current = { schema: this.loaded.schema, supergraph: this.loaded.supergraph };
    const check = graphCheckOf(classifyIndex(fetchedByRun(this.loaded.config), current, { graph }), graph.supergraph ?? current.supergraph);
    // Paused, the pause's line says what to fix first; running, these are what the change broke.
    const warnings = check.pause === null ? problemsOutsideRun(this.loaded.config, graph) : [];
    if (warnings.length > 0) check.graphWarnings = warnings;
    this.last = { version, check };
    return check;
  }
}

/**
 * The config as `run` fetches with it: its query (and so the documents' shape and mapping),
 * without `backfill.query` and `related[]`, whose problems with a new graph are warnings, not
 * causes to pause (problemsOutsideRun).
 */
function fetchedByRun(config: IndexConfig): IndexConfig {
  return { ...config, backfill: { ...config.backfill, query: null }, related: [] };
}

/**
 * What the graph as it is now does to the parts of the config `run` does not fetch with, each
 * `file:line:col: field: message`; [] when none. Case by case, why they do not pause:
 * - `backfill.query` (its root field removed or retyped): only `backfill` sends it; `run` never does.
 * - `related[i].type` gone, renamed or no longer an entity, `related[i].lookup` no longer one of
 *   its `@key`s, `related[i].events`: a related change's reverse lookup reads neither the graph
 *   nor the type's name — it searches the index at the document paths resolved when `run`
 *   started, for the key the related topic's event carries, and fetches the documents it finds
 *   with `query`. The documents stay correct as long as `query` and their shape do, which the
 *   classification above judges; a lookup path gone from the document can only come from the
 *   document's shape changing, which pauses there when the provisioned reader cannot read it.
 * Each is still a problem: `backfill`, `provision` and a restarted `run` load the whole config, so
 * they are said (a warning line, `/healthz`'s `graphWarnings`) while indexing goes on.
 */
function problemsOutsideRun(config: IndexConfig, graph: LoadedGraph): string[] {
  if (config.backfill.query === null && config.related.length === 0) return [];
  try {
    checkIndexAgainstSchema(config, graph.schema, graph.supergraph);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems.filter(outsideRun).map(formatProblem);
  }
}

/** Whether a config problem is in a part `run` does not fetch with: `backfill.query`, `related[]` (problemsOutsideRun says why). */
export function outsideRun(problem: ConfigProblem): boolean {
  return problem.field === 'backfill.query' || problem.field.startsWith('related[');
}

/** A graph read, with a version that changes whenever its schema does. */
export interface VersionedGraph {
  graph: LoadedGraph;
  version: string;
}

/** The gateway's schema by introspection, versioned by the hash of its printed SDL. */
export async function readGatewayGraph(gateway: GatewaySettings): Promise<VersionedGraph> {
  const graph = await loadGraph({ gateway });
  return { graph, version: createHash('sha256').update(printSchema(graph.schema)).digest('hex') };
}

/**
 * What the pipeline does about a verdict: `breaks` pauses; `needs-reindex` pauses only when the
 * provisioned Avro reader cannot read what the new graph answers (the documents could not be
 * decoded), and is otherwise reported; anything milder changes nothing.
 */
export function graphCheckOf(verdict: IndexVerdict, supergraph: SupergraphSource | null): GraphCheck {
  if (verdict.classification === 'breaks') {
    const [first] = verdict.problems;
    return {
      pause: {
        reason: 'breaks',
        field: first?.field ?? null,
        subgraph: first?.subgraph ?? null,
        message: verdict.problems.map((problem) => `${problem.file}:${problem.line}:${problem.col}: ${problem.message}`).join('; '),
      },
      needsReindex: [],
    };
  }
  if (verdict.classification !== 'needs-reindex') return { pause: null, needsReindex: [] };
  const changes = verdict.changes.map((change) => `${change.path} (${change.field}): ${change.change}`);
  if (verdict.avro === null || verdict.avro.readerCanRead) return { pause: null, needsReindex: changes };
  const [first] = verdict.changes;
  const owners = first && supergraph ? ownersOf(supergraph, first.field) : null;
  return {
    pause: {
      reason: 'needs_reindex',
      field: first?.field ?? null,
      subgraph: owners,
      message: `${changes.join('; ')}; the provisioned Avro reader cannot read the new documents (${verdict.avro.reason})`,
    },
    needsReindex: [],
  };
}

/**
 * A fetch's refusal as a cause to pause for: a subgraph's refusal is `subgraph_rejects`, the
 * gateway's own `breaks`. The subgraph is the field's owner when the supergraph is known, else
 * the one whose URL the gateway reported.
 */
export function rejectionCause(rejection: SchemaRejection, supergraph: SupergraphSource | null): PauseCause {
  const owners = rejection.field !== null && supergraph ? ownersOf(supergraph, rejection.field) : null;
  const byUrl = rejection.subgraphUrl === null ? undefined : supergraph?.subgraphs.find((subgraph) => sameUrl(subgraph.url, rejection.subgraphUrl as string));
  return {
    reason: rejection.subgraphUrl === null ? 'breaks' : 'subgraph_rejects',
    field: rejection.field,
    subgraph: owners ?? byUrl?.name ?? rejection.subgraphUrl,
    message: rejection.message,
  };
}

function ownersOf(supergraph: SupergraphSource, field: string): string | null {
  const [typeName = '', fieldName = ''] = field.split('.');
  const owners = fieldOwners(supergraph.sdl).ofField(typeName, fieldName);
  return owners.length > 0 ? owners.join(', ') : null;
}

function sameUrl(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return a === b;
  }
}
