import avro from 'avsc';
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { avroOf } from './queryModel.ts';
import { filmSchema } from './filmSchema.ts';

const schema = filmSchema();
const scalars = { Money: 'double', Json: 'keyword' } as const;

const FILM_QUERY = parse(`
  query Film($id: ID!) {
    film(id: $id) {
      filmId: id
      title
      rating
      genres
      seatMap
      scores
      budget
      premieredAt
      credits { __typename person { name } ... on ActingCredit { character } }
      recognitions { ... on Award { name year } }
    }
  }
`);

/** Encodes and decodes, and returns plain JSON, as a consumer of the documents topic sees it. */
function roundTrip(type: avro.Type, document: unknown): unknown {
  const errors: string[] = [];
  type.isValid(document, { errorHook: (path) => errors.push(path.join('.')) });
  expect(errors).toEqual([]);
  return JSON.parse(JSON.stringify(type.fromBuffer(type.toBuffer(document))));
}

describe('generateAvroSchema', () => {
  it('writes the document as records named after their types in path namespaces, with null unions', () => {
    const { schema: avroSchema, fullName } = avroOf(schema, FILM_QUERY, { index: 'films', scalars });
    expect(fullName).toBe('fedsearch.films.Film');
    expect(avroSchema).toEqual({
      type: 'record',
      name: 'Film',
      namespace: 'fedsearch.films',
      fields: [
        { name: 'filmId', type: 'string' },
        { name: 'title', type: 'string' },
        { name: 'rating', type: ['null', 'double'], doc: 'Average audience rating, 1 to 10.', default: null },
        {
          name: 'genres',
          type: {
            type: 'array',
            items: { type: 'enum', name: 'Genre', namespace: 'fedsearch.films.film.genres', symbols: ['DRAMA', 'COMEDY', 'THRILLER'] },
          },
        },
        { name: 'seatMap', type: { type: 'array', items: ['null', { type: 'array', items: 'int' }] }, doc: 'Seat numbers by row.' },
        {
          name: 'scores',
          type: ['null', { type: 'array', items: ['null', { type: 'array', items: ['null', 'double'] }] }],
          default: null,
        },
        { name: 'budget', type: ['null', 'double'], default: null },
        { name: 'premieredAt', type: ['null', 'string'], default: null },
        {
          name: 'credits',
          type: {
            type: 'array',
            items: {
              type: 'record',
              name: 'Credit',
              namespace: 'fedsearch.films.film.credits',
              fields: [
                { name: '__typename', type: 'string', doc: 'The name of the current Object type at runtime.' },
                {
                  name: 'person',
                  type: {
                    type: 'record',
                    name: 'Person',
                    namespace: 'fedsearch.films.film.credits.person',
                    fields: [{ name: 'name', type: 'string' }],
                  },
                },
                { name: 'character', type: ['null', 'string'], default: null },
              ],
            },
          },
        },
        {
          name: 'recognitions',
          type: {
            type: 'array',
            items: [
              'null',
              {
                type: 'record',
                name: 'Recognition',
                namespace: 'fedsearch.films.film.recognitions',
                fields: [
                  { name: 'name', type: ['null', 'string'], default: null },
                  { name: 'year', type: ['null', 'int'], default: null },
                ],
              },
            ],
          },
        },
      ],
    });
  });

  it('parses with avsc and round-trips documents, nulls at every list level included', () => {
    const type = avro.Type.forSchema(avroOf(schema, FILM_QUERY, { index: 'films', scalars }).schema);
    const full = {
      filmId: 'film-1',
      title: 'Amélie',
      rating: 8.3,
      genres: ['COMEDY', 'DRAMA'],
      seatMap: [[1, 2, 3], null, []],
      scores: [[7.5, null], null],
      budget: 10_000_000.5,
      premieredAt: '2001-04-25T20:00:00.000Z',
      credits: [
        { __typename: 'ActingCredit', person: { name: 'Audrey Tautou' }, character: 'Amélie Poulain' },
        { __typename: 'CrewCredit', person: { name: 'Jean-Pierre Jeunet' }, character: null },
      ],
      recognitions: [{ name: 'César', year: 2002 }, null, { name: null, year: null }],
    };
    expect(roundTrip(type, full)).toEqual(full);

    const sparse = {
      filmId: 'film-2',
      title: 'Untitled',
      rating: null,
      genres: [],
      seatMap: [],
      scores: null,
      budget: null,
      premieredAt: null,
      credits: [],
      recognitions: [],
    };
    expect(roundTrip(type, sparse)).toEqual(sparse);
  });

  it('accepts a document lacking keys its union members did not select (they decode as null)', () => {
    const type = avro.Type.forSchema(avroOf(schema, FILM_QUERY, { index: 'films', scalars }).schema);
    const fromGateway = {
      filmId: 'film-3',
      title: 'Heat',
      rating: null,
      genres: ['THRILLER'],
      seatMap: [],
      scores: null,
      budget: null,
      premieredAt: null,
      // A crew credit has no `character` key; a nomination's object is `{}`.
      credits: [{ __typename: 'CrewCredit', person: { name: 'Michael Mann' } }],
      recognitions: [{}],
    };
    expect(roundTrip(type, fromGateway)).toEqual({
      ...fromGateway,
      credits: [{ __typename: 'CrewCredit', person: { name: 'Michael Mann' }, character: null }],
      recognitions: [{ name: null, year: null }],
    });
  });

  it('gives two different selections on one GraphQL type different names', () => {
    const query = parse(`
      query Film($id: ID!) {
        film(id: $id) {
          sequel { title director { name } }
          related { id rating sequel { id } }
          director { id }
        }
      }
    `);
    const { schema: avroSchema } = avroOf(schema, query, { index: 'films', scalars });
    // avsc fills the registry with every named type under its full name, and throws on a duplicate.
    const registry: Record<string, avro.Type> = {};
    const type = avro.Type.forSchema(avroSchema, { registry });
    expect(Object.keys(registry).filter((name) => name.includes('.')).sort()).toEqual([
      'fedsearch.films.Film',
      'fedsearch.films.film.director.Person',
      'fedsearch.films.film.related.Film',
      'fedsearch.films.film.related.sequel.Film',
      'fedsearch.films.film.sequel.Film',
      'fedsearch.films.film.sequel.director.Person',
    ]);
    const document = {
      sequel: { title: 'Two', director: null },
      related: [{ id: 'f9', rating: 6.1, sequel: { id: 'f10' } }],
      director: { id: 'p1' },
    };
    expect(roundTrip(type, document)).toEqual(document);
  });

  it('turns an index name into a valid Avro namespace', () => {
    const query = parse(`query Film($id: ID!) { film(id: $id) { id } }`);
    const { schema: avroSchema, fullName } = avroOf(schema, query, { index: '2026-films.eu' });
    expect(fullName).toBe('fedsearch._2026_films_eu.Film');
    expect(() => avro.Type.forSchema(avroSchema)).not.toThrow();
  });

  it('fails on an unknown custom scalar like documentShape does', () => {
    const query = parse(`query Film($id: ID!) { film(id: $id) { extra } }`);
    expect(() => avroOf(schema, query, { index: 'films' })).toThrow(
      /No storage kind for custom scalar:\n {2}Json \(at extra\)\nAdd it under `scalars:`/,
    );
  });
});
