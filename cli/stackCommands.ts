import type { Command } from 'commander';
import { fromDevelopmentStack } from './developmentStack.ts';
import { runAction } from './runAction.ts';

/** The stack's module: a development clone's (see developmentStack.ts). */
const loadStack = async () => fromDevelopmentStack('stack', () => import('../stack/stack.ts'));

const say = (message: string): void => void process.stderr.write(`${message}\n`);

export function addStackCommands(program: Command): void {
  const stack = program
    .command('stack')
    .description('start, check and stop the local Kafka, Elasticsearch, PostgreSQL and Kafka Connect (real servers, loopback only)')
    .addHelpText(
      'after',
      `
Jars come from Maven Central through Maven (cached in ~/.m2); PostgreSQL from the machine's
Debian package (postgresql-15 or newer). Data, logs and PID files live in ~/.cache/fedsearch/run
(set FEDSEARCH_CACHE to move them). Ports: Kafka 127.0.0.1:9092 (+9093 for its controller),
Elasticsearch 127.0.0.1:9200 (+9300 transport), PostgreSQL 127.0.0.1:55432, Kafka Connect's REST
127.0.0.1:8083; override with FEDSEARCH_KAFKA_PORT, FEDSEARCH_ES_PORT, FEDSEARCH_PG_PORT and
FEDSEARCH_CONNECT_PORT.`,
    );

  stack
    .command('up')
    .description('start the services that are not running and wait until they answer (idempotent)')
    .action(runAction(async () => {
      const { allStackServices, describeStatus, stackStatus, stackUp } = await loadStack();
      await stackUp(say, allStackServices());
      for (const status of await stackStatus(allStackServices())) process.stdout.write(`${describeStatus(status)}\n`);
    }));

  stack
    .command('down')
    .description('stop exactly the processes `stack up` started (by their PID files); data is kept')
    .action(runAction(async () => {
      const { allStackServices, stackDown } = await loadStack();
      await stackDown(say, allStackServices());
    }));

  stack
    .command('status')
    .description('say what runs where; exits 3 when a service is not running or a connector failed')
    .option('--json', 'print {"services":[{"name","url","state",…}]} instead of lines')
    .action(runAction(async (options: { json?: boolean }) => {
      const { allHealthy, allStackServices, describeStatus, stackStatus, statusJson } = await loadStack();
      const statuses = await stackStatus(allStackServices());
      if (options.json) process.stdout.write(`${JSON.stringify(statusJson(statuses))}\n`);
      else for (const status of statuses) process.stdout.write(`${describeStatus(status)}\n`);
      if (!allHealthy(statuses)) process.exitCode = 3;
    }));
}
