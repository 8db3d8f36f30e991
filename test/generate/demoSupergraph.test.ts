import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { documentFields } from '../../src/index/documentFields.ts';
import { documentShape } from '../../src/index/documentShape.ts';
import { avroOf, parsedQuery, templateOf } from './queryModel.ts';
import { apiSchema, gatewayDocuments, MOVIE_FIELDS, MOVIE_QUERY } from './demoMovies.ts';
import { STRING } from './expectedMappings.ts';

describe('generators over the demo supergraph', () => {
  it('writes the movie Avro schema', () => {
    const { schema, fullName } = avroOf(apiSchema, MOVIE_QUERY, { index: 'movies', fields: MOVIE_FIELDS });
    expect(fullName).toBe('fedsearch.movies.Movie');
    const record = (name: string, namespace: string, fields: unknown[]): unknown => ({ type: 'record', name, namespace, fields });
    expect(schema).toEqual(
      record('Movie', 'fedsearch.movies', [
        { name: 'movieId', type: 'string' },
        { name: 'title', type: 'string' },
        { name: 'genres', type: { type: 'array', items: 'string' }, doc: 'Lower-case genre names, e.g. "science fiction".' },
        {
          name: 'production',
          type: [
            'null',
            record('Production', 'fedsearch.movies.movie.production', [
              { name: 'ptpId', type: 'string' },
              {
                name: 'status',
                type: {
                  type: 'enum',
                  name: 'ProductionStatus',
                  namespace: 'fedsearch.movies.movie.production.status',
                  symbols: ['DEVELOPMENT', 'PRE_PRODUCTION', 'PHOTOGRAPHY', 'POST_PRODUCTION', 'RELEASED', 'CANCELLED'],
                },
              },
              { name: 'startDate', type: ['null', 'string'], default: null },
              {
                name: 'vendors',
                type: { type: 'array', items: record('Vendor', 'fedsearch.movies.movie.production.vendors', [{ name: 'name', type: 'string' }]) },
              },
              { name: 'budget', type: ['null', 'double'], doc: 'In US dollars.', default: null },
              {
                name: 'shootingLocations',
                type: {
                  type: 'array',
                  items: record('ShootingLocation', 'fedsearch.movies.movie.production.shootingLocations', [
                    { name: 'city', type: 'string' },
                    { name: 'country', type: 'string' },
                  ]),
                },
              },
            ]),
          ],
          default: null,
        },
        {
          name: 'cast',
          type: {
            type: 'array',
            items: record('CastMember', 'fedsearch.movies.movie.cast', [
              {
                name: 'role',
                type: {
                  type: 'enum',
                  name: 'TalentRole',
                  namespace: 'fedsearch.movies.movie.cast.role',
                  symbols: ['ACTOR', 'DIRECTOR', 'WRITER', 'PRODUCER', 'CINEMATOGRAPHER', 'COMPOSER'],
                },
              },
              {
                name: 'talent',
                type: record('Talent', 'fedsearch.movies.movie.cast.talent', [
                  { name: 'talentId', type: 'string' },
                  { name: 'name', type: 'string' },
                ]),
              },
            ]),
          },
          doc: 'Credits in billing order.',
        },
      ]),
    );
  });

  it('round-trips what the gateway answers for generated movies through Avro', () => {
    const type = avro.Type.forSchema(avroOf(apiSchema, MOVIE_QUERY, { index: 'movies' }).schema);
    const documents = gatewayDocuments(40);
    expect(documents).toHaveLength(40);
    expect(documents.some((document) => (document as { production: unknown }).production === null)).toBe(true);
    expect(documents.some((document) => (document as { cast: unknown[] }).cast.length > 1)).toBe(true);
    for (const document of documents) {
      const invalidAt: string[] = [];
      type.isValid(document, { errorHook: (path) => invalidAt.push(path.join('.')) });
      expect(invalidAt).toEqual([]);
      expect(JSON.parse(JSON.stringify(type.fromBuffer(type.toBuffer(document))))).toEqual(document);
    }
  });

  it('writes the movie index template', () => {
    const template = templateOf(apiSchema, MOVIE_QUERY, {
      index: 'movies',
      fields: MOVIE_FIELDS,
      elasticsearch: { shards: 1, replicas: 0 },
    });
    expect(template.index_patterns).toEqual(['movies_v*']);
    expect(template.template.settings).toMatchObject({ number_of_shards: 1, number_of_replicas: 0 });
    expect(template.template.mappings.properties).toEqual({
      movieId: { type: 'keyword' },
      title: {
        ...STRING,
        fields: { ...STRING.fields, suggest: { type: 'text', analyzer: 'fedsearch_autocomplete', search_analyzer: 'fedsearch_folded' } },
      },
      genres: STRING,
      production: {
        type: 'object',
        properties: {
          ptpId: { type: 'keyword' },
          status: { type: 'keyword' },
          startDate: { type: 'date' },
          vendors: { type: 'object', properties: { name: STRING } },
          budget: { type: 'double' },
          shootingLocations: { type: 'object', properties: { city: STRING, country: STRING } },
        },
      },
      cast: {
        type: 'nested',
        properties: {
          role: { type: 'keyword' },
          talent: {
            type: 'object',
            properties: {
              talentId: { type: 'keyword' },
              name: {
                type: 'text',
                analyzer: 'fedsearch_name',
                fields: {
                  ...STRING.fields,
                  suggest: { type: 'text', analyzer: 'fedsearch_name_autocomplete', search_analyzer: 'fedsearch_name' },
                },
              },
            },
          },
        },
      },
    });
    expect(template.template.mappings._meta).toMatchObject({ entityType: 'Movie', rootField: 'movie', nestedPaths: ['cast'] });
  });

  it('tells searches where the cast conditions go', () => {
    const fields = documentFields(documentShape(apiSchema, parsedQuery(MOVIE_QUERY)), MOVIE_FIELDS);
    expect(fields.map((field) => field.path)).toEqual([
      'movieId',
      'title',
      'genres',
      'production.ptpId',
      'production.status',
      'production.startDate',
      'production.vendors.name',
      'production.budget',
      'production.shootingLocations.city',
      'production.shootingLocations.country',
      'cast.role',
      'cast.talent.talentId',
      'cast.talent.name',
    ]);
    expect(fields.find((field) => field.path === 'cast.talent.name')).toMatchObject({
      nestedPath: 'cast',
      textField: 'cast.talent.name',
      exactField: 'cast.talent.name.keyword',
      suggestField: 'cast.talent.name.suggest',
    });
    expect(fields.find((field) => field.path === 'genres')).toMatchObject({ facet: true, exactField: 'genres.keyword', multiValued: true });
    expect(fields.find((field) => field.path === 'production.status')?.enumValues).toContain('PHOTOGRAPHY');
  });
});
