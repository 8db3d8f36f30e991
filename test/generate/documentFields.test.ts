import { describe, expect, it } from 'vitest';
import { documentFields } from '../../src/index/documentFields.ts';
import type { DocumentField } from '../../src/index/documentFields.ts';
import { documentShape } from '../../src/index/documentShape.ts';
import { filmSchema } from './filmSchema.ts';
import { modelOf, parsedQuery } from './queryModel.ts';

const schema = filmSchema();

const plain: Omit<DocumentField, 'path' | 'graphqlType' | 'storage' | 'esType' | 'exactField'> = {
  kind: 'scalar',
  enumValues: null,
  multiValued: false,
  nested: false,
  nestedPath: null,
  nestedPaths: [],
  facet: false,
  sortable: false,
  indexed: true,
  textField: null,
  lowercaseField: null,
  suggestField: null,
};

describe('documentFields', () => {
  it('lists every leaf with where each kind of condition goes', () => {
    const shape = documentShape(
      schema,
      parsedQuery(`
        query Film($id: ID!) {
          film(id: $id) { filmId: id title rating genres extra credits { __typename person { name } } sequel { title } }
        }
      `),
      { scalars: { Json: 'text' } },
    );
    const fields = documentFields(shape, {
      title: { suggest: true, facet: true },
      rating: { sortable: true },
      genres: { facet: true },
      extra: { excluded: true },
      credits: { nested: true },
      'credits.person.name': { analyzer: 'name' },
      sequel: { excluded: true },
    });
    const expected: DocumentField[] = [
      { ...plain, path: 'filmId', graphqlType: 'ID', storage: 'keyword', esType: 'keyword', exactField: 'filmId' },
      {
        ...plain,
        path: 'title',
        graphqlType: 'String',
        storage: 'string',
        facet: true,
        esType: 'text',
        exactField: 'title.keyword',
        textField: 'title',
        lowercaseField: 'title.lowercase',
        suggestField: 'title.suggest',
      },
      { ...plain, path: 'rating', graphqlType: 'Float', storage: 'double', sortable: true, esType: 'double', exactField: 'rating' },
      {
        ...plain,
        path: 'genres',
        graphqlType: 'Genre',
        kind: 'enum',
        storage: 'keyword',
        enumValues: ['DRAMA', 'COMEDY', 'THRILLER'],
        multiValued: true,
        facet: true,
        esType: 'keyword',
        exactField: 'genres',
      },
      { ...plain, path: 'extra', graphqlType: 'Json', storage: 'text', esType: 'text', indexed: false, exactField: null },
      {
        ...plain,
        path: 'credits.__typename',
        graphqlType: 'String',
        storage: 'keyword',
        multiValued: true,
        nested: true,
        nestedPath: 'credits',
        nestedPaths: ['credits'],
        esType: 'keyword',
        exactField: 'credits.__typename',
      },
      {
        ...plain,
        path: 'credits.person.name',
        graphqlType: 'String',
        storage: 'string',
        multiValued: true,
        nested: true,
        nestedPath: 'credits',
        nestedPaths: ['credits'],
        esType: 'text',
        exactField: 'credits.person.name.keyword',
        textField: 'credits.person.name',
        lowercaseField: 'credits.person.name.lowercase',
      },
      // Inside an excluded object: known, so a search on it can say it is not indexed.
      { ...plain, path: 'sequel.title', graphqlType: 'String', storage: 'string', esType: 'text', indexed: false, exactField: null },
    ];
    expect(fields).toEqual(expected);
  });

  it('names every nested ancestor, outermost first', () => {
    const shape = documentShape(schema, parsedQuery(`query Film($id: ID!) { film(id: $id) { related { credits { billing } } } }`));
    const [billing] = documentFields(shape, { related: { nested: true }, 'related.credits': { nested: true } });
    expect(billing).toMatchObject({
      path: 'related.credits.billing',
      nested: true,
      nestedPath: 'related.credits',
      nestedPaths: ['related', 'related.credits'],
      multiValued: true,
    });
  });

  it('checks the options once, when the document model is built', () => {
    expect(() => modelOf(schema, `query Film($id: ID!) { film(id: $id) { title } }`, { fields: { titel: {} } })).toThrow(
      'titel (did you mean `title`?)',
    );
  });
});
