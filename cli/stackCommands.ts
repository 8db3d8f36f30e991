import type { Command } from 'commander';
import { fromDevelopmentStack } from './developmentStack.ts';
import { runAction } from './runAction.ts';

/** The stack's module: a development clone's (see developmentStack.ts). */
const loadStack = async () => fromDevelopmentStack('stack', () => import('../stack/stack.ts'));

const say = (message: string): void => void process.stderr.write(`${message}\n`);

export function addStackCommands(program: Command): void {
  const stack = program
    .command('stack')
    .description('start, check and stop the local Elasticsearch and Kafka (real servers, loopback only)')
    .addHelpText(
      'after',
      `
Jars come from Maven Central through Maven (cached in ~/.m2); data, logs and PID files live in
~/.cache/fedsearch/run (set FEDSEARCH_CACHE to move them). Ports: Kafka 127.0.0.1:9092 (+9093 for its
controller), Elasticsearch 127.0.0.1:9200 (+9300 transport); override with FEDSEARCH_KAFKA_PORT
and FEDSEARCH_ES_PORT.`,
    );

  stack
    .command('up')
    .description('start the services that are not running and wait until they answer (idempotent)')
    .action(runAction(async () => {
      const { describeStatus, stackStatus, stackUp } = await loadStack();
      await stackUp(say);
      for (const status of await stackStatus()) process.stdout.write(`${describeStatus(status)}\n`);
    }));

  stack
    .command('down')
    .description('stop exactly the processes `stack up` started (by their PID files); data is kept')
    .action(runAction(async () => {
      const { stackDown } = await loadStack();
      await stackDown(say);
    }));

  stack
    .command('status')
    .description('say what runs where; exits 3 when a service is not running')
    .action(runAction(async () => {
      const { describeStatus, stackStatus } = await loadStack();
      const statuses = await stackStatus();
      for (const status of statuses) process.stdout.write(`${describeStatus(status)}\n`);
      if (statuses.some((s) => s.state.state !== 'running')) process.exitCode = 3;
    }));
}
