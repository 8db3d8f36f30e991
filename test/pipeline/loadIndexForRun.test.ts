import { readFileSync } from 'node:fs';
import { printSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/configError.ts';
import { loadIndexConfig } from '../../src/config/loadIndexConfig.ts';
import { composeProposedSupergraph } from '../../src/evolution/proposedGraph.ts';
import { loadGraph } from '../../src/graph/loadGraphSchema.ts';
import { indexForRun } from '../../src/pipeline/loadIndexForRun.ts';

const root = new URL('../../', import.meta.url).pathname;
const config = loadIndexConfig(`${root}index-configs/movies.yaml`, {});
const studio = await loadGraph({ schemaFile: `${root}subgraphs/supergraph.graphql` });
const talentSdl = readFileSync(`${root}subgraphs/talent/schema.graphql`, 'utf8');
const proposed = composeProposedSupergraph(studio.supergraph as NonNullable<typeof studio.supergraph>, [{ name: 'talent', file: 'talent.graphql', sdl: talentSdl.replace('  name: String!\n', '') }]);
if (!('graph' in proposed)) throw new Error('the fixture does not compose');
/** The gateway's schema after the talent team shipped without Talent.name, as introspection gives it (no supergraph). */
const introspected = { schema: proposed.graph.schema, supergraph: null };
const recorded = printSchema(studio.schema);

/** Which graph `fedsearch run` starts with when the gateway's schema no longer takes the query. */
describe('indexForRun', () => {
  it('starts with the graph as it is when it takes the query', async () => {
    const loaded = await indexForRun(config, { schema: studio.schema, supergraph: null }, async () => recorded, () => {});
    expect(loaded.schema).toBe(studio.schema);
  });

  it('starts with the schema provision recorded, and says so, when the gateway’s schema no longer takes the query', async () => {
    const lines: string[] = [];
    const loaded = await indexForRun(config, introspected, async () => recorded, (line) => void lines.push(line));
    expect(printSchema(loaded.schema)).toBe(recorded);
    expect(lines).toEqual([expect.stringMatching(/^movies: the gateway's schema no longer takes the query \(.*Cannot query field "name" on type "Talent".*\); starting with the graph's schema recorded at the last provision, paused/)]);
  });

  it('starts with the schema provision recorded without saying it is paused when the gateway’s schema breaks only backfill.query (run does not send it)', async () => {
    const moviesSdl = readFileSync(`${root}subgraphs/movies/schema.graphql`, 'utf8');
    const noListing = composeProposedSupergraph(studio.supergraph as NonNullable<typeof studio.supergraph>, [
      { name: 'movies', file: 'movies.graphql', sdl: moviesSdl.replace(/^.*\n  movies\(first: Int = 100, after: String\): MovieConnection!\n/m, '') },
    ]);
    if (!('graph' in noListing)) throw new Error('the fixture does not compose');
    const lines: string[] = [];
    const loaded = await indexForRun(config, { schema: noListing.graph.schema, supergraph: null }, async () => recorded, (line) => void lines.push(line));
    expect(printSchema(loaded.schema)).toBe(recorded);
    expect(lines).toEqual([expect.stringMatching(/^movies: the gateway's schema no longer takes parts of the config run does not use \(.*backfill\.query: Cannot query field "movies" on type "Query".*\); starting with the graph's schema recorded at the last provision and indexing with the query/)]);
    expect(lines[0]).not.toContain('paused');
  });

  it('refuses as before with no recorded schema, or with a supergraph file (the config’s own say)', async () => {
    await expect(indexForRun(config, introspected, async () => null, () => {})).rejects.toBeInstanceOf(ConfigError);
    await expect(indexForRun(config, proposed.graph, async () => recorded, () => {})).rejects.toBeInstanceOf(ConfigError);
  });
});
