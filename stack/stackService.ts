import { serviceState, startService, stopService, type LocalService, type ServiceState } from './localService.ts';

/**
 * One service `fedsearch stack` manages, whatever runs it: a JVM started from Maven's jars
 * (LocalService), or PostgreSQL from the machine's own packages.
 */
export interface StackService {
  /** Short name: PID file, process marker, `stack status --json`'s `name`. */
  name: string;
  /** What it is, for people: "Apache Kafka 3.9.2". */
  title: string;
  /** Where clients reach it: `stack status --json`'s `url`. */
  url: string;
  state(): Promise<ServiceState>;
  /** Starts it unless our own process already runs it; resolves with its PID once it is ready. */
  start(report: (message: string) => void): Promise<number>;
  /** Stops the process its PID file names, only if that process is still ours. */
  stop(report: (message: string) => void): Promise<'stopped' | 'not running'>;
  /**
   * Problems inside a running service that its process state does not show, one line each
   * (Kafka Connect: a connector or task that failed, with Connect's reason).
   */
  problems?(): Promise<string[]>;
}

/** A JVM service as the stack drives it. */
export function jvmStackService(service: LocalService, extra: Pick<StackService, 'problems'> = {}): StackService {
  return {
    name: service.name,
    title: service.title,
    url: service.endpoint,
    state: () => serviceState(service),
    start: (report) => startService(service, report),
    stop: (report) => stopService(service, report),
    ...extra,
  };
}
