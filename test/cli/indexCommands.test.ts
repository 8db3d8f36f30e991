import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const supergraph = join(root, 'subgraphs/supergraph.graphql');
const movies = join(root, 'index-configs/movies.yaml');

async function fedsearch(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(root, 'cli/fedsearch.js'), ...args], {
      env: { ...process.env, ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

// Each test spawns the CLI (tsx compiles on start): seconds on a quiet machine, more on a busy one.
describe('fedsearch init', { timeout: 60_000 }, () => {
  it('writes a starter config that validate accepts as written, and never overwrites one', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'fedsearch-init-')), 'users.yaml');
    const shop = join(root, 'subgraphs/shop/supergraph.graphql');
    const written = await fedsearch(['init', 'User', '--schema', shop, '--topic-prefix', 'shop', '--out', out]);
    expect(written).toMatchObject({ code: 0, stderr: `wrote ${out}; next: fedsearch validate ${out}\n` });
    expect(await fedsearch(['validate', out])).toMatchObject({ code: 0, stdout: `${out}: ok — index users, 6 fields (nested: reviews), 2 event sources\n` });
    const again = await fedsearch(['init', 'User', '--schema', shop, '--out', out]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`${out} exists; init never overwrites a config`);
  });
});

describe('fedsearch generate subgraph', { timeout: 60_000 }, () => {
  it('prints one search subgraph for several indexes and says it composes with their supergraph', async () => {
    const result = await fedsearch(['generate', 'subgraph', join(root, 'index-configs/shop-products.yaml'), join(root, 'index-configs/shop-users.yaml')]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('type Product @key(fields: "sku package", resolvable: false)');
    // The products team has a Query.searchProducts of its own: the config names its field findProducts.
    expect(result.stdout).toMatch(/findProducts\(.*\): ProductSearchConnection!/);
    expect(result.stdout).not.toMatch(/searchProducts\(/);
    expect(result.stdout).toMatch(/searchUsers\(.*\): UserSearchConnection!/);
    expect(result.stderr).toBe(`composes with ${join(root, 'subgraphs/shop/supergraph.graphql')}\n`);
  });
});

describe('fedsearch validate / generate / plan (offline, with --schema)', { timeout: 60_000 }, () => {
  it('validates the shipped config', async () => {
    const result = await fedsearch(['validate', movies, '--schema', supergraph]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('index-configs/movies.yaml: ok — index movies, 26 fields (nested: cast), 4 event sources');
  });

  it('warns, with file:line:col and the reason, about a deprecated field the query selects, and still accepts the config', async () => {
    const schema = join(mkdtempSync(join(tmpdir(), 'fedsearch-cli-')), 'supergraph.graphql');
    writeFileSync(schema, readFileSync(supergraph, 'utf8').replace('synopsis: String @join__field(graph: MOVIES)', 'synopsis: String @join__field(graph: MOVIES) @deprecated(reason: "use logline")'));
    const result = await fedsearch(['validate', movies, '--schema', schema]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(`warning: ${movies}:15:7: query: Movie.synopsis is deprecated: use logline\n`);
    expect(result.stdout).toContain('ok — index movies');
  });

  it('refuses, at its line, a configured search field the graph already has', async () => {
    const config = join(mkdtempSync(join(tmpdir(), 'fedsearch-cli-')), 'products.yaml');
    const shipped = readFileSync(join(root, 'index-configs/shop-products.yaml'), 'utf8').replace('../subgraphs/shop/supergraph.graphql', join(root, 'subgraphs/shop/supergraph.graphql'));
    writeFileSync(config, shipped.replace('  field: findProducts\n', '  field: allProducts\n'));
    const line = shipped.split('\n').indexOf('  field: findProducts') + 1;
    const result = await fedsearch(['validate', config]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${config}:${line}:3: search.field: Query.allProducts is already a field of the graph; choose another name, e.g. findProducts`);
    expect(result.stdout).toBe('');
  });

  it('refuses a derived search field the graph already has, and says to set search.field', async () => {
    const config = join(mkdtempSync(join(tmpdir(), 'fedsearch-cli-')), 'products.yaml');
    const shipped = readFileSync(join(root, 'index-configs/shop-products.yaml'), 'utf8').replace('../subgraphs/shop/supergraph.graphql', join(root, 'subgraphs/shop/supergraph.graphql'));
    // The shop's products team has Query.searchProducts, the name a Product index derives.
    writeFileSync(config, shipped.replace('\nsearch:\n  field: findProducts\n', '\n'));
    const result = await fedsearch(['validate', config]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/:\d+:3: primary\.type: the search field for Product, Query\.searchProducts, is already a field of the graph; set search\.field to another name, e\.g\. search: \{ field: findProducts \}/);
  });

  it('exits 1 and lists every problem as file:line:col for a broken config', async () => {
    const broken = join(mkdtempSync(join(tmpdir(), 'fedsearch-cli-')), 'broken.yaml');
    writeFileSync(broken, readFileSync(movies, 'utf8').replace('timeoutMs: 10000', 'timeoutMs: soon').replace('      synopsis\n', '      synopsys\n'));
    const result = await fedsearch(['validate', broken, '--schema', supergraph]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${broken}:7:3: gateway.timeoutMs: must be a number, not string "soon"`);
    expect(result.stdout).toBe('');
  });

  it('prints an Avro schema that avsc accepts', async () => {
    const result = await fedsearch(['generate', 'avro', movies, '--schema', supergraph]);
    expect(result.code).toBe(0);
    const type = avro.Type.forSchema(JSON.parse(result.stdout) as avro.Schema);
    expect(type.name).toBe('fedsearch.movies.Movie');
  });

  it('prints the index template', async () => {
    const result = await fedsearch(['generate', 'template', movies, '--schema', supergraph]);
    expect(result.code).toBe(0);
    const template = JSON.parse(result.stdout) as { index_patterns: string[]; template: { mappings: { dynamic: string } } };
    expect(template.index_patterns).toEqual(['movies_v*']);
    expect(template.template.mappings.dynamic).toBe('strict');
  });

  it('prints the pipeline topology', async () => {
    const result = await fedsearch(['plan', movies, '--schema', supergraph]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'studio.talent.changes      Talent id from after.talentId → reverse lookup cast.talent.talentId (nested cast) in movies',
    );
    expect(result.stdout).toContain('documents      movies.documents (compacted, 3 partitions');
  });

  it('exits 2 with a hint when the gateway cannot be reached for its schema', async () => {
    const result = await fedsearch(['validate', movies], { FEDSEARCH_GATEWAY_URL: 'http://127.0.0.1:9/graphql' });
    expect(result.code).toBe(2);
    // The address came from FEDSEARCH_GATEWAY_URL: the message names the variable, not its value.
    expect(result.stderr).toContain('cannot reach the gateway at [value of $FEDSEARCH_GATEWAY_URL]');
    expect(result.stderr).not.toContain('127.0.0.1:9');
    expect(result.stderr).toContain('--schema');
  });
});

describe('fedsearch serve: secrets stay off the command line', { timeout: 60_000 }, () => {
  it('refuses a token given as an argument, and says where to put it', async () => {
    const result = await fedsearch(['serve', movies, '--auth-token', 'visible-in-ps']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('a token on the command line is visible to every user of the machine (ps); use FEDSEARCH_AUTH_TOKEN or --auth-token-file');
  });

  it('names a token file it cannot read, and an empty one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fedsearch-token-'));
    const missing = await fedsearch(['serve', movies, '--auth-token-file', join(dir, 'nope')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`fedsearch: cannot read the auth token file ${join(dir, 'nope')}: no such file\n`);
    writeFileSync(join(dir, 'empty'), '\n');
    const empty = await fedsearch(['serve', movies, '--auth-token-file', join(dir, 'empty')]);
    expect(empty.stderr).toBe(`fedsearch: the auth token file ${join(dir, 'empty')} is empty\n`);
  });
});

describe('fedsearch serve --searches-at-once', { timeout: 60_000 }, () => {
  it('is explained in --help with its default, and refuses a count that is not a whole number from 1', async () => {
    const help = await fedsearch(['serve', '--help']);
    // commander wraps the help to the terminal's width: compare the words.
    expect(help.stdout.replace(/\s+/g, ' ')).toMatch(/--searches-at-once <n> searches of one index sent to Elasticsearch at once; .* fewer spare a small cluster \(default: 8\)/);
    for (const bad of ['0', '2.5', 'many']) {
      const refused = await fedsearch(['serve', movies, '--searches-at-once', bad]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`option '--searches-at-once <n>' argument '${bad}' is invalid. expected a whole number from 1 to 1024`);
    }
  });
});
