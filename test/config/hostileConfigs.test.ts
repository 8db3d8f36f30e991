import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { elasticsearchClient } from '../../src/clients/elasticsearchClient.ts';
import { kafkaClient } from '../../src/clients/kafkaClient.ts';
import { ConfigError, formatProblem } from '../../src/config/configError.ts';
import { withHiddenValues } from '../../src/hiddenValues.ts';
import { loadIndexConfig, parseIndexConfig } from '../../src/config/loadIndexConfig.ts';
import { loadYamlWithPositions, YamlSyntaxError } from '../../src/config/loadYamlWithPositions.ts';
import { loadGraph } from '../../src/graph/loadGraphSchema.ts';
import { checkIndexAgainstSchema } from '../../src/index/loadIndex.ts';
import { runModuleScript } from '../support/moduleScript.ts';
import { spawnCliAsUser } from '../support/userCli.ts';

const moviesYaml = readFileSync(new URL('../../index-configs/movies.yaml', import.meta.url), 'utf8');

const supergraphFile = new URL('../../subgraphs/supergraph.graphql', import.meta.url).pathname;
const MiB = 1024 * 1024;

/** A fresh folder for files a test makes. */
const scratch = (): string => mkdtempSync(join(tmpdir(), 'fedsearch-hostile-'));

/** A FIFO nobody writes to: reading it the ordinary way waits for ever. */
function fifoIn(dir: string): string {
  const path = join(dir, 'fifo');
  execFileSync('mkfifo', [path]);
  return path;
}

/** A sparse file of `bytes` (costs no disk), for the size limits. */
function fileOf(dir: string, name: string, bytes: number): string {
  const path = join(dir, name);
  writeFileSync(path, '');
  truncateSync(path, bytes);
  return path;
}

/** Everything a failed load prints: the error's message (what the CLI shows) and each problem. */
const printedBy = (load: () => unknown): string => {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return `${error.message}\n${error.problems.map(formatProblem).join('\n')}`;
    if (error instanceof Error) return error.message;
    throw error;
  }
  throw new Error('expected the load to fail');
};

/** `fedsearch <args>` run as a user, to its end: exit code and all it wrote on stderr. */
function cliRun(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
  const child = spawnCliAsUser(args, { env });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  // 'close', not 'exit': by then stderr has been read to its end.
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stderr })));
}

const problemsOf = (load: () => unknown): string[] => {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map(formatProblem);
    throw error;
  }
  return [];
};

describe('configs built to hurt', () => {
  it('a config of nested aliases (billion laughs) is refused at its first alias, before anything expands it', () => {
    const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i++) {
      const name = String.fromCharCode(97 + i);
      const previous = String.fromCharCode(96 + i);
      laughs.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]`);
    }
    const text = laughs.join('\n');
    expect(text.length).toBeLessThan(600);
    let thrown: unknown;
    try {
      loadYamlWithPositions(text);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(YamlSyntaxError);
    expect(thrown).toMatchObject({ position: { line: 2, col: 8 }, message: expect.stringContaining('aliases (*name) are not allowed') });
  });

  it('a 500 KiB config full of escaped strings loads, with the position of every key right', () => {
    const lines = Array.from({ length: 5_000 }, (_, i) => `k${i}: "${'\\u00e9\\t'.repeat(8)}${i}"`);
    const text = lines.join('\n');
    expect(text.length).toBeGreaterThan(500_000 / 4);
    const big = `${text}\n${lines.map((line) => line.replace(/^k/, 'm')).join('\n')}\n${lines.map((line) => line.replace(/^k/, 'n')).join('\n')}\n${lines.map((line) => line.replace(/^k/, 'p')).join('\n')}`;
    expect(big.length).toBeGreaterThan(500_000);
    const yaml = loadYamlWithPositions(big);
    expect((yaml.value as Record<string, string>).k4999).toBe(`${'é\t'.repeat(8)}4999`);
    expect(yaml.positionOf(['p4999'])).toEqual({ line: 20_000, col: 1 });
    expect(yaml.positionOf(['k17'])).toEqual({ line: 18, col: 1 });
  });

  it('a missing caFile is a problem at its line, looked for beside the config file', () => {
    const text = moviesYaml.replace('  shards: 1\n', '  caFile: certs/ca.pem\n  shards: 1\n');
    expect(problemsOf(() => parseIndexConfig(text, '/etc/fedsearch/movies.yaml', {}))).toEqual([
      '/etc/fedsearch/movies.yaml:75:3: elasticsearch.caFile: cannot read /etc/fedsearch/certs/ca.pem: no such file',
    ]);
  });

  it('a caFile beside the config file is found from any working directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fedsearch-ca-'));
    writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\n');
    writeFileSync(join(dir, 'movies.yaml'), moviesYaml.replace('  shards: 1\n', '  caFile: ca.pem\n  shards: 1\n'));
    expect(loadIndexConfig(join(dir, 'movies.yaml'), {}).elasticsearch.caFile).toBe(join(dir, 'ca.pem'));
  });

  it('any text, and any edit of the shipped config, is a config or a list of problems, never a crash', () => {
    const token = fc.constantFrom('&a ', '*a', '- ', ': ', '{', '}', '[', ']', ',', '"', "'", '\\', '\n', '  ', '#', '|', '>', '!!str ', '${X}', '${', '\t', 'index', 'query', 'é', '\u0000');
    const text = fc.oneof(fc.string({ maxLength: 300 }), fc.array(token, { maxLength: 60 }).map((t) => t.join('')));
    const edit = fc.tuple(fc.nat({ max: moviesYaml.length }), fc.nat({ max: 40 }), text).map(([at, cut, inserted]) => moviesYaml.slice(0, at) + inserted + moviesYaml.slice(at + cut));
    fc.assert(
      fc.property(fc.oneof(text, edit), (yamlText) => {
        try {
          parseIndexConfig(yamlText, 'fuzz.yaml', { X: 'x' });
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          for (const problem of (error as ConfigError).problems) expect(formatProblem(problem)).toMatch(/^fuzz\.yaml:\d+:\d+: /);
        }
      }),
      { numRuns: 3_000 },
    );
  });
});

describe('values from the environment are never printed', () => {
  const headerConfig = moviesYaml.replace('  timeoutMs: 10000\n', '  timeoutMs: 10000\n  headers:\n    authorization: "Bearer ${GATEWAY_TOKEN}"\n');

  it('a secret with a line break in a header value is refused without being printed', () => {
    const secret = 'tok-4f9a2c7e\nX-Injected: 1';
    const printed = printedBy(() => parseIndexConfig(headerConfig, 'movies.yaml', { GATEWAY_TOKEN: secret }));
    expect(printed).toContain('movies.yaml:9:5: gateway.headers.authorization: must not contain a line break or another control character');
    expect(printed).not.toContain('tok-4f9a2c7e');
    expect(printed).not.toContain('X-Injected');
  });

  it('a header name that is no HTTP token is refused, naming what a name may hold', () => {
    expect(problemsOf(() => parseIndexConfig(headerConfig.replace('authorization:', '"x auth":'), 'movies.yaml', { GATEWAY_TOKEN: 't' }))).toEqual([
      "movies.yaml:9:5: gateway.headers.x auth: must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~)",
    ]);
  });

  it('a value of the wrong kind from the environment is named by its field, not shown', () => {
    const text = moviesYaml.replace('  partitions: { documents: 3, dlq: 1 }\n', '  partitions: { documents: 3, dlq: 1 }\n  sasl: { mechanism: "${MECHANISM}", username: u, password: p }\n');
    const printed = printedBy(() => parseIndexConfig(text, 'movies.yaml', { MECHANISM: 'mech-7d1e0b' }));
    expect(printed).toContain('kafka.sasl.mechanism: must be one of "plain", "scram-sha-256", "scram-sha-512", not the value given (hidden)');
    expect(printed).not.toContain('mech-7d1e0b');
  });

  it.each([
    ['display.title', moviesYaml.replace('  title: title\n', '  title: ${VALUE}\n'), 'secretTitle3b', 'display.title: [value of $VALUE] is not a field of the document'],
    ['a lookup', moviesYaml.replace('lookup: cast.talent.talentId', 'lookup: ${VALUE}'), 'cast.talent.secretLookup3b', "related[1].lookup: [value of $VALUE] is not a scalar field of the query's document"],
    ['the query', moviesYaml.replace('      synopsis\n', '      ${VALUE}\n'), 'secretField3b', 'query: Cannot query field "[value of $VALUE]" on type "Movie".'],
  ])('a problem found in %s against the graph shows the variable, not its value', async (_, text, value, expected) => {
    const graph = await loadGraph({ schemaFile: supergraphFile });
    const printed = printedBy(() => checkIndexAgainstSchema(parseIndexConfig(text, 'movies.yaml', { VALUE: value }), graph.schema, graph.supergraph));
    expect(printed).toContain(expected);
    expect(printed).not.toContain(value);
  });

  it('a caFile path from the environment that cannot be read is not shown', () => {
    const text = moviesYaml.replace('  shards: 1\n', '  caFile: ${CA_PATH}\n  shards: 1\n');
    const printed = printedBy(() => parseIndexConfig(text, '/etc/fedsearch/movies.yaml', { CA_PATH: '/srv/secret-pki-7a/ca.pem' }));
    expect(printed).toContain('elasticsearch.caFile: cannot read [value of $CA_PATH]: no such file');
    expect(printed).not.toContain('secret-pki-7a');
  });

  it('brokers, addresses and credentials are hidden in messages written later by other code, in every form they take there', () => {
    const text = moviesYaml
      .replace('${FEDSEARCH_KAFKA_BROKERS:-127.0.0.1:9092}', '${BROKERS_9c}')
      .replace('${FEDSEARCH_ES_URL:-http://127.0.0.1:9200}', '${ES_URL_9c}')
      .replace('  shards: 1\n', '  password: pw-literal-9c\n  username: elastic\n  shards: 1\n');
    parseIndexConfig(text, 'movies.yaml', { BROKERS_9c: 'kafka-9c.internal:9093', ES_URL_9c: 'https://admin:es-pass-9c@es-9c.internal:9200' });
    const later = [
      'Connection error: connect ECONNREFUSED kafka-9c.internal:9093',
      'ResponseError: https://es-9c.internal:9200/ (credentials and query hidden) refused: wrong password pw-literal-9c',
      JSON.stringify({ level: 50, msg: 'cannot reach https://admin:es-pass-9c@es-9c.internal:9200' }),
    ].map(withHiddenValues);
    expect(later).toEqual([
      'Connection error: connect ECONNREFUSED [value of $BROKERS_9c]',
      'ResponseError: [value of $ES_URL_9c] (credentials and query hidden) refused: wrong password [value of elasticsearch.password]',
      JSON.stringify({ level: 50, msg: 'cannot reach [value of $ES_URL_9c]' }),
    ]);
  });

  it('a JSON log line quoting a value with a line break hides it too', () => {
    const printed = runModuleScript(
      `
      import { parseIndexConfig } from './src/config/loadIndexConfig.ts';
      import { createLogger } from './src/logger.ts';
      import { readFileSync } from 'node:fs';
      const yaml = readFileSync('index-configs/movies.yaml', 'utf8').replace('studio.talent.changes', '\${TOPIC}');
      const config = parseIndexConfig(yaml, 'movies.yaml', { TOPIC: 'topic-secret-5e' });
      createLogger('movies', 'enrich').error({ topic: config.related[1].events[0].topic, err: new Error('refused "topic-secret-5e\\\\nline two"') }, 'cannot consume topic-secret-5e');
      `,
      { FEDSEARCH_LOG_FORMAT: 'json' },
    );
    expect(printed.status).toBe(0);
    expect(printed.stdout).toContain('"topic":"[value of $TOPIC]"');
    expect(printed.stdout).toContain('cannot consume [value of $TOPIC]');
    expect(printed.stdout).not.toContain('topic-secret-5e');
  });

  it('fedsearch validate, run as a user, refuses the header and never prints the secret', { timeout: 60_000 }, async () => {
    const dir = scratch();
    writeFileSync(join(dir, 'movies.yaml'), headerConfig);
    const { code, stderr } = await cliRun(['validate', join(dir, 'movies.yaml'), '--schema', supergraphFile], { GATEWAY_TOKEN: 'cli-secret-81f\r\nX: y' });
    expect(code).toBe(1);
    expect(stderr).toContain('gateway.headers.authorization: must not contain a line break');
    expect(stderr).not.toContain('cli-secret-81f');
  });
});

describe('files that are not what the config says are refused before they cost memory', () => {
  it.each([
    ['/dev/zero', () => '/dev/zero', 'it is a character device, not a regular file'],
    ['a FIFO', fifoIn, 'it is a FIFO, not a regular file'],
    ['a folder', (dir: string) => dir, 'it is a directory, not a regular file'],
    ['a file over the 4 MiB limit', (dir: string) => fileOf(dir, 'huge.yaml', 4 * MiB + 1), 'larger than the 4 MiB limit for a config file'],
  ])('a config file that is %s is refused, named', (_, make, reason) => {
    const file = make(scratch());
    expect(problemsOf(() => loadIndexConfig(file, {}))).toEqual([`${file}:1:1: cannot read the file (${reason})`]);
  });

  it.each([
    ['/dev/zero', () => '/dev/zero', 'it is a character device, not a regular file'],
    ['a FIFO', fifoIn, 'it is a FIFO, not a regular file'],
    ['over the 1 MiB limit', (dir: string) => fileOf(dir, 'ca.pem', MiB + 1), 'larger than the 1 MiB limit for a CA file'],
  ])('a caFile that is %s is a problem at its line, named', (_, make, reason) => {
    const dir = scratch();
    const ca = make(dir);
    const text = moviesYaml.replace('  shards: 1\n', `  caFile: ${ca}\n  shards: 1\n`).replace('  partitions: { documents: 3, dlq: 1 }\n', `  partitions: { documents: 3, dlq: 1 }\n  ssl: true\n  caFile: ${ca}\n`);
    expect(problemsOf(() => parseIndexConfig(text, join(dir, 'movies.yaml'), {}))).toEqual([
      `${join(dir, 'movies.yaml')}:75:3: elasticsearch.caFile: cannot read ${ca}: ${reason}`,
      `${join(dir, 'movies.yaml')}:83:3: kafka.caFile: cannot read ${ca}: ${reason}`,
    ]);
  });

  it('a caFile that became a FIFO after validation is refused by the clients, not waited on', () => {
    const ca = fifoIn(scratch());
    const config = parseIndexConfig(moviesYaml.replace('  partitions: { documents: 3, dlq: 1 }\n', '  partitions: { documents: 3, dlq: 1 }\n  ssl: true\n'), 'movies.yaml', {});
    expect(() => elasticsearchClient({ ...config.elasticsearch, caFile: ca })).toThrow(`cannot read the CA file ${ca}: it is a FIFO, not a regular file`);
    expect(() => kafkaClient({ ...config.kafka, caFile: ca })).toThrow(`cannot read the CA file ${ca}: it is a FIFO, not a regular file`);
  });

  it('a schema or supergraph file that is a device, a FIFO or over the 32 MiB limit is refused, named', async () => {
    const dir = scratch();
    const fifo = fifoIn(dir);
    const huge = fileOf(dir, 'supergraph.graphql', 32 * MiB + 1);
    await expect(loadGraph({ schemaFile: '/dev/zero' })).rejects.toThrow('cannot read the schema file /dev/zero: it is a character device, not a regular file');
    await expect(loadGraph({ schemaFile: fifo })).rejects.toThrow(`cannot read the schema file ${fifo}: it is a FIFO, not a regular file`);
    await expect(loadGraph({ schemaFile: huge })).rejects.toThrow(`cannot read the schema file ${huge}: larger than the 32 MiB limit for a schema file`);
    const text = moviesYaml.replace('  timeoutMs: 10000\n', `  timeoutMs: 10000\n  supergraph: ${huge}\n`);
    expect(problemsOf(() => parseIndexConfig(text, join(dir, 'movies.yaml'), {}))).toEqual([
      `${join(dir, 'movies.yaml')}:8:3: gateway.supergraph: cannot read ${huge}: larger than the 32 MiB limit for a schema file`,
    ]);
  });

  it('fedsearch validate /dev/zero, run as a user, exits 1 naming the file instead of reading for ever', { timeout: 60_000 }, async () => {
    const { code, stderr } = await cliRun(['validate', '/dev/zero']);
    expect(code).toBe(1);
    expect(stderr).toBe('fedsearch: 1 problem in /dev/zero:\n  /dev/zero:1:1: cannot read the file (it is a character device, not a regular file)\n');
  });
});
