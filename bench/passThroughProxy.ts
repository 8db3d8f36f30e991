// The least a Node.js service in front of Elasticsearch costs: a node:http server that sends each
// POSTed body, unchanged, to `<elasticsearch>/<index>/_search` over keep-alive connections and
// answers with Elasticsearch's bytes, no parsing either way. bench/profileSearch.ts runs it beside
// `fedsearch serve` as the floor of a search service's CPU per request on this machine. Prints its
// URL once it listens (port 0: any free port).
//   node --import tsx bench/passThroughProxy.ts <elasticsearchUrl> <index> <port>
import { exitWithParent } from './childProcesses.ts';
import { Agent, createServer, request as httpRequest } from 'node:http';

const [elasticsearch, index, port] = process.argv.slice(2) as [string, string, string];
const agent = new Agent({ keepAlive: true });
const target = new URL(`/${index}/_search`, elasticsearch);
const server = createServer(async (incoming, response) => {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  const outgoing = httpRequest(target, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (answer) => {
    const parts: Buffer[] = [];
    answer.on('data', (part: Buffer) => parts.push(part));
    answer.on('end', () => {
      response.writeHead(answer.statusCode ?? 502, { 'content-type': 'application/json' });
      response.end(Buffer.concat(parts));
    });
  });
  outgoing.on('error', () => response.destroy());
  outgoing.end(Buffer.concat(chunks));
});
server.listen(Number(port), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}/\n`);
});
exitWithParent();
