import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function parseWith(name: string, check: (text: string) => boolean) {
  return (value: unknown): string => {
    if (typeof value === 'string' && check(value)) return value;
    throw new GraphQLError(`${name} cannot represent ${JSON.stringify(value)}`);
  };
}

const isDateTime = (text: string): boolean => !Number.isNaN(Date.parse(text)) && text.includes('T');
const isDate = (text: string): boolean => ISO_DATE.test(text) && !Number.isNaN(Date.parse(text));

/** An ISO-8601 instant, e.g. 2026-01-31T12:00:00.000Z. */
export const DateTimeScalar = new GraphQLScalarType({
  name: 'DateTime',
  description: 'An ISO-8601 instant, e.g. 2026-01-31T12:00:00.000Z',
  serialize: parseWith('DateTime', isDateTime),
  parseValue: parseWith('DateTime', isDateTime),
  parseLiteral: (ast) => parseWith('DateTime', isDateTime)(ast.kind === Kind.STRING ? ast.value : undefined),
});

/** A calendar date, e.g. 2026-01-31. */
export const DateScalar = new GraphQLScalarType({
  name: 'Date',
  description: 'A calendar date, e.g. 2026-01-31',
  serialize: parseWith('Date', isDate),
  parseValue: parseWith('Date', isDate),
  parseLiteral: (ast) => parseWith('Date', isDate)(ast.kind === Kind.STRING ? ast.value : undefined),
});
