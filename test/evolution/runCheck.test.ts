import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatCheckReport } from '../../src/evolution/checkReport.ts';
import { runCheck } from '../../src/evolution/runCheck.ts';

const root = new URL('../../', import.meta.url).pathname;
const studioSupergraph = `${root}subgraphs/supergraph.graphql`;
const shopSupergraph = `${root}subgraphs/shop/supergraph.graphql`;

/** A directory of configs as a platform team publishes it: each config names its own supergraph. */
function configDirectory(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'fedsearch-check-configs-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const moviesYaml = readFileSync(`${root}index-configs/movies.yaml`, 'utf8').replace(/^gateway:\n/m, `gateway:\n  supergraph: ${studioSupergraph}\n`);
const shopUsersYaml = readFileSync(`${root}index-configs/shop-users.yaml`, 'utf8').replace('../subgraphs/shop/supergraph.graphql', shopSupergraph);

describe('fedsearch check over a directory of index configs (runCheck)', () => {
  it('checks each config against its own supergraph without --schema, listing one whose graph lacks the changed subgraph as skipped, not on this graph', async () => {
    const dir = configDirectory({ 'movies.yaml': moviesYaml, 'shop-users.yaml': shopUsersYaml });
    const report = await runCheck({ configs: [dir], subgraphs: [`talent=${root}subgraphs/talent/schema.graphql`], env: {} });
    expect(report).toMatchObject({ failed: false, indexes: [{ index: 'movies', classification: 'unaffected' }], skipped: [{ configFile: join(dir, 'shop-users.yaml'), why: 'not-on-this-graph' }] });
    expect(formatCheckReport(report).split('\n').slice(-3)).toEqual([
      `${join(dir, 'shop-users.yaml')}: skipped, not on this graph (the change is to subgraphs its supergraph does not have):`,
      `  ${shopSupergraph} has no subgraph talent (it has inventory, products, reviews, users)`,
      '0 breaks, 0 needs reindex, 0 compatible, 1 unaffected, 1 skipped',
    ]);
  });

  it('still refuses a subgraph name no config’s supergraph has (a typo would otherwise skip every config and pass)', async () => {
    const dir = configDirectory({ 'movies.yaml': moviesYaml, 'shop-users.yaml': shopUsersYaml });
    await expect(runCheck({ configs: [dir], subgraphs: [`talnet=${root}subgraphs/talent/schema.graphql`], env: {} })).rejects.toThrow(
      /^no supergraph the configs use has a subgraph talnet \(did you mean talent\?\) \(.*supergraph\.graphql has /,
    );
  });

  it('classifies a config whose headers use a secret the CI job does not hold (${USERS_TOKEN}): check sends no request with them', async () => {
    const withSecret = shopUsersYaml.replace(
      'users: { url: "${SHOP_USERS_URL:-http://127.0.0.1:4101/graphql}" }',
      'users: { url: "${SHOP_USERS_URL:-http://127.0.0.1:4101/graphql}", headers: { authorization: "Bearer ${USERS_TOKEN}" } }',
    );
    if (!withSecret.includes('USERS_TOKEN')) throw new Error('the shop-users config no longer holds the users subgraph line');
    const dir = configDirectory({ 'shop-users.yaml': withSecret });
    // users drops User.name, which the index selects.
    const usersSdl = join(dir, 'users.graphql');
    writeFileSync(usersSdl, 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])\ntype Mutation { renameUser(email: ID!, name: String!): User }\ntype User @key(fields: "email") { email: ID! @shareable }\n');
    const report = await runCheck({ configs: [dir], subgraphs: [`users=${usersSdl}`], env: {} });
    expect(report).toMatchObject({ failed: true, skipped: [], indexes: [{ index: 'shop-users', classification: 'breaks', problems: [{ field: 'User.name' }] }] });
  });

  it('lists a config that needs an unset variable where check reads it (the index name) as skipped, naming the variable, and checks the others', async () => {
    const dir = configDirectory({ 'movies.yaml': moviesYaml, 'shop-users.yaml': shopUsersYaml.replace('index: shop-users', 'index: ${SHOP_PREFIX}-users') });
    const report = await runCheck({ configs: [dir], subgraphs: [`talent=${root}subgraphs/talent/schema.graphql`], env: {} });
    expect(report).toMatchObject({ failed: false, indexes: [{ index: 'movies', classification: 'unaffected' }], skipped: [{ configFile: join(dir, 'shop-users.yaml'), why: 'invalid', problems: [expect.stringContaining('index: environment variable SHOP_PREFIX is not set')] }] });
  });

  it('lists configs that do not load as skipped even when none is left to check, rather than calling the subgraph unknown', async () => {
    const dir = configDirectory({ 'broken.yaml': 'index: [\n' });
    const report = await runCheck({ configs: [dir], subgraphs: [`talent=${root}subgraphs/talent/schema.graphql`], env: {} });
    expect(report).toMatchObject({ failed: false, indexes: [], skipped: [{ configFile: join(dir, 'broken.yaml'), why: 'invalid' }] });
  });
});
