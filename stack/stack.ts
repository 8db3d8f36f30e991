import { elasticsearchService } from './elasticsearchService.ts';
import { kafkaConnectService } from './kafkaConnectService.ts';
import { kafkaService } from './kafkaService.ts';
import type { ServiceState } from './localService.ts';
import { postgresService } from './postgresService.ts';
import { jvmStackService, type StackService } from './stackService.ts';

/**
 * Kafka and Elasticsearch, in start order: what the indexer, the demo and the integration tests'
 * global setup need. The change-data-capture services are separate so that those do not start
 * PostgreSQL and a Connect worker they do not use.
 */
export function stackServices(): StackService[] {
  return [jvmStackService(kafkaService()), jvmStackService(elasticsearchService())];
}

/** PostgreSQL (the teams' databases) and Kafka Connect with Debezium, after the Kafka it writes to. */
export function cdcServices(): StackService[] {
  return [postgresService(), kafkaConnectService()];
}

/** Everything `fedsearch stack up|down|status` manages, in start order. */
export function allStackServices(): StackService[] {
  return [...stackServices(), ...cdcServices()];
}

export type Reporter = (message: string) => void;

/** Starts every service that is not running yet; returns the PIDs of those this call started. */
export async function stackUp(report: Reporter, services = stackServices()): Promise<Map<string, number>> {
  const startedNow = new Map<string, number>();
  for (const service of services) {
    const before = await service.state();
    const pid = await service.start(report);
    if (before.state === 'stopped') startedNow.set(service.name, pid);
  }
  return startedNow;
}

/** Stops the services in reverse start order; only processes our PID files name are touched. */
export async function stackDown(report: Reporter, services = stackServices()): Promise<void> {
  for (const service of [...services].reverse()) await service.stop(report);
}

export interface ServiceStatus {
  service: StackService;
  state: ServiceState;
  /** What a running service reports wrong inside it (a failed connector, with Connect's reason). */
  problems: string[];
}

export async function stackStatus(services = stackServices()): Promise<ServiceStatus[]> {
  return Promise.all(
    services.map(async (service) => {
      const state = await service.state();
      return { service, state, problems: state.state === 'running' ? await problemsOf(service) : [] };
    }),
  );
}

async function problemsOf(service: StackService): Promise<string[]> {
  try {
    return (await service.problems?.()) ?? [];
  } catch (error) {
    return [`could not ask ${service.title} about its state: ${(error as Error).message}`];
  }
}

/** True when every service runs and none reports a problem. */
export function allHealthy(statuses: ServiceStatus[]): boolean {
  return statuses.every((status) => status.state.state === 'running' && status.problems.length === 0);
}

export function describeStatus(status: ServiceStatus): string {
  return [describeState(status), ...status.problems.map((problem) => `  ${problem}`)].join('\n');
}

function describeState({ service, state }: ServiceStatus): string {
  switch (state.state) {
    case 'running':
      return `${service.title}: running (pid ${state.pid}) at ${state.endpoint}; log ${state.logFile}`;
    case 'starting':
      return `${service.title}: starting (pid ${state.pid}), not answering at ${state.endpoint} yet; log ${state.logFile}`;
    case 'stopped':
      return state.portsInUse.length === 0
        ? `${service.title}: stopped`
        : `${service.title}: stopped, but port(s) ${state.portsInUse.join(', ')} are taken by another process`;
  }
}

/** `stack status --json`: one entry per service, for scripts and checks. */
export interface StackStatusJson {
  services: {
    name: string;
    title: string;
    url: string;
    state: ServiceState['state'];
    pid?: number;
    logFile?: string;
    problems: string[];
  }[];
}

export function statusJson(statuses: ServiceStatus[]): StackStatusJson {
  return {
    services: statuses.map(({ service, state, problems }) => ({
      name: service.name,
      title: service.title,
      url: service.url,
      state: state.state,
      ...(state.state === 'stopped' ? {} : { pid: state.pid, logFile: state.logFile }),
      problems,
    })),
  };
}
