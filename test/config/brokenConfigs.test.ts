import { readFileSync } from 'node:fs';
import type { GraphQLSchema } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, formatProblem } from '../../src/config/configError.ts';
import { parseIndexConfig } from '../../src/config/loadIndexConfig.ts';
import { loadGraphSchema } from '../../src/graph/loadGraphSchema.ts';
import { checkIndexAgainstSchema } from '../../src/index/loadIndex.ts';
import { BROKEN_CONFIGS } from './brokenConfigCases.ts';

const moviesYaml = readFileSync(new URL('../../index-configs/movies.yaml', import.meta.url), 'utf8');

function problemsFor(text: string, schema: GraphQLSchema, env: Record<string, string>): string[] {
  try {
    checkIndexAgainstSchema(parseIndexConfig(text, 'broken.yaml', env), schema);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map(formatProblem);
    throw error;
  }
  return [];
}

describe('index configuration errors', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await loadGraphSchema({ schemaFile: new URL('../../subgraphs/supergraph.graphql', import.meta.url).pathname });
  });

  it('accepts the shipped movies config', () => {
    expect(problemsFor(moviesYaml, schema, {})).toEqual([]);
  });

  it.each(BROKEN_CONFIGS)('$name', ({ edits, problems, env }) => {
    let text = moviesYaml;
    for (const [from, to] of edits) {
      const edited = text.replace(from, to);
      expect(edited, `edit ${String(from)} must change the file`).not.toBe(text);
      text = edited;
    }
    expect(problemsFor(text, schema, env ?? {})).toEqual(problems);
  });

  it('reports every problem of a file at once, in file order', () => {
    const text = moviesYaml
      .replace('index: movies', 'index: Movies')
      .replace('timeoutMs: 10000', 'timeoutMs: -5')
      .replace('genres: { facet: true }', 'genres: { facett: true }');
    expect(problemsFor(text, schema, {}).map((line) => line.split(': ')[0])).toEqual([
      'broken.yaml:3:1',
      'broken.yaml:7:3',
      'broken.yaml:64:13',
    ]);
  });

  it('fills ${VAR} and ${VAR:-default} from the environment', () => {
    const config = parseIndexConfig(moviesYaml, 'movies.yaml', { FEDSEARCH_ES_URL: 'https://search.example:9243' });
    expect(config.elasticsearch.node).toBe('https://search.example:9243');
    expect(config.gateway.url).toBe('http://127.0.0.1:4000/graphql');
  });
});
