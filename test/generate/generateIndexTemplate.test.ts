import { buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { FieldOptions } from '../../src/config/indexConfig.ts';
import { UserError } from '../../src/errors.ts';
import { templatePriority } from '../../src/generate/generateIndexTemplate.ts';
import { modelOf, templateOf } from './queryModel.ts';
import { filmSchema } from './filmSchema.ts';
import { STRING } from './expectedMappings.ts';

const schema = filmSchema();
const scalars = { Money: 'long', Json: 'text' } as const;

const FILM_QUERY = parse(`
  query Film($id: ID!) {
    film(id: $id) {
      filmId: id title rating released genres seatMap budget premieredAt extra
      credits { __typename person { name nicknames } ... on ActingCredit { character } }
      recognitions { ... on Award { name year } }
      director { name born }
      sequel { title }
    }
  }
`);

const FILM_FIELDS: Record<string, FieldOptions> = {
  title: { suggest: true, sortable: true },
  rating: { sortable: true },
  genres: { facet: true },
  extra: { excluded: true },
  credits: { nested: true },
  'credits.person.name': { analyzer: 'name', suggest: true },
  'credits.person.nicknames': { keyword: true },
  'credits.character': { text: true, keyword: false },
  'director.born': { excluded: true },
  sequel: { excluded: true },
};

describe('generateIndexTemplate', () => {
  it('maps every field of the document by its type and options', () => {
    const template = templateOf(schema, FILM_QUERY, { index: 'films', fields: FILM_FIELDS, scalars });
    expect(template.template.mappings.properties).toEqual({
      filmId: { type: 'keyword' },
      title: {
        type: 'text',
        analyzer: 'fedsearch_folded',
        fields: {
          ...STRING.fields,
          suggest: { type: 'text', analyzer: 'fedsearch_autocomplete', search_analyzer: 'fedsearch_folded' },
        },
      },
      rating: { type: 'double' },
      released: { type: 'boolean' },
      genres: { type: 'keyword' },
      seatMap: { type: 'integer' },
      budget: { type: 'long' },
      premieredAt: { type: 'date' },
      extra: { type: 'text', index: false },
      credits: {
        type: 'nested',
        properties: {
          __typename: { type: 'keyword' },
          person: {
            type: 'object',
            properties: {
              name: {
                type: 'text',
                analyzer: 'fedsearch_name',
                fields: {
                  ...STRING.fields,
                  suggest: { type: 'text', analyzer: 'fedsearch_name_autocomplete', search_analyzer: 'fedsearch_name' },
                },
              },
              nicknames: {
                type: 'keyword',
                fields: { lowercase: { type: 'keyword', normalizer: 'fedsearch_lowercase', ignore_above: 256 } },
              },
            },
          },
          character: { type: 'text', analyzer: 'fedsearch_folded' },
        },
      },
      recognitions: { type: 'object', properties: { name: STRING, year: { type: 'integer' } } },
      director: {
        type: 'object',
        properties: { name: STRING, born: { type: 'date', index: false, doc_values: false } },
      },
      sequel: { type: 'object', enabled: false },
    });
  });

  it('sets the refresh interval a config asks for, in whole milliseconds (Elasticsearch refuses 1.5s)', () => {
    expect(templateOf(schema, FILM_QUERY, { index: 'films', fields: FILM_FIELDS, scalars, elasticsearch: { shards: 1, replicas: 0, refreshInterval: 5 } }).template.settings.refresh_interval).toBe('5000ms');
    expect(templateOf(schema, FILM_QUERY, { index: 'films', fields: FILM_FIELDS, scalars, elasticsearch: { shards: 1, replicas: 0, refreshInterval: 1.5 } }).template.settings.refresh_interval).toBe('1500ms');
  });

  it('wraps the mappings in a composable template for the index versions, strict, with its provenance', () => {
    const template = templateOf(schema, FILM_QUERY, {
      index: 'films',
      fields: FILM_FIELDS,
      scalars,
      elasticsearch: { shards: 2, replicas: 0 },
    });
    expect(template.index_patterns).toEqual(['films_v*']);
    // films_v* also matches films_variants_v1: the longer name's template is the one that wins there.
    expect(template.priority).toBe(205);
    expect(templatePriority('films_variants')).toBeGreaterThan(templatePriority('films'));
    expect(template.template.settings.number_of_shards).toBe(2);
    expect(template.template.settings.number_of_replicas).toBe(0);
    expect(template.template.mappings.dynamic).toBe('strict');
    expect(template.template.mappings._meta).toEqual({
      generator: 'fedsearch',
      index: 'films',
      entityType: 'Film',
      rootField: 'film',
      querySha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      nestedPaths: ['credits'],
    });

    const otherQuery = parse(`query Film($id: ID!) { film(id: $id) { filmId: id } }`);
    const other = templateOf(schema, otherQuery, { index: 'films', priority: 300 });
    expect(other.template.mappings._meta.querySha256).not.toBe(template.template.mappings._meta.querySha256);
    expect(other.priority).toBe(300);
    expect(other.template.settings).not.toHaveProperty('number_of_shards');
    // Unset, Elasticsearch's default stays (which skips refreshes while nobody searches).
    expect(other.template.settings).not.toHaveProperty('refresh_interval');
    expect(other.template.mappings._meta.nestedPaths).toEqual([]);
  });

  it('defines the analysis the mappings use, from built-in components only', () => {
    const { analysis } = templateOf(schema, FILM_QUERY, { index: 'films', scalars }).template.settings;
    expect(analysis).toEqual({
      filter: {
        fedsearch_edge_ngram: { type: 'edge_ngram', min_gram: 1, max_gram: 20 },
        fedsearch_name_parts: {
          type: 'word_delimiter_graph',
          catenate_words: true,
          preserve_original: false,
          split_on_case_change: false,
          split_on_numerics: false,
          stem_english_possessive: false,
        },
      },
      analyzer: {
        fedsearch_folded: { type: 'custom', tokenizer: 'standard', filter: ['lowercase', 'asciifolding'] },
        fedsearch_name: { type: 'custom', tokenizer: 'whitespace', filter: ['fedsearch_name_parts', 'lowercase', 'asciifolding'] },
        fedsearch_autocomplete: { type: 'custom', tokenizer: 'standard', filter: ['lowercase', 'asciifolding', 'fedsearch_edge_ngram'] },
        fedsearch_name_autocomplete: {
          type: 'custom',
          tokenizer: 'whitespace',
          filter: ['fedsearch_name_parts', 'lowercase', 'asciifolding', 'fedsearch_edge_ngram'],
        },
      },
      normalizer: { fedsearch_lowercase: { type: 'custom', filter: ['lowercase', 'asciifolding'] } },
    });
    const available = new Set(['standard', 'whitespace', 'keyword', 'pattern', 'edge_ngram', 'lowercase', 'asciifolding', 'word_delimiter_graph', 'stop']);
    for (const analyzer of Object.values(analysis.analyzer)) {
      expect(available.has(analyzer.tokenizer)).toBe(true);
      for (const filter of analyzer.filter) {
        expect(available.has(analysis.filter[filter]?.type ?? filter)).toBe(true);
      }
    }
  });

  it('gives a keyword-only string, on request, the exact forms only', () => {
    const query = parse(`query Film($id: ID!) { film(id: $id) { title director { name } } }`);
    const { properties } = templateOf(schema, query, {
      index: 'films',
      fields: { title: { keyword: true, facet: true }, 'director.name': { text: true, keyword: true } },
    }).template.mappings;
    expect(properties).toEqual({
      title: { type: 'keyword', fields: { lowercase: { type: 'keyword', normalizer: 'fedsearch_lowercase', ignore_above: 256 } } },
      director: { type: 'object', properties: { name: STRING } },
    });
  });

  it('lists unknown field paths with did-you-mean suggestions', () => {
    const failure = (): unknown =>
      templateOf(schema, FILM_QUERY, {
        index: 'films',
        scalars,
        fields: {
          titel: { facet: true },
          'credits.name': { suggest: true },
          'director.nme': {},
          'credts.person.name': {},
          Genres: { facet: true },
          boxOffice: { sortable: true },
          title: { suggest: true },
        },
      });
    expect(failure).toThrow(UserError);
    expect(failure).toThrow(
      [
        "Unknown field paths under `fields:` (not in the query's document):",
        '  titel (did you mean `title`?)',
        '  credits.name (did you mean `credits.person.name`?)',
        '  director.nme (did you mean `director.name`?)',
        '  credts.person.name (did you mean `credits.person.name`?)',
        '  Genres (did you mean `genres`?)',
        '  boxOffice',
      ].join('\n'),
    );
  });

  it('rejects options that cannot apply to the field they name, all at once', () => {
    const failure = (): unknown =>
      templateOf(schema, FILM_QUERY, {
        index: 'films',
        scalars,
        fields: {
          credits: { facet: true, nested: true },
          rating: { suggest: true },
          filmId: { nested: true },
          genres: { excluded: true, facet: true },
          title: { keyword: false, sortable: true },
          'director.name': { text: false, keyword: false },
          premieredAt: { keyword: true },
          'credits.character': { keyword: true, analyzer: 'name' },
          sequel: { excluded: true, nested: true },
          director: { excluded: true },
          'director.born': { facet: true },
        },
      });
    expect(failure).toThrow(
      [
        'Field options that cannot apply:',
        '  credits: facet applies to leaf fields, and this is an object (Credit): set it on its fields',
        "  rating: suggest applies to strings; this field's type is Float (stored as double)",
        "  filmId: nested applies to objects; this field's type is ID",
        '  genres: excluded fields are not indexed, so facet cannot apply',
        '  title: facet and sortable need the keyword form, but keyword is false',
        '  director.name: neither text nor keyword: nothing would be indexed; use `excluded: true` to keep it out of the index',
        '  director.name: is inside `director`, which is excluded, so it cannot be indexed either',
        "  premieredAt: keyword applies to strings; this field's type is DateTime (stored as date)",
        '  credits.character: analyzer applies to the text form, which this field does not have (set `text: true`)',
        '  sequel: nested and excluded together: an excluded object is not indexed at all',
        '  director.born: is inside `director`, which is excluded, so it cannot be indexed either',
      ].join('\n'),
    );
  });
});

describe('one rule for ID fields offered as suggestions', () => {
  const pandas = buildSchema('type Query { panda(name: ID!): Panda } type Panda { name: ID! favoriteFood: String }');
  const query = 'query ($id: ID!) { panda(name: $id) { name favoriteFood } }';
  const nameMapping = (options: FieldOptions): unknown =>
    (templateOf(pandas, query, { index: 'pandas', fields: { name: options } }).template.mappings.properties as Record<string, unknown>).name;

  it('an ID with suggest is found by text search too (it gets a text form)', () => {
    expect(nameMapping({ suggest: true })).toMatchObject({ type: 'keyword', fields: { text: { type: 'text' }, suggest: expect.any(Object) } });
    expect(modelOf(pandas, query, { fields: { name: { suggest: true } } }).fields.find((f) => f.path === 'name')?.textField).toBe('name.text');
  });

  it('unless text: false says otherwise; and an ID without suggest stays exact only', () => {
    expect(nameMapping({ suggest: true, text: false })).not.toHaveProperty('fields.text');
    expect(nameMapping({})).toEqual({ type: 'keyword' });
  });
});
