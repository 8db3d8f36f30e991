import { afterEach, describe, expect, it } from 'vitest';
import { teamConnectorConfig } from '../../stack/debeziumConnectors.ts';
import { findPostgres, MIN_POSTGRES_MAJOR } from '../../stack/postgresInstall.ts';
import { StackError } from '../../stack/stackError.ts';

describe('the PostgreSQL the stack runs', () => {
  const savedBin = process.env.FEDSEARCH_PG_BIN;
  afterEach(() => {
    if (savedBin === undefined) delete process.env.FEDSEARCH_PG_BIN;
    else process.env.FEDSEARCH_PG_BIN = savedBin;
  });

  it("finds Debian's server binaries on this machine", () => {
    const install = findPostgres();
    expect(install.major).toBeGreaterThanOrEqual(MIN_POSTGRES_MAJOR);
    expect(install.postgres).toMatch(/\/bin\/postgres$/);
  });

  it('says which package to install when the binaries are missing', () => {
    process.env.FEDSEARCH_PG_BIN = '/nonexistent/bin';
    expect(() => findPostgres()).toThrow(StackError);
    expect(() => findPostgres()).toThrow(
      '/nonexistent/bin (FEDSEARCH_PG_BIN) holds no `postgres`. Install Debian\'s server package (`apt-get install postgresql-15`',
    );
  });
});

describe("a team database's Debezium connector", () => {
  it('has a slot and a publication of its own and the topic prefix asked for', () => {
    const movies = teamConnectorConfig({ database: 'movies', port: 55432 });
    const talent = teamConnectorConfig({ database: 'talent', port: 55432, topicPrefix: 'cdc.talent', schemas: false });
    expect(movies).toEqual(
      expect.objectContaining({
        'plugin.name': 'pgoutput',
        'database.dbname': 'movies',
        'database.port': '55432',
        'topic.prefix': 'movies',
        'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
        'value.converter.schemas.enable': 'true',
      }),
    );
    expect(talent['topic.prefix']).toBe('cdc.talent');
    expect(talent['value.converter.schemas.enable']).toBe('false');
    expect(movies['slot.name']).not.toBe(talent['slot.name']);
    expect(movies['publication.name']).not.toBe(talent['publication.name']);
  });
});
