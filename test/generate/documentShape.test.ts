import { print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { documentShape } from '../../src/index/documentShape.ts';
import type { ObjectShape, ShapeNode } from '../../src/index/documentShape.ts';
import { UserError } from '../../src/errors.ts';
import { filmSchema } from './filmSchema.ts';
import { parsedQuery } from './queryModel.ts';
import { queryTemplate } from '../../src/graph/validateQueryTemplate.ts';

const schema = filmSchema();

function shapeOf(query: string, scalars: Record<string, 'double' | 'keyword'> = { Money: 'double', Json: 'keyword' }): ObjectShape {
  return documentShape(schema, parsedQuery(query), { scalars }).root;
}

/** The node at a dotted path, so a test can look at one corner of a big tree. */
function at(root: ObjectShape, path: string): ShapeNode {
  let node: ShapeNode = root;
  for (const key of path.split('.')) {
    if (node.kind === 'scalar' || node.kind === 'enum') throw new Error(`${node.path} is a leaf`);
    const child: ShapeNode | undefined = node.fields.find((field) => field.key === key);
    if (child === undefined) throw new Error(`no ${key} under ${node.path || '<root>'}`);
    node = child;
  }
  return node;
}

const keys = (node: ShapeNode): string[] => (node.kind === 'object' || node.kind === 'abstract' ? node.fields.map((field) => field.key) : []);

describe('documentShape', () => {
  it('maps scalars, aliases, enums, custom scalars and list nesting with nullability at every level', () => {
    const root = shapeOf(`
      query Film($id: ID!) {
        film(id: $id) { filmId: id title rating released genres seatMap scores budget premieredAt }
      }
    `);
    const leaf = { listDepth: 0, description: null, kind: 'scalar' };
    expect(root).toEqual({
      key: 'film',
      path: '',
      fieldName: 'film',
      typeName: 'Film',
      nonNull: [false],
      listDepth: 0,
      description: null,
      kind: 'object',
      possibleTypes: ['Film'],
      fields: [
        { ...leaf, key: 'filmId', path: 'filmId', fieldName: 'id', typeName: 'ID', nonNull: [true], storage: 'keyword' },
        { ...leaf, key: 'title', path: 'title', fieldName: 'title', typeName: 'String', nonNull: [true], storage: 'string' },
        {
          ...leaf,
          key: 'rating',
          path: 'rating',
          fieldName: 'rating',
          typeName: 'Float',
          nonNull: [false],
          description: 'Average audience rating, 1 to 10.',
          storage: 'double',
        },
        { ...leaf, key: 'released', path: 'released', fieldName: 'released', typeName: 'Boolean', nonNull: [true], storage: 'boolean' },
        {
          key: 'genres',
          path: 'genres',
          fieldName: 'genres',
          typeName: 'Genre',
          nonNull: [true, true],
          listDepth: 1,
          description: null,
          kind: 'enum',
          storage: 'keyword',
          values: ['DRAMA', 'COMEDY', 'THRILLER'],
        },
        {
          ...leaf,
          key: 'seatMap',
          path: 'seatMap',
          fieldName: 'seatMap',
          typeName: 'Int',
          nonNull: [true, false, true],
          listDepth: 2,
          description: 'Seat numbers by row.',
          storage: 'integer',
        },
        { ...leaf, key: 'scores', path: 'scores', fieldName: 'scores', typeName: 'Float', nonNull: [false, false, false], listDepth: 2, storage: 'double' },
        { ...leaf, key: 'budget', path: 'budget', fieldName: 'budget', typeName: 'Money', nonNull: [false], storage: 'double' },
        { ...leaf, key: 'premieredAt', path: 'premieredAt', fieldName: 'premieredAt', typeName: 'DateTime', nonNull: [false], storage: 'date' },
      ],
    });
  });

  it('merges named and inline fragments, and repeated response keys, into one field each', () => {
    const root = shapeOf(`
      query Film($id: ID!) {
        film(id: $id) {
          ...Basics
          director { name }
          ... on Film { director { id born } title }
          ... on Node { id }
        }
      }
      fragment Basics on Film { id title director { name ...PersonNames } }
      fragment PersonNames on Person { nicknames }
    `);
    expect(keys(root)).toEqual(['id', 'title', 'director']);
    expect(keys(at(root, 'director'))).toEqual(['name', 'nicknames', 'id', 'born']);
    expect(at(root, 'director')).toMatchObject({ kind: 'object', typeName: 'Person', nonNull: [false], path: 'director' });
    expect(at(root, 'director.name')).toMatchObject({ path: 'director.name', nonNull: [true] });
    expect(at(root, 'director.id')).toMatchObject({ nonNull: [true], storage: 'keyword' });
    expect(at(root, 'director.nicknames')).toMatchObject({ nonNull: [false, true], listDepth: 1 });
    expect(at(root, 'id')).toMatchObject({ nonNull: [true] });
  });

  it('merges an interface selection: fields only some implementations select are nullable, even below them', () => {
    const root = shapeOf(`
      query Film($id: ID!) {
        film(id: $id) {
          credits {
            __typename
            billing
            person { name }
            ... on ActingCredit { character }
            ... on CrewCredit { department person { id } }
          }
        }
      }
    `);
    const credits = at(root, 'credits');
    expect(credits).toMatchObject({
      kind: 'abstract',
      typeName: 'Credit',
      possibleTypes: ['ActingCredit', 'CrewCredit'],
      nonNull: [true, true],
      listDepth: 1,
    });
    expect(keys(credits)).toEqual(['__typename', 'billing', 'person', 'character', 'department']);
    expect(at(root, 'credits.__typename')).toEqual({
      key: '__typename',
      path: 'credits.__typename',
      fieldName: '__typename',
      typeName: 'String',
      nonNull: [true],
      listDepth: 0,
      description: 'The name of the current Object type at runtime.',
      kind: 'scalar',
      storage: 'keyword',
    });
    expect(at(root, 'credits.billing')).toMatchObject({ nonNull: [false] });
    expect(at(root, 'credits.person')).toMatchObject({ nonNull: [true], kind: 'object' });
    expect(at(root, 'credits.person.name')).toMatchObject({ nonNull: [true] });
    // An acting credit's person is selected without `id`.
    expect(at(root, 'credits.person.id')).toMatchObject({ nonNull: [false] });
    expect(at(root, 'credits.character')).toMatchObject({ nonNull: [false] });
    expect(at(root, 'credits.department')).toMatchObject({ nonNull: [false] });
  });

  it('keeps a field non-null when fragments on every implementation select it', () => {
    const root = shapeOf(`
      query Film($id: ID!) {
        film(id: $id) {
          credits { ... on ActingCredit { person { id } } ... on CrewCredit { person { id } } }
        }
      }
    `);
    expect(at(root, 'credits.person')).toMatchObject({ nonNull: [true] });
    expect(at(root, 'credits.person.id')).toMatchObject({ nonNull: [true] });
  });

  it('merges a union selection with an aliased __typename', () => {
    const root = shapeOf(`
      query Film($id: ID!) {
        film(id: $id) {
          recognitions {
            kind: __typename
            ... on Award { name year }
            ... on Nomination { name category }
          }
        }
      }
    `);
    expect(at(root, 'recognitions')).toMatchObject({
      kind: 'abstract',
      typeName: 'Recognition',
      possibleTypes: ['Award', 'Nomination'],
      nonNull: [true, false],
    });
    expect(keys(at(root, 'recognitions'))).toEqual(['kind', 'name', 'year', 'category']);
    expect(at(root, 'recognitions.kind')).toMatchObject({ fieldName: '__typename', storage: 'keyword', nonNull: [true] });
    expect(at(root, 'recognitions.name')).toMatchObject({ nonNull: [true] });
    expect(at(root, 'recognitions.year')).toMatchObject({ nonNull: [false], storage: 'integer' });
    expect(at(root, 'recognitions.category')).toMatchObject({ nonNull: [false] });
  });

  it('treats fields under @skip/@include as nullable, but not what they select when present', () => {
    const root = shapeOf(`
      query Film($id: ID!, $full: Boolean!) {
        film(id: $id) {
          title @include(if: $full)
          released
          ... @skip(if: $full) { rating id }
          director @include(if: $full) { name }
          sequel { title }
          sequel @include(if: $full) { id }
        }
      }
    `);
    expect(at(root, 'title')).toMatchObject({ nonNull: [false] });
    expect(at(root, 'released')).toMatchObject({ nonNull: [true] });
    expect(at(root, 'id')).toMatchObject({ nonNull: [false] });
    expect(at(root, 'director.name')).toMatchObject({ nonNull: [true] });
    expect(at(root, 'sequel.title')).toMatchObject({ nonNull: [true] });
    expect(at(root, 'sequel.id')).toMatchObject({ nonNull: [false] });
  });

  it('roots the document at an interface when the root field returns one', () => {
    const root = shapeOf(`query Node($id: ID!) { node(id: $id) { id __typename ... on Film { title } } }`);
    expect(root).toMatchObject({ kind: 'abstract', typeName: 'Node', possibleTypes: ['Person', 'Film'] });
    expect(at(root, 'id')).toMatchObject({ nonNull: [true] });
    expect(at(root, 'title')).toMatchObject({ nonNull: [false] });
  });

  it('records the concrete type of every interface or union value the template fetches, unless the query selects it', () => {
    const template = queryTemplate(
      schema,
      `query Node($id: ID!) { node(id: $id) { id ... on Film { recognitions { ... on Award { name } } credits { __typename billing } } } }`,
    );
    const root = documentShape(schema, template, { scalars: { Money: 'double', Json: 'keyword' } }).root;
    expect(keys(root)).toEqual(['__typename', 'id', 'recognitions', 'credits']);
    expect(at(root, '__typename')).toMatchObject({ storage: 'keyword', nonNull: [true] });
    expect(keys(at(root, 'recognitions'))).toEqual(['__typename', 'name']);
    // Selected already: not twice.
    expect(keys(at(root, 'credits'))).toEqual(['__typename', 'billing']);
    expect(print(template.operation)).toContain('node(id: $id) {\n    __typename\n');
  });

  it('names an unknown custom scalar, where it is used, and the config key that fixes it', () => {
    const query = `query Film($id: ID!) { film(id: $id) { extra budget director { name } sequel { extra } } }`;
    const failure = (): unknown => documentShape(schema, parsedQuery(query), {});
    expect(failure).toThrow(UserError);
    expect(failure).toThrow(
      'No storage kind for custom scalars:\n  Json (at extra, sequel.extra)\n  Money (at budget)\n' +
        'Add them under `scalars:` in the index config, e.g. `scalars: { Json: keyword }` (one of string, keyword, text, date, long, double, boolean).',
    );
  });

  it('lets `scalars` override a built-in mapping', () => {
    const root = documentShape(schema, parsedQuery(`query Film($id: ID!) { film(id: $id) { seatMap } }`), { scalars: { Int: 'long' } }).root;
    expect(at(root, 'seatMap')).toMatchObject({ storage: 'long' });
  });

  // The query's own rules are checked once, before any shape is built (checkQueryTemplate).
  it.each([
    ['an invalid query', `query Film($id: ID!) { film(id: $id) { nope } }`, '1:40 Cannot query field "nope" on type "Film".'],
    ['two operations', `query A { version } query B { version }`, 'exactly one operation, found 2'],
    ['a mutation', `mutation ($id: ID!) { touch(id: $id) { id } }`, 'must be a query, not a mutation'],
    ['two root fields', `query ($id: ID!) { film(id: $id) { id } version }`, 'exactly one root field'],
    ['a scalar root', `query ($id: ID!) { version(id: $id) }`, 'must return an object'],
    ['a list root', `query ($id: ID!) { films(id: $id) { id } }`, 'returns a list'],
    ['no id variable', `query { film(id: "1") { id } }`, 'must declare at least one variable'],
  ])('rejects %s before building a shape', (_, query, message) => {
    expect(() => queryTemplate(schema, query)).toThrow(UserError);
    expect(() => queryTemplate(schema, query)).toThrow(message);
  });

  it('builds the shape of a template that passed the checks', () => {
    const template = queryTemplate(schema, `query Film($id: ID!) { film(id: $id) { title } }`);
    expect(template).toMatchObject({ key: [{ variable: 'id', argument: 'id', documentPath: 'id' }], rootFieldName: 'film', rootKey: 'film', fetchByKey: null });
    expect(documentShape(schema, template).root.fields.map((field) => field.path)).toEqual(['title']);
  });
});
