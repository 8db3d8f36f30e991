import { randomUUID } from 'node:crypto';
import type { Consumer } from '../../src/clients/kafkajs.ts';
import { Kafka, logLevel } from '../../src/clients/kafkajs.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startDemoGraph, type DemoGraph } from '../../subgraphs/startDemoGraph.ts';
import type { ChangeEvent } from '../../subgraphs/shared/changeEvents.ts';
import { postGraphQL } from '../../subgraphs/shared/postGraphQL.ts';

interface Received {
  topic: string;
  key: string;
  event: ChangeEvent<Record<string, unknown>>;
}

const gql = postGraphQL;

describe('demo federated graph', () => {
  const run = randomUUID().slice(0, 8);
  const topics = {
    movie: `test.${run}.movie.changes`,
    production: `test.${run}.production.changes`,
    talent: `test.${run}.talent.changes`,
    credit: `test.${run}.credit.changes`,
  };
  let graph: DemoGraph;
  let consumer: Consumer;
  const received: Received[] = [];

  beforeAll(async () => {
    const brokers = inject('kafkaBrokers');
    const kafka = new Kafka({ clientId: 'demo-graph-test', brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: Object.values(topics).map((topic) => ({ topic })), waitForLeaders: true });
    await admin.disconnect();
    graph = await startDemoGraph({
      movies: 200,
      kafkaBrokers: brokers,
      topics,
      ports: { gateway: 0, movies: 0, productions: 0, talent: 0 },
    });
    consumer = kafka.consumer({ groupId: `demo-graph-test-${run}` });
    await consumer.connect();
    await consumer.subscribe({ topics: Object.values(topics), fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        received.push({ topic, key: String(message.key), event: JSON.parse(String(message.value)) });
      },
    });
  });

  afterAll(async () => {
    await consumer?.disconnect();
    await graph?.stop();
  });

  const eventFor = async (topic: string, key: string, op: string): Promise<Received> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const hit = received.find((r) => r.topic === topic && r.key === key && r.event.op === op);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`no ${op} event for ${key} on ${topic}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  it('answers one gateway query with fields owned by all three subgraphs', async () => {
    interface MovieAcrossTeams {
      movieId: string;
      title: string;
      production: { ptpId: string; shootingLocations: unknown[] };
      cast: Array<{ role: string; talent: { name: string } }>;
    }
    const data = await gql<{ movie: MovieAcrossTeams }>(
      graph.gatewayUrl,
      `query($id: ID!) { movie(movieId: $id) {
         movieId title genres
         production { ptpId status shootingLocations { city country } }
         cast { role talent { talentId name } }
      } }`,
      { id: 'mov-0000001' },
    );
    expect(data.movie.movieId).toBe('mov-0000001');
    expect(typeof data.movie.title).toBe('string'); // movies subgraph
    expect(data.movie.production.ptpId).toBe('ptp-0000001'); // productions subgraph
    expect(data.movie.production.shootingLocations.length).toBeGreaterThan(0);
    expect(data.movie.cast.length).toBeGreaterThanOrEqual(4); // talent subgraph
    expect(data.movie.cast[0]).toMatchObject({ role: 'DIRECTOR', talent: { name: expect.any(String) } });
  });

  it('enumerates every movie through cursor pagination', async () => {
    const ids: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: { movies: { edges: Array<{ node: { movieId: string } }>; pageInfo: { endCursor: string; hasNextPage: boolean } } } =
        await gql(graph.gatewayUrl, 'query($after: String) { movies(first: 64, after: $after) { edges { node { movieId } } pageInfo { endCursor hasNextPage } } }', { after });
      ids.push(...page.movies.edges.map((edge) => edge.node.movieId));
      if (!page.movies.pageInfo.hasNextPage) break;
      after = page.movies.pageInfo.endCursor;
    }
    expect(ids).toHaveLength(200);
    expect(new Set(ids).size).toBe(200);
  });

  it('publishes a CDC event keyed by id on the owning team’s topic for each mutation', async () => {
    const created = await gql<{ createMovie: { movieId: string } }>(
      graph.gatewayUrl,
      'mutation { createMovie(input: { title: "Deadpool & Wolverine", genres: ["action", "comedy"] }) { movieId } }',
    );
    const movieId = created.createMovie.movieId;
    expect(movieId).toBe('mov-0000201');
    const create = await eventFor(topics.movie, movieId, 'c');
    expect(create.event).toMatchObject({ before: null, after: { movieId, title: 'Deadpool & Wolverine' } });
    expect(create.event.source).toEqual({ service: 'movies', entity: 'Movie' });
    expect(Math.abs(create.event.ts_ms - Date.now())).toBeLessThan(60_000);

    await gql(graph.gatewayUrl, 'mutation { updateProduction(ptpId: "ptp-0000002", patch: { status: PHOTOGRAPHY }) { ptpId } }');
    const update = await eventFor(topics.production, 'ptp-0000002', 'u');
    expect(update.event.after).toMatchObject({ ptpId: 'ptp-0000002', movieId: 'mov-0000002', status: 'PHOTOGRAPHY' });
    expect(update.event.before).toMatchObject({ ptpId: 'ptp-0000002' });

    await gql(graph.gatewayUrl, 'mutation { updateTalent(talentId: "tal-0000001", patch: { name: "Ryan Rodney Reynolds" }) { talentId } }');
    const talent = await eventFor(topics.talent, 'tal-0000001', 'u');
    expect(talent.event.after).toMatchObject({ name: 'Ryan Rodney Reynolds' });

    const credit = await gql<{ addCredit: { creditId: string } }>(
      graph.gatewayUrl,
      `mutation { addCredit(input: { movieId: "${movieId}", talentId: "tal-0000001", role: ACTOR, character: "Wade" }) { creditId } }`,
    );
    const creditEvent = await eventFor(topics.credit, credit.addCredit.creditId, 'c');
    expect(creditEvent.event.after).toMatchObject({ movieId, talentId: 'tal-0000001', role: 'ACTOR' });

    expect(await gql(graph.gatewayUrl, `mutation { deleteMovie(movieId: "${movieId}") }`)).toEqual({ deleteMovie: true });
    const deletion = await eventFor(topics.movie, movieId, 'd');
    expect(deletion.event).toMatchObject({ before: { movieId }, after: null });
    expect(await gql(graph.gatewayUrl, `{ movie(movieId: "${movieId}") { title } }`)).toEqual({ movie: null });
  });
});
