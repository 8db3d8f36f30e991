import { readFileSync } from 'node:fs';
import { print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { loadIndexConfig } from '../../src/config/loadIndexConfig.ts';
import { checkReport, formatCheckReport } from '../../src/evolution/checkReport.ts';
import { classifyIndex, type IndexVerdict } from '../../src/evolution/classifyIndex.ts';
import { composeProposedSupergraph } from '../../src/evolution/proposedGraph.ts';
import { loadGraph, type LoadedGraph } from '../../src/graph/loadGraphSchema.ts';

const root = new URL('../../', import.meta.url).pathname;
const moviesConfig = `${root}index-configs/movies.yaml`;
const shopUsersConfig = `${root}index-configs/shop-users.yaml`;
const shopCatalogConfig = `${root}index-configs/shop-catalog.yaml`;
const sdl = (subgraph: string): string => readFileSync(`${root}subgraphs/${subgraph}/schema.graphql`, 'utf8');

/** The demo studio graph and the shop graph as they are: the "current" side of every case. */
const studio = await loadGraph({ schemaFile: `${root}subgraphs/supergraph.graphql` });
const shop = await loadGraph({ schemaFile: `${root}subgraphs/shop/supergraph.graphql` });
const shopSubgraphSdl = (name: string): string => print(shop.supergraph?.subgraphs.find((subgraph) => subgraph.name === name)?.typeDefs ?? { kind: 'Document' as never, definitions: [] });

/** Replaces `from` once in a subgraph's SDL, failing loudly when the fixture no longer holds it. */
function edit(text: string, from: string | RegExp, to: string): string {
  if (typeof from === 'string' ? !text.includes(from) : !from.test(text)) throw new Error(`the fixture SDL no longer holds ${String(typeof from === 'string' ? JSON.stringify(from) : from)}`);
  return text.replace(from, to);
}

function check(current: LoadedGraph, configFile: string, subgraph: string, proposedSdl: string): IndexVerdict {
  const proposed = composeProposedSupergraph(current.supergraph as NonNullable<LoadedGraph['supergraph']>, [{ name: subgraph, file: `${subgraph}.graphql`, sdl: proposedSdl }]);
  return classifyIndex(loadIndexConfig(configFile, {}), current, proposed, [subgraph]);
}

// Positions in index-configs/movies.yaml of the fields the cases change (the query starts on line 12).
const SYNOPSIS_AT = { file: moviesConfig, line: 15, col: 7 };

interface Case {
  name: string;
  verdict: () => IndexVerdict;
  expected: Partial<IndexVerdict>;
}

const cases: Case[] = [
  {
    name: 'a removed field breaks, naming the field, its subgraph and the config line',
    verdict: () => check(studio, moviesConfig, 'movies', edit(sdl('movies'), '  synopsis: String\n', '')),
    expected: {
      classification: 'breaks',
      problems: [{ ...SYNOPSIS_AT, field: 'Movie.synopsis', subgraph: 'movies', message: 'Cannot query field "synopsis" on type "Movie".' }],
    },
  },
  {
    name: 'a retyped leaf (Int → String) needs a reindex: new mapping type, and the Avro reader cannot read it',
    verdict: () => check(studio, moviesConfig, 'movies', edit(sdl('movies'), 'releaseYear: Int', 'releaseYear: String')),
    expected: {
      classification: 'needs-reindex',
      changes: [{ path: 'releaseYear', field: 'Movie.releaseYear', change: 'Int → String; stored as integer, now string' }],
      avro: { readerCanRead: false, reason: 'cannot read "string" as ["null","int"]' },
      mappingIncompatible: ['releaseYear: integer → text'],
    },
  },
  {
    name: 'a leaf retyped to an object breaks: the query no longer validates',
    verdict: () => check(studio, moviesConfig, 'movies', `${edit(sdl('movies'), 'releaseYear: Int', 'releaseYear: Year')}\ntype Year {\n  value: Int!\n}\n`),
    expected: {
      classification: 'breaks',
      problems: [
        {
          file: moviesConfig,
          line: 17,
          col: 7,
          field: 'Movie.releaseYear',
          subgraph: 'movies',
          message: 'Field "releaseYear" of type "Year" must have a selection of subfields. Did you mean "releaseYear { ... }"?',
        },
      ],
    },
  },
  {
    // The provisioned schema holds a plain string; the new writer's ["null","string"] has a branch
    // it cannot hold, so the running pipeline cannot encode a null title with it until the new
    // schema version is provisioned (the mapping is unchanged: no new index version).
    name: 'a field made nullable needs a reindex of its Avro schema; the provisioned reader cannot hold a null',
    verdict: () => check(studio, moviesConfig, 'movies', edit(sdl('movies'), 'title: String!', 'title: String')),
    expected: {
      classification: 'needs-reindex',
      changes: [{ path: 'title', field: 'Movie.title', change: 'String! → String (now nullable)' }],
      avro: { readerCanRead: false, reason: 'cannot read "null" as "string"' },
      mappingIncompatible: [],
    },
  },
  {
    // An enum is an Avro enum in the documents: its symbols are part of the schema, and a reader
    // without the new symbol (and without a default) cannot read a value that has it. The mapping
    // stores enums as keywords, which take any new value in place.
    name: 'an enum value added needs a reindex of the Avro schema (not of the mapping): both fields that use the enum are named',
    verdict: () => check(studio, moviesConfig, 'talent', edit(sdl('talent'), '  COMPOSER\n', '  COMPOSER\n  STUNT_PERFORMER\n')),
    expected: {
      classification: 'needs-reindex',
      changes: [
        { path: 'cast.role', field: 'CastMember.role', change: 'enum TalentRole values added: STUNT_PERFORMER' },
        { path: 'cast.talent.roles', field: 'Talent.roles', change: 'enum TalentRole values added: STUNT_PERFORMER' },
      ],
      avro: { readerCanRead: false, reason: 'cannot read "fedsearch.movies.movie.cast.role.TalentRole" as "fedsearch.movies.movie.cast.role.TalentRole"' },
      mappingIncompatible: [],
    },
  },
  {
    // Records and enums are named after their GraphQL types, but a document's bytes depend only on
    // where they are: the provisioned reader reads the renamed writer (the new name is taken as an
    // alias at the same place), so the running pipeline goes on; provision records the new names.
    name: 'an enum renamed (same values) needs a reindex of the Avro schema that the provisioned reader still reads',
    verdict: () => check(studio, moviesConfig, 'talent', sdl('talent').replaceAll('TalentRole', 'Role')),
    expected: {
      classification: 'needs-reindex',
      changes: [
        { path: 'cast.role', field: 'CastMember.role', change: 'TalentRole! → Role!' },
        { path: 'cast.talent.roles', field: 'Talent.roles', change: '[TalentRole!]! → [Role!]!' },
      ],
      avro: { readerCanRead: true },
      mappingIncompatible: [],
    },
  },
  {
    name: 'a field added to a type the query selects from is compatible',
    verdict: () => check(studio, moviesConfig, 'movies', edit(sdl('movies'), 'title: String!', 'title: String!\n  tagline: String')),
    expected: { classification: 'compatible', problems: [], changes: [], warnings: [] },
  },
  {
    name: 'an optional argument added to a used field is compatible',
    verdict: () => check(studio, moviesConfig, 'movies', edit(sdl('movies'), 'synopsis: String', 'synopsis(language: String): String')),
    expected: { classification: 'compatible', problems: [] },
  },
  {
    name: 'a required argument added to a used field breaks',
    verdict: () => check(studio, moviesConfig, 'movies', edit(sdl('movies'), 'synopsis: String', 'synopsis(language: String!): String')),
    expected: {
      classification: 'breaks',
      problems: [{ ...SYNOPSIS_AT, field: 'Movie.synopsis', subgraph: 'movies', message: 'Field "synopsis" argument "language" of type "String!" is required, but it was not provided.' }],
    },
  },
  {
    name: 'the entity type renamed breaks: the root field returns another type, and fields other subgraphs add are gone from it',
    verdict: () => check(studio, moviesConfig, 'movies', sdl('movies').replaceAll('Movie', 'Film')),
    expected: {
      classification: 'breaks',
      problems: [
        { file: moviesConfig, line: 12, col: 5, field: 'Query.movie', subgraph: 'movies', message: 'the root field movie returns Film, but primary.type is Movie' },
        { file: moviesConfig, line: 22, col: 7, field: 'Movie.production', subgraph: 'productions', message: 'Cannot query field "production" on type "Film".' },
        { file: moviesConfig, line: 30, col: 7, field: 'Movie.cast', subgraph: 'talent', message: 'Cannot query field "cast" on type "Film".' },
      ],
    },
  },
  {
    name: 'the root field backfill.query lists ids with removed breaks, naming it and its subgraph at the backfill.query line',
    verdict: () => check(studio, moviesConfig, 'movies', edit(sdl('movies'), /  "Every movie in id order;[^\n]*\n  movies\(first: Int = 100, after: String\): MovieConnection!\n/, '')),
    expected: {
      classification: 'breaks',
      problems: [{ file: moviesConfig, line: 85, col: 7, field: 'Query.movies', subgraph: 'movies', message: 'Cannot query field "movies" on type "Query". Did you mean "movie"?' }],
    },
  },
  {
    // graphql-js reports it at the variable's definition, outside the root field's selection.
    name: "the root field's key argument retyped (ID! → String!) breaks, naming the root field that takes the variable",
    verdict: () => check(studio, moviesConfig, 'movies', edit(sdl('movies'), 'movie(movieId: ID!): Movie', 'movie(movieId: String!): Movie')),
    expected: {
      classification: 'breaks',
      problems: [{ file: moviesConfig, line: 11, col: 15, field: 'Query.movie', subgraph: 'movies', message: 'Variable "$id" of type "ID!" used in position expecting type "String!".' }],
    },
  },
  {
    name: "a subgraph's SDL as it is leaves the index unaffected (recomposing changes nothing)",
    verdict: () => check(studio, moviesConfig, 'talent', sdl('talent')),
    expected: { classification: 'unaffected', problems: [], changes: [], warnings: [] },
  },
  {
    name: 'a change to a type the query never reaches leaves the index unaffected',
    verdict: () => check(studio, moviesConfig, 'movies', edit(sdl('movies'), 'input MovieInput {', 'input MovieInput {\n  tagline: String')),
    expected: { classification: 'unaffected', problems: [], changes: [] },
  },
  {
    name: 'a used field deprecated is compatible, with a warning at its place in the config',
    verdict: () => check(studio, moviesConfig, 'movies', edit(sdl('movies'), 'synopsis: String', 'synopsis: String @deprecated(reason: "use logline")')),
    expected: { classification: 'compatible', warnings: [`${moviesConfig}:15:7: query: Movie.synopsis is deprecated: use logline`] },
  },
  {
    name: 'a change that does not compose breaks every index, naming the subgraph',
    verdict: () => check(studio, moviesConfig, 'talent', edit(sdl('talent'), '  cast: [CastMember!]!\n', '  cast: [CastMember!]!\n  title: Int!\n')),
    expected: { classification: 'breaks' },
  },
  {
    name: 'the key removed from an entity fetched by @key breaks (shop users), naming the key and the subgraphs that declared it',
    verdict: () => check(shop, shopUsersConfig, 'users', edit(shopSubgraphSdl('users'), 'type User @key(fields: "email")', 'type User')),
    expected: { classification: 'breaks' },
  },
];

describe('fedsearch check: what a graph change does to an index', () => {
  it.each(cases)('$name', ({ verdict, expected }) => {
    expect(verdict()).toMatchObject(expected);
  });

  it('words a composition failure with the subgraph that was changed', () => {
    const verdict = check(studio, moviesConfig, 'talent', edit(sdl('talent'), '  cast: [CastMember!]!\n', '  cast: [CastMember!]!\n  title: Int!\n'));
    expect(verdict.problems[0]).toMatchObject({ file: moviesConfig, subgraph: 'talent', field: null });
    expect(verdict.problems.map((problem) => problem.message).join('\n')).toMatch(/^the proposed graph does not compose: .*"Movie\.title"/m);
  });

  it('names the key and the subgraph that dropped it when removing it leaves the graph uncomposable (shop users)', () => {
    const verdict = check(shop, shopUsersConfig, 'users', edit(shopSubgraphSdl('users'), 'type User @key(fields: "email")', 'type User'));
    // Apollo reports each query path to User.name that can no longer be planned; every one is this key.
    expect(verdict.problems.length).toBeGreaterThan(0);
    for (const problem of verdict.problems) {
      expect(problem).toMatchObject({ file: shopUsersConfig, line: 14, col: 3, field: 'User @key', subgraph: 'users' });
      expect(problem.message).toContain('because type "User" has no @key defined in subgraph "users"');
    }
  });

  it('breaks a fetch-by-key index when another subgraph declares a @key ahead of the one it fetches by, naming the key and that subgraph', () => {
    // products lists its subgraph before users, so its new @key(fields: "id") becomes User's first
    // key: shop-users (no primary.key) would look up the emails its events give as ids.
    const products = edit(shopSubgraphSdl('products'), 'type User @key(fields: "email") {\n  email: ID! @shareable', 'type User @key(fields: "id") @key(fields: "email") {\n  id: ID!\n  email: ID! @shareable');
    const report = checkReport('products=products.graphql', [check(shop, shopUsersConfig, 'products', products)]);
    expect(report).toMatchObject({ failed: true, summary: { breaks: 1, 'needs-reindex': 0 } });
    expect(formatCheckReport(report).split('\n').slice(1, 3)).toEqual([
      `shop-users (${shopUsersConfig}): breaks`,
      `  ${shopUsersConfig}:21:3: User @key (subgraph products): User would be fetched by @key(fields: "id") instead of "email", which primary.events give: ` +
        'every fetch would find nothing and delete the document; set primary.key: "email" to keep fetching by it',
    ]);
  });

  it('a new implementation of the interface an index fetches (shop-catalog, ProductItf) is compatible, naming the type and the restart it needs', () => {
    const gift = `${shopSubgraphSdl('products')}\ntype Gift implements ProductItf @key(fields: "sku package") {\n  sku: String!\n  package: String!\n  name: String!\n  createdBy: User\n  media: [Media!]!\n}\n`;
    const report = checkReport('products=products.graphql', [check(shop, shopCatalogConfig, 'products', gift)]);
    expect(report).toMatchObject({ failed: false, summary: { compatible: 1, unaffected: 0 } });
    expect(formatCheckReport(report).split('\n').slice(1, 3)).toEqual([
      `shop-catalog (${shopCatalogConfig}): compatible (nothing its documents hold changes)`,
      '  ProductItf: possible types added: Gift; documents may now record them as __typename, and the search subgraph ' +
        'a running `fedsearch serve` built for the old types drops their hits: restart it when the change ships',
    ]);
  });

  // media selects url only `... on Image` and `... on Video`: an Audio item has none, so the shape changes too.
  it('a new member of a union the query reaches (shop-catalog media) names the union beside the shape change it makes', () => {
    const audio = edit(shopSubgraphSdl('products'), 'union Media = Image | Video', 'union Media = Image | Video | Audio\ntype Audio {\n  url: String!\n}');
    const verdict = check(shop, shopCatalogConfig, 'products', audio);
    expect(verdict).toMatchObject({ classification: 'needs-reindex', reasons: [expect.stringMatching(/^Media: possible types added: Audio;/)] });
  });

  it('prints a report a person reads in a CI log, and fails only at the chosen classification', () => {
    const removed = check(studio, moviesConfig, 'movies', edit(sdl('movies'), '  synopsis: String\n', ''));
    const nullable = check(studio, moviesConfig, 'movies', edit(sdl('movies'), 'title: String!', 'title: String'));
    expect(checkReport('movies=movies.graphql', [nullable]).failed).toBe(false);
    expect(checkReport('movies=movies.graphql', [nullable], 'needs-reindex').failed).toBe(true);
    const report = checkReport('movies=movies.graphql', [removed, nullable]);
    expect(report).toMatchObject({ failed: true, summary: { breaks: 1, 'needs-reindex': 1, compatible: 0, unaffected: 0 } });
    expect(formatCheckReport(report)).toBe(
      [
        'checking movies=movies.graphql against 2 index configs',
        `movies (${moviesConfig}): breaks`,
        `  ${moviesConfig}:15:7: Movie.synopsis (subgraph movies): Cannot query field "synopsis" on type "Movie".`,
        `movies (${moviesConfig}): needs reindex`,
        '  title (Movie.title): String! → String (now nullable)',
        '  Avro: the provisioned reader cannot read the new writer (cannot read "null" as "string"): the running pipeline writes with the provisioned schema, which cannot hold the new values',
        `  mapping: the live index takes it in place; next: \`fedsearch provision ${moviesConfig}\` when the change ships (records the new Avro schema version)`,
        '1 breaks, 1 needs reindex, 0 compatible, 0 unaffected — failing (--fail-on breaks)',
      ].join('\n'),
    );
  });
});
