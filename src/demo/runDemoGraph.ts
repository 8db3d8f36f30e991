import { DEFAULT_FAULT_ADMIN_PORT } from '../../subgraphs/faultAdmin.ts';
import { startDemoGraph, type DemoGraph, type DemoGraphOptions } from '../../subgraphs/startDemoGraph.ts';
import { SHOP_TOPICS, startShopGraph, type ShopGraph } from '../../subgraphs/shop/shopGraph.ts';
import { InfrastructureError } from '../errors.ts';
import { handleInterrupts, untilInterrupted } from '../interruption.ts';

const say = (message: string): void => void process.stderr.write(`${message}\n`);

/** Starts the demo graph, prints where it listens, and runs until Ctrl-C. */
export async function runDemoGraph(options: DemoGraphOptions): Promise<void> {
  handleInterrupts(say);
  const graph = await startDemoGraphOrExplain(options);
  printGraph(graph);
  say('Ctrl-C stops the graph.');
  await untilInterrupted();
  await graph.stop();
  say('demo graph stopped');
}

/**
 * Starts the shop graph (four subgraphs and a gateway on ports 4100–4104, the graph of
 * index-configs/shop-*.yaml), prints where it listens, and runs until Ctrl-C.
 */
export async function runShopGraph(options: { kafkaBrokers: string[] | null }): Promise<void> {
  handleInterrupts(say);
  const started = Date.now();
  say('starting the shop graph…');
  let graph: ShopGraph;
  try {
    graph = await startShopGraph({ kafkaBrokers: options.kafkaBrokers });
  } catch (error) {
    throw explainStartFailure(error, options.kafkaBrokers);
  }
  say(`shop graph ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  process.stdout.write(
    [
      `gateway        ${graph.gatewayUrl}`,
      ...Object.entries(graph.subgraphUrls).map(([name, url]) => `  ${name.padEnd(13)}${url}`),
      `change topics  ${Object.values(SHOP_TOPICS).join(', ')}`,
      'indexes        index-configs/shop-*.yaml (fedsearch serve index-configs/ serves them with the rest)',
    ].join('\n') + '\n',
  );
  say('Ctrl-C stops the graph.');
  await untilInterrupted();
  await graph.stop();
  say('shop graph stopped');
}

export async function startDemoGraphOrExplain(options: DemoGraphOptions): Promise<DemoGraph> {
  const started = Date.now();
  say(`starting the demo graph with ${options.movies ?? 10_000} movies…`);
  try {
    // Its fault switch on the default port, where `fedsearch demo graph fault` finds it.
    const graph = await startDemoGraph({ adminPort: DEFAULT_FAULT_ADMIN_PORT, ...options });
    say(`demo graph ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    return graph;
  } catch (error) {
    throw explainStartFailure(error, options.kafkaBrokers);
  }
}

/** A port taken or Kafka unreachable, said with what to do; any other error as it is. */
function explainStartFailure(error: unknown, kafkaBrokers: string[] | null | undefined): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    return new InfrastructureError(`a demo graph port is taken (${(error as Error).message}); stop the other demo graph or pass other ports`);
  }
  if (error instanceof Error && /KafkaJS|ECONNREFUSED/.test(`${error.name} ${error.message}`)) {
    return new InfrastructureError(
      `cannot reach Kafka at ${kafkaBrokers?.join(',')} for change events (${error.message}). ` +
        'Start it with `fedsearch stack up`, or pass --no-events.',
    );
  }
  return error;
}

export function printGraph(graph: DemoGraph): void {
  const lines = [
    `gateway        ${graph.gatewayUrl}`,
    `  movies       ${graph.subgraphUrls.movies}`,
    `  productions  ${graph.subgraphUrls.productions}`,
    `  talent       ${graph.subgraphUrls.talent}`,
    `studio         ${graph.studioSize.movies} movies, ${graph.studioSize.productions} productions, ` +
      `${graph.studioSize.talent} talent, ${graph.studioSize.credits} credits`,
    `change topics  ${Object.values(graph.topics).join(', ')}`,
    ...(graph.adminUrl ? [`fault switch   ${graph.adminUrl}/faults (fedsearch demo graph fault <subgraph> --errors <percent> --for <duration>)`] : []),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
