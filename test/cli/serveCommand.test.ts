import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { exitOf, runCliAsUser, spawnCliAsUser } from '../support/userCli.ts';

/**
 * `fedsearch serve` as a process, without the stack: shop-users reads its graph from its
 * supergraph file and serve reaches Elasticsearch only per search; every other service is a
 * closed port.
 */
const ROOT = new URL('../../', import.meta.url).pathname;
const SHOP_USERS = join(ROOT, 'index-configs/shop-users.yaml');
const DEAD = 'http://127.0.0.1:1';
const ENV = { FEDSEARCH_GATEWAY_URL: `${DEAD}/graphql` };

const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
});

/** serve started with `args`; resolves once it says where its API listens, with everything it said up to then. */
function serve(args: string[], env: Record<string, string> = {}): { child: ChildProcess; listening: Promise<{ apiUrl: string; stderr: string }> } {
  const child = spawnCliAsUser(['serve', '--port', '0', '--subgraph-port', '0', ...args], { env: { ...ENV, ...env } });
  started.push(child);
  let stderr = '';
  const listening = new Promise<{ apiUrl: string; stderr: string }>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      // The subgraph's line comes after the API's: both are listening then.
      const found = /search API (http:\/\/[\d.]+:\d+)\//.exec(stderr)?.[1];
      if (found && /^(search subgraph|no search subgraph)/m.test(stderr)) resolve({ apiUrl: found, stderr });
    });
    void exitOf(child).then(({ code }) => reject(new Error(`serve exited ${code} before listening:\n${stderr}`)));
  });
  return { child, listening };
}

describe('fedsearch serve', { timeout: 60_000 }, () => {
  it("serves the other indexes when one index's Elasticsearch is down while the gateway is, instead of exiting", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fedsearch-serve-'));
    const movies = join(dir, 'movies.yaml');
    writeFileSync(movies, readFileSync(join(ROOT, 'index-configs/movies.yaml'), 'utf8').replace(/node: \$\{FEDSEARCH_ES_URL[^}]*\}/, `node: ${DEAD}`));
    const { stderr } = await serve([SHOP_USERS, movies]).listening;
    expect(stderr).toMatch(new RegExp(`^not serving ${movies}: the gateway cannot be reached, and Elasticsearch did not answer .*movies`, 'm'));
    expect(stderr).toMatch(/search API .*\/v1\/indexes\/shop-users\/search$/m);

    // With none left to serve it exits 2, a service down, as before.
    const alone = await runCliAsUser(['serve', '--port', '0', '--subgraph-port', '0', movies], ENV);
    expect(alone.code).toBe(2);
  });
});

describe('fedsearch serve: configs', { timeout: 60_000 }, () => {
  it('refuses two configs for one index, naming both files, instead of serving one on the API and the other in the subgraph', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fedsearch-serve-dup-'));
    const users = readFileSync(SHOP_USERS, 'utf8').replace('../subgraphs', join(ROOT, 'subgraphs'));
    writeFileSync(join(dir, 'shop-users.yaml'), users);
    writeFileSync(join(dir, 'shop-users.old.yml'), users);
    const result = await runCliAsUser(['serve', '--port', '0', '--subgraph-port', '0', dir], ENV);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^fedsearch: two configs claim shop-users: ${dir}/shop-users\\.\\S+ and ${dir}/shop-users\\.\\S+; remove one of them$`, 'm'));
  });
});

describe('fedsearch serve: secrets from the environment', { timeout: 60_000 }, () => {
  it('takes FEDSEARCH_AUTH_TOKEN and FEDSEARCH_GATEWAY_SECRET without their trailing newline, as their file variants, instead of refusing the token as sent', async () => {
    const { apiUrl, stderr } = await serve([SHOP_USERS], { FEDSEARCH_AUTH_TOKEN: 'tok\n', FEDSEARCH_GATEWAY_SECRET: ' gw-secret\n' }).listening;
    expect((await fetch(`${apiUrl}/v1/indexes/shop-users`, { headers: { authorization: 'Bearer tok' } })).status).toBe(200);
    const subgraphUrl = /search subgraph (http:\/\/\S+)/.exec(stderr)?.[1] as string;
    const viaGateway = await fetch(subgraphUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-fedsearch-gateway-secret': 'gw-secret' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(viaGateway.status).toBe(200);
  });
});

describe('fedsearch serve: ports', { timeout: 60_000 }, () => {
  it('says in one line which port is taken and which option moves it, closes what it opened and exits 1, instead of a stack trace with the API left listening', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const subgraph = await runCliAsUser(['serve', SHOP_USERS, '--port', '0', '--subgraph-port', String(port)], ENV);
      expect(subgraph.code).toBe(1);
      expect(subgraph.stderr).not.toMatch(/\n\s+at /);
      expect(subgraph.stderr).toMatch(new RegExp(`^fedsearch: port ${port} on 127\\.0\\.0\\.1 is taken: another process listens there; choose another with --subgraph-port$`, 'm'));
      const api = await runCliAsUser(['serve', SHOP_USERS, '--port', String(port), '--subgraph-port', '0'], ENV);
      expect(api.code).toBe(1);
      expect(api.stderr).toMatch(new RegExp(`^fedsearch: port ${port} on 127\\.0\\.0\\.1 is taken: another process listens there; choose another with --port$`, 'm'));
    } finally {
      taken.close();
    }
  });
});
