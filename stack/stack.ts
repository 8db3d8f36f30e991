import { elasticsearchService } from './elasticsearchService.ts';
import { kafkaService } from './kafkaService.ts';
import { serviceState, startService, stopService, type LocalService, type ServiceState } from './localService.ts';

/** The services of the local stack, in start order. */
export function stackServices(): LocalService[] {
  return [kafkaService(), elasticsearchService()];
}

export type Reporter = (message: string) => void;

/** Starts every service that is not running yet; returns the PIDs of those this call started. */
export async function stackUp(report: Reporter, services = stackServices()): Promise<Map<string, number>> {
  const startedNow = new Map<string, number>();
  for (const service of services) {
    const before = await serviceState(service);
    const pid = await startService(service, report);
    if (before.state === 'stopped') startedNow.set(service.name, pid);
  }
  return startedNow;
}

/** Stops the services in reverse start order; only processes our PID files name are touched. */
export async function stackDown(report: Reporter, services = stackServices()): Promise<void> {
  for (const service of [...services].reverse()) await stopService(service, report);
}

export interface ServiceStatus {
  service: LocalService;
  state: ServiceState;
}

export async function stackStatus(services = stackServices()): Promise<ServiceStatus[]> {
  return Promise.all(services.map(async (service) => ({ service, state: await serviceState(service) })));
}

export function describeStatus({ service, state }: ServiceStatus): string {
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
