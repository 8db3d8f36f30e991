import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, formatProblem } from '../../src/config/configError.ts';
import { parseIndexConfig } from '../../src/config/loadIndexConfig.ts';

const moviesYaml = readFileSync(new URL('../../index-configs/movies.yaml', import.meta.url), 'utf8');
const withPrimaryEvent = (lines: string): string => moviesYaml.replace('    - topic: studio.movie.changes\n      id: after.movieId\n', lines);

function problemsOf(text: string): string[] {
  try {
    parseIndexConfig(text, 'cdc.yaml', {});
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map(formatProblem);
    throw error;
  }
  return [];
}

describe('an event source’s format', () => {
  it('is debezium with the id named as a column, or left to each message when omitted', () => {
    const config = parseIndexConfig(withPrimaryEvent('    - topic: cdc.movies.public.movies\n      format: debezium\n      id: id\n'), 'cdc.yaml', {});
    expect(config.primary.events.map(({ topic, format, idPath }) => ({ topic, format, idPath }))).toEqual([
      { topic: 'cdc.movies.public.movies', format: 'debezium', idPath: 'id' },
      { topic: 'studio.credit.changes', format: null, idPath: 'after.movieId' },
    ]);
  });

  it('refuses an unknown format and a Debezium source that takes its id from the key', () => {
    expect(problemsOf(withPrimaryEvent('    - topic: cdc.movies.public.movies\n      format: avro\n      id: id\n'))).toEqual([
      'cdc.yaml:44:7: primary.events[0].format: must be one of "bare", "debezium", not "avro"',
    ]);
    expect(problemsOf(withPrimaryEvent('    - topic: cdc.movies.public.movies\n      format: debezium\n      idFromKey: true\n'))).toEqual([
      "cdc.yaml:43:7: primary.events[0]: with `format: debezium` name the id's column (`id: id`, or a column per key field): Debezium's key is a JSON struct, not the id",
    ]);
  });
});
