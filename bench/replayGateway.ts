// The fast graph: a gateway stand-in, in a process of its own, that answers the batched
// operations fedsearch sends (`e0: movie(movieId: $id0) { … } e1: …`) and the naive pipeline's
// single ones from precomputed per-entity answers — the same JSON the demo graph returned for
// each entity, no resolvers, no query planning. With the graph costing next to nothing, what
// remains of an indexing run is fedsearch's own cost (and Kafka's and Elasticsearch's).
//   node --import tsx bench/replayGateway.ts <answers.json> <port>
// answers.json: { "rootKey": "movie", "documents": { "<id>": { … } }, "introspection": "<the gateway's
// answer to the introspection query>" }. Prints the URL when ready.
// `POST /replace {"from": "…", "to": "…"}` changes a string value in every recorded answer (a person
// renamed in the replayed graph), for the fan-out measured against it.
import { exitWithParent } from './childProcesses.ts';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [file, port] = process.argv.slice(2);
if (!file || port === undefined) throw new Error('usage: replayGateway.ts <answers.json> <port>');
const answers = JSON.parse(readFileSync(file, 'utf8')) as { rootKey: string; documents: Record<string, unknown>; introspection: string };
// Each answer serialized once: a response is then string concatenation.
const serialized = new Map(Object.entries(answers.documents).map(([id, document]) => [id, JSON.stringify(document)]));

/** `id7` → 7, the alias `e7` it binds; a variable without an index is a single, unbatched request. */
const BATCHED_VARIABLE = /^[A-Za-z_]+?(\d+)$/;

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    if (request.url === '/replace') {
      const { from, to } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { from: string; to: string };
      let changed = 0;
      for (const [id, text] of serialized) {
        const replaced = text.split(JSON.stringify(from)).join(JSON.stringify(to));
        if (replaced !== text) changed++;
        serialized.set(id, replaced);
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ changed }));
      return;
    }
    const { query = '', variables = {} } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { query?: string; variables?: Record<string, string> };
    if (query.includes('__schema')) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(answers.introspection);
      return;
    }
    const fields: string[] = [];
    for (const [name, id] of Object.entries(variables)) {
      const batched = BATCHED_VARIABLE.exec(name);
      const key = batched ? `e${batched[1]}` : answers.rootKey;
      fields.push(`${JSON.stringify(key)}:${serialized.get(String(id)) ?? 'null'}`);
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(`{"data":{${fields.join(',')}}}`);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(port), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}/graphql\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
exitWithParent();
