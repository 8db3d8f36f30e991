// `fedsearch run <dir>`: the movies index (demo graph, through its gateway) and the shop's
// products (composite key, fetched by @key from four subgraphs) in one process, spawned as a
// user runs it. Both follow their events and audit clean; a config broken on disk and a SIGHUP
// leave the running one as it was, saying why; an index's dead-letter retries join their group
// only once it has a letter; one index's Elasticsearch index deleted under it stops that index
// alone — /healthz names it, the other goes on indexing; Ctrl-C stops cleanly. A SIGHUP while
// the indexes start is taken once they have; one after SIGTERM lets the process exit.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runBackfill } from '../../src/backfill/runBackfill.ts';
import { METADATA_INDEX } from '../../src/index/indexMetadata.ts';
import { indexNames } from '../../src/index/indexNames.ts';
import { loadIndex } from '../../src/index/loadIndex.ts';
import { provision } from '../../src/provision/provisionCommand.ts';
import { DeadLetterQueue } from '../../src/pipeline/deadLetters.ts';
import { postGraphQL } from '../../subgraphs/shared/postGraphQL.ts';
import { startShopGraph, type ShopGraph } from '../../subgraphs/shop/shopGraph.ts';
import { createIndexHarness, eventually, indexedDocument, type IndexHarness } from '../../support/indexHarness.ts';
import { tcpConnectionsOf } from '../../support/tcpConnections.ts';
import { exitOf, pressCtrlC, runCliAsUser, spawnCliAsUser } from '../support/userCli.ts';
import type { ChildProcess } from 'node:child_process';

const quiet = { update: () => {}, note: () => {}, stop: () => {} };
const backfillAll = { rate: Number.POSITIVE_INFINITY, resume: false, newVersion: false, cleanup: false, graceSeconds: 0 } as const;

interface FleetHealth {
  status: string;
  indexes: Record<string, { status: string; reason?: string; refusedChange?: string; file: string; consumers?: number }>;
}

describe('run <dir>: many indexes in one process', () => {
  let h: IndexHarness;
  let shop: ShopGraph;
  let es: Client;
  let env: Record<string, string>;
  let dir: string;
  let shopFile: string;
  let shopIndex: string;
  let child: ChildProcess | undefined;
  let stderr = '';
  let url = '';

  const health = async (path = '/healthz'): Promise<{ code: number; body: FleetHealth }> => {
    const response = await fetch(`${url}${path}`);
    return { code: response.status, body: (await response.json()) as FleetHealth };
  };
  const productName = async (sku: string, pkg: string): Promise<string | undefined> => {
    const found = await es.get<{ name: string }>({ index: shopIndex, id: JSON.stringify({ sku, package: pkg }) }, { ignore: [404] });
    return found.found ? found._source?.name : undefined;
  };
  const renameProduct = (name: string): Promise<unknown> =>
    postGraphQL(shop.gatewayUrl, `mutation { renameProduct(sku: "rover", package: "@apollo/rover", name: "${name}") { name } }`);
  const audit = (file: string): Promise<{ code: number | null; stdout: string; stderr: string }> =>
    runCliAsUser(['audit', file, '--full'], { ...env, FEDSEARCH_LOG_LEVEL: 'warn' });

  beforeAll(async () => {
    h = await createIndexHarness({ elasticsearchUrl: inject('elasticsearchUrl'), kafkaBrokers: inject('kafkaBrokers'), movies: 20 });
    shop = await startShopGraph({ kafkaBrokers: inject('kafkaBrokers'), ports: { gateway: 0, users: 0, products: 0, inventory: 0, reviews: 0 } });
    env = {
      ...h.env,
      SHOP_USERS_URL: shop.subgraphUrls.users,
      SHOP_PRODUCTS_URL: shop.subgraphUrls.products,
      SHOP_INVENTORY_URL: shop.subgraphUrls.inventory,
      SHOP_REVIEWS_URL: shop.subgraphUrls.reviews,
    };
    es = new Client({ node: inject('elasticsearchUrl') });
    dir = mkdtempSync(join(tmpdir(), 'fedsearch-many-'));
    copyFileSync(h.configFile, join(dir, 'movies.yaml'));
    shopIndex = `it_shop_products_${randomUUID().slice(0, 8)}`;
    shopFile = join(dir, 'shop-products.yaml');
    writeFileSync(
      shopFile,
      readFileSync(new URL('../../index-configs/shop-products.yaml', import.meta.url), 'utf8')
        .replace('index: shop-products', `index: ${shopIndex}`)
        .replace('../subgraphs/shop/supergraph.graphql', new URL('../../subgraphs/shop/supergraph.graphql', import.meta.url).pathname),
    );
    const shopLoaded = await loadIndex(shopFile, { env: { ...(process.env as Record<string, string>), ...env } });
    await provision(shopLoaded, { dryRun: false }, () => {});
    await runBackfill(h.loaded, backfillAll, quiet);
    await runBackfill(shopLoaded, backfillAll, quiet);

    child = spawnCliAsUser(['run', dir, '--metrics-port', '0'], { env });
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.stdout?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    url = await eventually('both indexes running', async () => /2 of 2 index\(es\) running; metrics (\S+)\/metrics/.exec(stderr)?.[1], 90_000);
  }, 240_000);

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      pressCtrlC(child);
      await exitOf(child);
    }
    await shop?.stop();
    await es?.indices.delete({ index: `${shopIndex}_v*`, ignore_unavailable: true, allow_no_indices: true });
    await es?.indices.deleteIndexTemplate({ name: indexNames(shopIndex).templateName }).catch(() => undefined);
    await es?.delete({ index: METADATA_INDEX, id: shopIndex }).catch(() => undefined);
    await es?.close();
    await h?.dispose();
  }, 60_000);

  it('indexes the events of both, serves one /metrics labelled by index, and each audits clean', async () => {
    await h.gql('mutation { updateMovie(movieId: "mov-0000002", patch: { title: "Two Indexes, One Process" }) { movieId } }');
    await renameProduct('Rover, many indexes');
    await eventually('the movie change', async () => ((await indexedDocument<{ title: string }>(h, 'mov-0000002'))?.title === 'Two Indexes, One Process' ? true : undefined));
    await eventually('the product change', async () => ((await productName('rover', '@apollo/rover')) === 'Rover, many indexes' ? true : undefined));

    const { code, body } = await health();
    expect(code).toBe(200);
    expect(body.status).toBe('ok');
    expect(Object.fromEntries(Object.entries(body.indexes).map(([name, one]) => [name, one.status]))).toEqual({ [h.index]: 'ok', [shopIndex]: 'ok' });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics.match(/^# TYPE fedsearch_documents_written_total /gm)).toHaveLength(1);
    expect(metrics).toMatch(new RegExp(`fedsearch_documents_written_total\\{[^}]*index="${h.index}"`));
    expect(metrics).toMatch(new RegExp(`fedsearch_documents_written_total\\{[^}]*index="${shopIndex}"`));

    // One producer and one admin serve both indexes (neither config names a kafka.clientId): two
    // connections for each of the four consumers (enrich and sink of each; kafkajs fetches on a
    // connection of its own), and two more. With a producer and an admin per index it held 12.
    const kafkaPort = Number(new URL(`kafka://${inject('kafkaBrokers')[0]}`).port);
    const kafkaConnections = tcpConnectionsOf(child?.pid as number, [kafkaPort])[kafkaPort];
    expect(kafkaConnections).toBeGreaterThanOrEqual(4);
    expect(kafkaConnections).toBeLessThanOrEqual(2 * 4 + 2);

    for (const file of [join(dir, 'movies.yaml'), shopFile]) {
      const report = await eventually(`a clean audit of ${file}`, async () => {
        const result = await audit(file);
        return result.code === 0 ? result : undefined;
      }, 120_000);
      expect(report.code).toBe(0);
    }
  }, 300_000);

  it("starts an index's dead-letter retries (its recover group) once its dead-letter topic has a letter", async () => {
    // No letters so far: the shop index runs its enrich and sink consumers only.
    expect((await health()).body.indexes[shopIndex]?.consumers).toBe(2);
    const producer = h.kafka.producer();
    await producer.connect();
    try {
      const id = JSON.stringify({ sku: 'rover', package: '@apollo/rover' });
      await new DeadLetterQueue(producer, indexNames(shopIndex).dlqTopic).send([
        { kind: 'refetch', stage: 'enrich', reason: 'written by the test', entityId: id, source: null, key: id, value: null },
      ]);
    } finally {
      await producer.disconnect();
    }
    await eventually('the recover consumer', async () => ((await health()).body.indexes[shopIndex]?.consumers === 3 ? true : undefined));
    const admin = h.kafka.admin();
    await admin.connect();
    try {
      const members = await eventually('a member in the recover group', async () => {
        const { groups } = await admin.describeGroups([indexNames(shopIndex).recoverGroup]);
        return (groups[0]?.members.length ?? 0) > 0 ? groups[0]?.members.length : undefined;
      });
      expect(members).toBe(1);
    } finally {
      await admin.disconnect();
    }
  }, 120_000);

  it('keeps the running config when a changed one does not load on SIGHUP, and says why with file:line', async () => {
    const good = readFileSync(shopFile, 'utf8');
    writeFileSync(shopFile, good.replace('  type: Product\n', '  type: Prodcut\n'));
    const before = stderr.length;
    process.kill(child?.pid as number, 'SIGHUP');
    const said = await eventually('the refusal', async () => {
      const line = stderr.slice(before).split('\n').find((text) => text.includes('changed but does not load'));
      return line;
    });
    expect(said).toContain(`${shopFile}:`);
    const { body } = await health();
    expect(body.indexes[shopIndex]).toMatchObject({ status: 'ok', refusedChange: expect.stringContaining('Prodcut') });
    // The old config runs on.
    await renameProduct('Rover, still running');
    await eventually('the product change after the refused reload', async () => ((await productName('rover', '@apollo/rover')) === 'Rover, still running' ? true : undefined));
    writeFileSync(shopFile, good);
  }, 120_000);

  it("stops the index whose Elasticsearch index is deleted, names it in /healthz, and the other goes on", async () => {
    await es.indices.delete({ index: `${h.index}_v*` });
    const { code, body } = await eventually('/healthz naming the failing index', async () => {
      const now = await health();
      return now.body.indexes[h.index]?.status === 'failed' ? now : undefined;
    });
    // One failing index does not fail the process's probe: the other still indexes.
    expect(code).toBe(200);
    expect(body.status).toBe('degraded');
    expect(body.indexes[h.index]?.reason).toContain(`alias ${h.index} is gone`);
    expect(body.indexes[shopIndex]?.status).toBe('ok');
    expect((await health(`/healthz/${h.index}`)).code).toBe(503);
    expect((await health(`/healthz/${shopIndex}`)).code).toBe(200);
    expect(stderr).toContain(`${h.index}: its alias ${h.index} is gone`);

    await renameProduct('Rover, after the other index went');
    await eventually('the product change with the movies index gone', async () => ((await productName('rover', '@apollo/rover')) === 'Rover, after the other index went' ? true : undefined));
    // Nothing wrote an index named like the alias (with guessed mappings) meanwhile.
    expect((await es.indices.exists({ index: h.index }))).toBe(false);
  }, 120_000);

  it('stops every index on Ctrl-C and exits 0', async () => {
    pressCtrlC(child as ChildProcess);
    expect((await exitOf(child as ChildProcess)).code).toBe(0);
  }, 60_000);
});

describe('run <dir>: signals', () => {
  let h: IndexHarness;
  let silent: Server;
  const sockets: Socket[] = [];
  const children: ChildProcess[] = [];

  const spawnRun = (dir: string): { child: ChildProcess; output: () => string } => {
    const child = spawnCliAsUser(['run', dir, '--metrics-port', '0'], { env: { ...h.env, FEDSEARCH_LOG_LEVEL: 'warn' } });
    children.push(child);
    let text = '';
    child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    return { child, output: () => text };
  };
  /** What the process said to its operator (the log's JSON lines left out). */
  const said = (output: string): string => output.split('\n').filter((line) => !line.startsWith('{')).join('\n');

  beforeAll(async () => {
    h = await createIndexHarness({ elasticsearchUrl: inject('elasticsearchUrl'), kafkaBrokers: inject('kafkaBrokers'), movies: 5 });
    // A gateway that takes connections and never answers (a hung gateway, a slow introspection).
    silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  }, 120_000);

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent?.close(resolve));
    await h?.dispose();
  }, 60_000);

  it('re-reads the configs once started for a SIGHUP that comes while the indexes are starting', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fedsearch-hup-'));
    const movies = readFileSync(h.configFile, 'utf8');
    writeFileSync(join(dir, 'movies.yaml'), movies);
    // Another index behind a gateway that does not answer: loading it takes its timeoutMs.
    const port = (silent.address() as { port: number }).port;
    writeFileSync(
      join(dir, 'slow.yaml'),
      movies.replace(`index: ${h.index}`, `index: ${h.index}_slow`).replace('${FEDSEARCH_GATEWAY_URL:-http://127.0.0.1:4000/graphql}', `http://127.0.0.1:${port}/graphql`),
    );
    const { child, output } = spawnRun(dir);
    await eventually('the slow index being loaded', async () => (sockets.length > 0 ? true : undefined), 30_000);
    process.kill(child.pid as number, 'SIGHUP');
    const alive = (): true => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the process ended (${child.exitCode ?? child.signalCode}):\n${said(output())}`);
      return true;
    };
    await eventually('the reload after the start', async () => (alive() && said(output()).includes('reloaded: 1 of 2 index(es) running') ? true : undefined), 90_000);
    expect(said(output())).toContain('SIGHUP: the indexes are still starting; the configs are re-read once they have');
    process.kill(child.pid as number, 'SIGTERM');
    expect((await exitOf(child)).code).toBe(0);
  }, 150_000);

  it('exits 0 when a SIGHUP comes after SIGTERM, without starting the indexes again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fedsearch-term-'));
    writeFileSync(join(dir, 'movies.yaml'), readFileSync(h.configFile, 'utf8'));
    const { child, output } = spawnRun(dir);
    await eventually('the index running', async () => (/1 of 1 index\(es\) running/.test(output()) ? true : undefined), 90_000);
    process.kill(child.pid as number, 'SIGTERM');
    await eventually('the drain begun', async () => (output().includes('draining…') ? true : undefined));
    process.kill(child.pid as number, 'SIGHUP');
    expect({ exit: await exitOf(child), said: said(output()) }).toMatchObject({ exit: { code: 0 }, said: expect.stringContaining('SIGHUP: stopping; the configs are not re-read') });
    expect(said(output())).not.toContain('reloaded:');
  }, 150_000);
});
