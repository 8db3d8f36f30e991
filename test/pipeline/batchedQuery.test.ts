import { readFileSync } from 'node:fs';
import { buildSchema, Kind, print, validate, type FieldNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { OTHER_KEYS_SCHEMA } from '../support/otherKeys.ts';
import { parseIndexConfig } from '../../src/config/loadIndexConfig.ts';
import { loadGraphSchema } from '../../src/graph/loadGraphSchema.ts';
import { queryTemplate, validateQueryTemplate, type QueryTemplate } from '../../src/graph/validateQueryTemplate.ts';
import { batchedQuery, idProblem } from '../../src/pipeline/batchedQuery.ts';

const SUPERGRAPH = new URL('../../subgraphs/supergraph.graphql', import.meta.url).pathname;
const MOVIES_CONFIG = new URL('../../index-configs/movies.yaml', import.meta.url).pathname;

/** A template as the pipeline gets it: through the config loader and the template validator. */
function templateOf(query: string, schema: GraphQLSchema): QueryTemplate {
  // YAML is a superset of JSON, so a config can be written as an object.
  const yaml = JSON.stringify({
    index: 'movies',
    gateway: { url: 'http://127.0.0.1:4000/graphql' },
    query,
    primary: { type: 'Movie', events: [{ topic: 'studio.movie.changes', id: 'after.movieId' }] },
  });
  return validateQueryTemplate(parseIndexConfig(yaml, 'test.yaml', {}), schema);
}

const operationOf = (template: QueryTemplate, count: number): OperationDefinitionNode => {
  const [operation] = batchedQuery(template, count).document.definitions;
  if (operation?.kind !== Kind.OPERATION_DEFINITION) throw new Error('the batched document must start with its operation');
  return operation;
};
const rootFieldsOf = (operation: OperationDefinitionNode): FieldNode[] =>
  operation.selectionSet.selections.filter((s): s is FieldNode => s.kind === Kind.FIELD);

describe('batchedQuery', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await loadGraphSchema({ schemaFile: SUPERGRAPH });
  });

  it('repeats the root field under e0…e{n-1}, each reading its own id variable', () => {
    const template = templateOf('query Movie($id: ID!) { movie(movieId: $id) { movieId title } }', schema);
    const batched = batchedQuery(template, 3);
    expect(batched.text).toBe(
      [
        'query MovieBatch($id0: ID!, $id1: ID!, $id2: ID!) {',
        '  e0: movie(movieId: $id0) {',
        '    movieId',
        '    title',
        '  }',
        '  e1: movie(movieId: $id1) {',
        '    movieId',
        '    title',
        '  }',
        '  e2: movie(movieId: $id2) {',
        '    movieId',
        '    title',
        '  }',
        '}',
      ].join('\n'),
    );
    expect(print(batched.document)).toBe(batched.text);
    expect([0, 1, 2].map((i) => batched.responseKey(i))).toEqual(['e0', 'e1', 'e2']);
    expect(batched.variables(['mov-1', 'mov-2', 'mov-3'])).toEqual({ id0: 'mov-1', id1: 'mov-2', id2: 'mov-3' });
    expect(() => batched.variables(['mov-1'])).toThrow(/takes 3 ids, not 1/);
    expect(validate(schema, batched.document)).toEqual([]);
  });

  it('validates against the demo graph for the movies index query, at every batch size used', () => {
    const config = parseIndexConfig(readFileSync(MOVIES_CONFIG, 'utf8'), MOVIES_CONFIG, {});
    const template = validateQueryTemplate(config, schema);
    for (const count of [1, 2, 25, 100]) {
      const batched = batchedQuery(template, count);
      expect(validate(schema, batched.document), `batch of ${count}`).toEqual([]);
      const operation = operationOf(template, count);
      expect(operation.name?.value).toBe('MovieBatch');
      expect(rootFieldsOf(operation).map((field) => field.alias?.value)).toEqual(Array.from({ length: count }, (_, i) => `e${i}`));
    }
    // The nested selections (production, cast.talent) are kept whole in every copy.
    const copies = rootFieldsOf(operationOf(template, 25)).map((field) => print(field).replace(/^e\d+: movie\(movieId: \$id\d+\)/, ''));
    expect(new Set(copies).size).toBe(1);
    expect(copies[0]).toMatch(/cast \{[^}]*talent \{\s*talentId/);
  });

  it('keeps named fragments once, spread into every copy', () => {
    const template = templateOf(
      `query Movie($id: ID!) { movie(movieId: $id) { ...MovieParts } }
       fragment MovieParts on Movie { movieId title cast { ...CastParts } }
       fragment CastParts on CastMember { role talent { name } }`,
      schema,
    );
    const batched = batchedQuery(template, 4);
    const fragments = batched.document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
    expect(fragments.map((f) => f.name.value)).toEqual(['MovieParts', 'CastParts']);
    expect(batched.text.match(/\.\.\.MovieParts/g)).toHaveLength(4);
    expect(batched.text.match(/\.\.\.CastParts/g)).toHaveLength(1);
    expect(validate(schema, batched.document)).toEqual([]);
  });

  it('replaces an alias the template gave its root field', () => {
    const template = templateOf('query Film($id: ID!) { film: movie(movieId: $id) { movieId } }', schema);
    expect(template.rootKey).toBe('film');
    const batched = batchedQuery(template, 2);
    expect(rootFieldsOf(operationOf(template, 2)).map((field) => [field.alias?.value, field.name.value])).toEqual([
      ['e0', 'movie'],
      ['e1', 'movie'],
    ]);
    expect(batched.text).not.toContain('film:');
    expect(batched.text).toMatch(/^query FilmBatch\(/);
    expect(validate(schema, batched.document)).toEqual([]);
  });

  it('names an anonymous operation after the entity type and keeps the id variable type', () => {
    const template = templateOf('query ($movieId: ID!) { movie(movieId: $movieId) { title } }', schema);
    const batched = batchedQuery(template, 2);
    expect(batched.text).toMatch(/^query MovieBatch\(\$id0: ID!, \$id1: ID!\) \{/);
    expect(validate(schema, batched.document)).toEqual([]);
  });

  it('inlines a fragment that uses the id variable, since each copy needs its own id', () => {
    const filmSchema = buildSchema(`
      type Query { movie(movieId: ID!): Movie }
      type Movie { movieId: ID! title: String! creditsFor(movieId: ID!): [String!]! similar: [Movie!]! }
    `);
    const template = templateOf(
      `query Movie($id: ID!) { movie(movieId: $id) { ...Credits similar { ...Title } } }
       fragment Credits on Movie { movieId creditsFor(movieId: $id) ...Title }
       fragment Title on Movie { title }`,
      filmSchema,
    );
    const batched = batchedQuery(template, 2);
    expect(validate(filmSchema, batched.document)).toEqual([]);
    expect(batched.text).toContain('creditsFor(movieId: $id0)');
    expect(batched.text).toContain('creditsFor(movieId: $id1)');
    expect(batched.text).not.toContain('$id)');
    const fragments = batched.document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
    expect(fragments.map((f) => f.name.value)).toEqual(['Title']);
  });

  it('builds each batch size once per template', () => {
    const template = templateOf('query Movie($id: ID!) { movie(movieId: $id) { movieId } }', schema);
    expect(batchedQuery(template, 25)).toBe(batchedQuery(template, 25));
    expect(batchedQuery(template, 24)).not.toBe(batchedQuery(template, 25));
    expect(() => batchedQuery(template, 0)).toThrow(RangeError);
  });
});

describe('a key of another type than ID', () => {
  
  it('an Int! id is sent as a number, declared Int! in the batch, and an id that is no Int is refused before any request', () => {
    const template = queryTemplate(OTHER_KEYS_SCHEMA, 'query Review($id: Int!) { review(id: $id) { id body } }');
    expect(template.key).toEqual([{ variable: 'id', argument: 'id', documentPath: 'id', typeName: 'Int', kind: 'int' }]);
    const batch = batchedQuery(template, 2);
    expect(batch.text).toContain('$id0: Int!');
    expect(validate(OTHER_KEYS_SCHEMA, batch.document)).toEqual([]);
    expect(batch.variables(['7', '-12'])).toEqual({ id0: 7, id1: -12 });
    expect(idProblem(template, '42')).toBeNull();
    expect(idProblem(template, 'rev-1')).toBe('the id "rev-1" is not an Int, which $id takes');
    expect(idProblem(template, '2147483648')).toMatch(/is not an Int/);
  });

  it('a custom scalar id is sent as the string it is', () => {
    const template = queryTemplate(OTHER_KEYS_SCHEMA, 'query Product($sku: Sku!) { product(sku: $sku) { sku name } }');
    expect(template.key).toMatchObject([{ typeName: 'Sku', kind: 'string' }]);
    expect(batchedQuery(template, 1).variables(['SKU-9'])).toEqual({ id0: 'SKU-9' });
    expect(idProblem(template, 'anything at all')).toBeNull();
  });

  it('a composite key takes one variable per field; its id is a JSON object of them, in the key\'s order', () => {
    const template = queryTemplate(OTHER_KEYS_SCHEMA, 'query Parcel($sku: Sku!, $box: Int!) { parcel(sku: $sku, box: $box) { sku box weight } }');
    expect(template.key.map((part) => [part.documentPath, part.kind])).toEqual([['sku', 'string'], ['box', 'int']]);
    const batch = batchedQuery(template, 2);
    expect(batch.text).toContain('e1: parcel(sku: $id1_0, box: $id1_1)');
    expect(validate(OTHER_KEYS_SCHEMA, batch.document)).toEqual([]);
    expect(batch.variables(['{"sku":"S-1","box":3}', '{"sku":"S-2","box":"4"}'])).toEqual({ id0_0: 'S-1', id0_1: 3, id1_0: 'S-2', id1_1: 4 });
    expect(idProblem(template, 'S-1')).toMatch(/not a composite key \(a JSON object of sku, box\)/);
    expect(idProblem(template, '{"sku":"S-1"}')).toMatch(/has no box/);
    expect(idProblem(template, '{"sku":"S-1","box":"x"}')).toMatch(/is not an Int at box/);
  });
});
