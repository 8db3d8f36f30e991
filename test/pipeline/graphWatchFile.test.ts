import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { composeProposedSupergraph } from '../../src/evolution/proposedGraph.ts';
import { supergraphFromSdl } from '../../src/graph/supergraph.ts';
import { loadIndex } from '../../src/index/loadIndex.ts';
import { GraphWatch } from '../../src/pipeline/graphWatch.ts';

const root = new URL('../../', import.meta.url).pathname;

/** The movies config against a supergraph file of its own, which the test rewrites as a recomposition would. */
async function watchedConfig(): Promise<{ watch: GraphWatch; recompose(edit: (sdl: string) => string, subgraph?: string): void }> {
  const folder = mkdtempSync(join(tmpdir(), 'fedsearch-graphwatch-'));
  const supergraphFile = join(folder, 'supergraph.graphql');
  copyFileSync(`${root}subgraphs/supergraph.graphql`, supergraphFile);
  const configFile = join(folder, 'movies.yaml');
  writeFileSync(configFile, readFileSync(`${root}index-configs/movies.yaml`, 'utf8').replace(/^gateway:\n/m, 'gateway:\n  supergraph: supergraph.graphql\n'));
  const loaded = await loadIndex(configFile, { env: {} });
  const original = supergraphFromSdl(readFileSync(supergraphFile, 'utf8'), supergraphFile);
  return {
    watch: new GraphWatch(loaded, pino({ level: 'silent' })),
    recompose(edit, subgraph = 'talent') {
      const subgraphSdl = readFileSync(`${root}subgraphs/${subgraph}/schema.graphql`, 'utf8');
      const proposed = composeProposedSupergraph(original, [{ name: subgraph, file: `${subgraph}.graphql`, sdl: edit(subgraphSdl) }]);
      if (!('graph' in proposed)) throw new Error(`does not compose: ${proposed.compositionErrors.join('; ')}`);
      writeFileSync(supergraphFile, proposed.graph.supergraph?.sdl ?? '');
    },
  };
}

/** GraphWatch over a real config and supergraph file (no services): what `run` makes of the file changing. */
describe('GraphWatch on a config’s gateway.supergraph file', () => {
  it('finds nothing to pause for in the graph the index was loaded with', async () => {
    const { watch } = await watchedConfig();
    expect(await watch.check()).toEqual({ pause: null, needsReindex: [] });
  });

  it('pauses when the recomposed file no longer has a field the query selects, naming it, its subgraph and the config line', async () => {
    const { watch, recompose } = await watchedConfig();
    recompose((sdl) => sdl.replace('  name: String!\n', ''));
    const check = await watch.check();
    expect(check?.pause).toMatchObject({ reason: 'breaks', field: 'Talent.name', subgraph: 'talent' });
    expect(check?.pause?.message).toMatch(/movies\.yaml:\d+:\d+: .*Cannot query field "name" on type "Talent"/);
  });

  it('pauses, without warnings that indexing goes on, when a change breaks both the query and related[] (Talent renamed and its name removed)', async () => {
    const { watch, recompose } = await watchedConfig();
    recompose((sdl) => sdl.replace('  name: String!\n', '').replaceAll(/\bTalent\b/g, 'Person'));
    const check = await watch.check();
    expect(check?.pause).toMatchObject({ reason: 'breaks' });
    expect(check?.graphWarnings).toBeUndefined();
  });

  it('pauses for an enum value added, which the provisioned Avro reader cannot read, as needs_reindex', async () => {
    const { watch, recompose } = await watchedConfig();
    recompose((sdl) => sdl.replace('  COMPOSER\n', '  COMPOSER\n  STUNT_PERFORMER\n'));
    const check = await watch.check();
    expect(check?.pause).toMatchObject({ reason: 'needs_reindex', field: 'CastMember.role', subgraph: 'talent' });
    expect(check?.pause?.message).toContain('enum TalentRole values added: STUNT_PERFORMER');
  });

  it('keeps indexing through an enum renamed (TalentRole to Role): the documents are the same, so it is reported as needs reindex without pausing', async () => {
    const { watch, recompose } = await watchedConfig();
    recompose((sdl) => sdl.replaceAll('TalentRole', 'Role'));
    const check = await watch.check();
    expect(check?.pause).toBeNull();
    expect(check?.needsReindex).toEqual(['cast.role (CastMember.role): TalentRole! → Role!', 'cast.talent.roles (Talent.roles): [TalentRole!]! → [Role!]!']);
  });

  it('keeps indexing when the only root field backfill.query lists is removed (run never sends it), with a warning at backfill.query', async () => {
    const { watch, recompose } = await watchedConfig();
    recompose((sdl) => sdl.replace(/^.*\n  movies\(first: Int = 100, after: String\): MovieConnection!\n/m, ''), 'movies');
    const check = await watch.check();
    expect(check?.pause).toBeNull();
    expect(check?.graphWarnings).toEqual([expect.stringMatching(/movies\.yaml:\d+:\d+: backfill\.query: Cannot query field "movies" on type "Query"/)]);
  });

  it('keeps indexing when a related type is renamed (Talent to Person): reverse lookups search the documents, which keep their shape; a warning at related[1].type', async () => {
    const { watch, recompose } = await watchedConfig();
    recompose((sdl) => sdl.replaceAll(/\bTalent\b/g, 'Person'));
    const check = await watch.check();
    expect(check?.pause).toBeNull();
    expect(check?.graphWarnings).toEqual(expect.arrayContaining([expect.stringMatching(/movies\.yaml:\d+:\d+: related\[1\]\.type: type Talent is not in the graph's schema/)]));
  });

  it('reports a field made non-null, which the provisioned reader still reads, as needs reindex without pausing', async () => {
    const { watch, recompose } = await watchedConfig();
    recompose((sdl) => sdl.replace('  character: String\n', '  character: String!\n'));
    const check = await watch.check();
    expect(check?.pause).toBeNull();
    expect(check?.needsReindex).toEqual([expect.stringMatching(/^cast\.character \(CastMember\.character\): String → String! \(now non-null\)/)]);
  });
});
