import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runPipeline, type RunningPipeline } from '../../src/pipeline/runPipeline.ts';
import { registerConnector, teamConnectorConfig } from '../../stack/debeziumConnectors.ts';
import { generateStudio } from '../../subgraphs/data/generateStudio.ts';
import { PRODUCTIONS_TABLE } from '../../subgraphs/data/studioTables.ts';
import { PostgresStore } from '../../subgraphs/shared/postgresStore.ts';
import { createIndexHarness, eventually, readDeadLetters, type IndexHarness } from '../../support/indexHarness.ts';
import { startCdcServices, type CdcServices } from '../../support/cdcServices.ts';

// The movies team's rows in a real PostgreSQL, captured by Debezium on a real Kafka Connect
// worker (ports and cache of this file's own), and an index whose primary events are Debezium's
// topic (`format: debezium`, `id: id`) over the demo graph. The graph keeps its own data: a
// change in the table makes fedsearch fetch the movie again, which shows as a newer fetch version.
// Below the ephemeral port range (32768–60999): a client socket of the suite can hold a port in it.
const PG_PORT = 25443;
const CONNECT_PORT = 18084;
const MOVIES = 20;
const say = (message: string): void => void process.stderr.write(`[debezium test] ${message}\n`);

describe('Debezium change events from PostgreSQL, read natively', () => {
  let services: CdcServices;
  let h: IndexHarness;
  let pipeline: RunningPipeline;
  let changeTopic: string;

  /** The document's external version: the time it was fetched from the graph. */
  const fetchVersionOf = async (id: string): Promise<number | null> => {
    try {
      return (await h.es.get({ index: h.index, id }))._version ?? null;
    } catch (error) {
      if ((error as { meta?: { statusCode?: number } }).meta?.statusCode === 404) return null;
      throw error;
    }
  };
  const metricValue = async (pattern: RegExp): Promise<number> => {
    const text = await (await fetch(`${pipeline.metricsUrl}/metrics`)).text();
    return Number(pattern.exec(text)?.[1] ?? 0);
  };

  beforeAll(async () => {
    services = await startCdcServices({ pgPort: PG_PORT, connectPort: CONNECT_PORT, kafkaBrokers: inject('kafkaBrokers'), say });
    const topicPrefix = `fsdbz${services.runId}.movies`;
    changeTopic = `${topicPrefix}.public.movies`;
    await services.psql('movies', 'CREATE TABLE movies (id text PRIMARY KEY, title text NOT NULL)');
    await services.psql('movies', "INSERT INTO movies VALUES ('mov-0000001', 'One'), ('mov-0000002', 'Two'), ('mov-0000003', 'Three')");

    h = await createIndexHarness({
      elasticsearchUrl: inject('elasticsearchUrl'),
      kafkaBrokers: inject('kafkaBrokers'),
      movies: MOVIES,
      sourcePartitions: 1,
      edit: (yaml) => {
        const edited = yaml.replace(/    - topic: it\.\w+\.movie\.changes\n      id: after\.movieId\n/, `    - topic: ${changeTopic}\n      format: debezium\n      id: id\n`);
        if (edited === yaml) throw new Error('the movies config no longer has the primary event source this test replaces');
        return edited;
      },
    });
    const admin = h.kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: changeTopic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    pipeline = await runPipeline(h.loaded, { stage: 'all', metricsPort: 0 });
    // The connector's initial snapshot reads the three rows (op r) after the pipeline is reading.
    await registerConnector(services.connectUrl, `fedsearch-dbz-${services.runId}`, teamConnectorConfig({ database: 'movies', topicPrefix }));
  }, 600_000);

  afterAll(async () => {
    await pipeline?.stop();
    await h?.dispose();
    await services?.stop(changeTopic === undefined ? [] : [changeTopic]);
  }, 120_000);

  it("indexes the snapshot's rows (op r is an upsert)", async () => {
    for (const id of ['mov-0000001', 'mov-0000002', 'mov-0000003']) {
      await eventually(`${id} from the snapshot`, async () => ((await fetchVersionOf(id)) !== null ? true : undefined), 120_000);
    }
    expect(await fetchVersionOf('mov-0000004')).toBeNull();
  }, 150_000);

  it('fetches a movie again when its row is updated, and reports the latency from the commit', async () => {
    const before = (await fetchVersionOf('mov-0000002')) as number;
    await services.psql('movies', "UPDATE movies SET title = 'Two, again' WHERE id = 'mov-0000002'");
    await eventually('the re-fetched document', async () => (((await fetchVersionOf('mov-0000002')) ?? 0) > before ? true : undefined), 60_000);
    // Only Debezium's events carry a source time here: each gives one end-to-end sample.
    expect(await metricValue(/fedsearch_end_to_end_seconds_count\{[^}]*\} (\d+)/)).toBeGreaterThan(0);
  }, 90_000);

  it("reads a delete from before, and skips its tombstone without a dead letter", async () => {
    const before = (await fetchVersionOf('mov-0000003')) as number;
    const tombstones = /fedsearch_events_skipped_total\{[^}]*reason="tombstone"[^}]*\} (\d+)/;
    expect(await metricValue(tombstones)).toBe(0);
    await services.psql('movies', "DELETE FROM movies WHERE id = 'mov-0000003'");
    // The graph still has the movie: the delete's fetch finds it and writes it again.
    await eventually('the delete read', async () => (((await fetchVersionOf('mov-0000003')) ?? 0) > before ? true : undefined), 60_000);
    await eventually('the tombstone skipped', async () => ((await metricValue(tombstones)) === 1 ? true : undefined), 60_000);
    expect(await readDeadLetters(h.kafka, `${h.index}.dlq`)).toEqual([]);
    expect(await metricValue(/fedsearch_events_total\{[^}]*outcome="undecodable"[^}]*\} (\d+)/)).toBe(0);
  }, 90_000);

  // The demo's store, on the same server (the productions database, which nothing here captures):
  // a rerun of the demo keeps the studio it finds with the changes made since; --fresh starts over.
  it('keeps a studio a database holds, with its changes, unless told to fill it again', async () => {
    const rows = generateStudio({ movies: 5 }).productions;
    const [first] = rows;
    if (first === undefined) throw new Error('the studio has no productions');
    const open = async (studio: string, refill: boolean) => {
      const store = new PostgresStore(services.pgUrl, studio, refill);
      const table = store.table(PRODUCTIONS_TABLE, rows);
      await store.ready();
      return { store, table };
    };
    const changed = first.status === 'DEVELOPMENT' ? 'PHOTOGRAPHY' : 'DEVELOPMENT';
    const earlier = await open('studio-a', false);
    await earlier.table.save({ ...first, status: changed });
    await earlier.store.close();

    const kept = await open('studio-a', false);
    expect((await kept.table.get(first.ptpId))?.status).toBe(changed);
    await kept.store.close();

    const fresh = await open('studio-a', true);
    expect((await fresh.table.get(first.ptpId))?.status).toBe(first.status);
    expect((await fresh.table.page(100, null)).totalCount).toBe(rows.length);
    await fresh.store.close();
  }, 60_000);
});
