import { buildSchema } from 'graphql';
import type { GraphQLSchema } from 'graphql';

/**
 * A small graph with every construct the generators must handle: custom scalars (known by default,
 * configured, unknown), enums, interfaces, unions, lists of lists, nullable and non-null levels,
 * and one type (Film) reachable at several paths.
 */
export function filmSchema(): GraphQLSchema {
  return buildSchema(/* GraphQL */ `
    scalar DateTime
    scalar Money
    scalar Json

    enum Genre {
      DRAMA
      COMEDY
      THRILLER
    }

    interface Node {
      id: ID!
    }

    type Person implements Node {
      id: ID!
      name: String!
      born: DateTime
      nicknames: [String!]
    }

    interface Credit {
      person: Person!
      billing: Int
    }

    type ActingCredit implements Credit {
      person: Person!
      billing: Int
      character: String!
    }

    type CrewCredit implements Credit {
      person: Person!
      billing: Int
      department: String!
    }

    type Award {
      name: String!
      year: Int!
    }

    type Nomination {
      name: String!
      category: String
    }

    union Recognition = Award | Nomination

    type Film implements Node {
      id: ID!
      title: String!
      "Average audience rating, 1 to 10."
      rating: Float
      released: Boolean!
      genres: [Genre!]!
      "Seat numbers by row."
      seatMap: [[Int!]]!
      scores: [[Float]]
      budget: Money
      extra: Json
      premieredAt: DateTime
      credits: [Credit!]!
      recognitions: [Recognition]!
      sequel: Film
      related: [Film!]!
      director: Person
    }

    type Query {
      film(id: ID!): Film
      films: [Film!]!
      node(id: ID!): Node
      version: String
    }

    type Mutation {
      touch(id: ID!): Film
    }
  `);
}
