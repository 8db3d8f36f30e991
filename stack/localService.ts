import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { findJava } from './java.ts';
import { mavenClasspath } from './mavenLauncher.ts';
import {
  isAlive,
  isPortFree,
  liveOwnedPid,
  readPidFile,
  removePidFile,
  spawnDetached,
  stopProcess,
  tailOf,
  writePidFile,
} from './processControl.ts';
import { StackError } from './stackError.ts';
import { servicePaths, type ServicePaths } from './stackPaths.ts';

/** A JVM server of the local stack, started from jars that Maven resolves. */
export interface LocalService {
  /** Short name: PID file and process marker. */
  name: string;
  /**
   * Folder of its run state (data, PID file, log): the name, with the port when the port is not
   * the default, so a stack moved to other ports (FEDSEARCH_KAFKA_PORT, FEDSEARCH_ES_PORT) runs
   * beside the default one without sharing data or PID files.
   */
  stateName: string;
  /** What it is, for people: "Apache Kafka 3.9.2". */
  title: string;
  /** Where clients reach it, e.g. "http://127.0.0.1:9200". */
  endpoint: string;
  /** Ports it binds; each must be free before it starts. */
  ports: number[];
  minJava: number;
  /** Folder of the Maven project that resolves (and, with sources, builds) its class path. */
  mavenProjectDir: string;
  mainClass: string;
  jvmArgs(paths: ServicePaths): string[];
  args(paths: ServicePaths): string[];
  /** One-time work before the first start on this machine (config files, storage format). */
  prepare(paths: ServicePaths, run: JavaRunner, report: (message: string) => void): Promise<void>;
  /** True once clients can use it. */
  isReady(): Promise<boolean>;
  startTimeoutMs: number;
}

export type JavaRunner = (mainClass: string, args: string[]) => { status: number | null; output: string };

export type ServiceState =
  | { state: 'running'; pid: number; endpoint: string; logFile: string }
  | { state: 'starting'; pid: number; endpoint: string; logFile: string }
  | { state: 'stopped'; portsInUse: number[] };

/** The JVM flag that marks our processes, checked before we ever signal a PID from a PID file. */
export function processMarker(service: Pick<LocalService, 'name'>): string {
  return `-Dfedsearch.service=${service.name}`;
}

/**
 * What the stack needs to find, probe and stop a server process it started, whatever the server
 * (a JVM here, PostgreSQL in postgresService.ts).
 */
export interface ManagedProcess extends Pick<LocalService, 'title' | 'stateName' | 'endpoint' | 'ports' | 'isReady' | 'startTimeoutMs'> {
  /** A string only our process carries on its command line, checked before any signal. */
  marker: string;
  /** The signal that stops it cleanly and promptly; SIGTERM unless the server reads that otherwise. */
  stopSignal?: NodeJS.Signals;
}

function managedJvm(service: LocalService): ManagedProcess {
  return { ...service, marker: processMarker(service) };
}

export function serviceState(service: LocalService): Promise<ServiceState> {
  return processState(managedJvm(service));
}

export async function processState(service: ManagedProcess): Promise<ServiceState> {
  const paths = servicePaths(service.stateName);
  const pid = liveOwnedPid(paths.pidFile, service.marker);
  if (pid !== undefined) {
    const state = (await service.isReady()) ? 'running' : 'starting';
    return { state, pid, endpoint: service.endpoint, logFile: paths.logFile };
  }
  const portsInUse: number[] = [];
  for (const port of service.ports) if (!(await isPortFree(port))) portsInUse.push(port);
  return { state: 'stopped', portsInUse };
}

/**
 * Starts the service unless our own process already runs it; waits until it is ready.
 * Idempotent: a running service is left alone.
 */
export async function startService(service: LocalService, report: (message: string) => void): Promise<number> {
  const paths = servicePaths(service.stateName);
  const existing = liveOwnedPid(paths.pidFile, processMarker(service));
  if (existing !== undefined) {
    await waitUntilReady(service, existing, paths);
    report(`${service.title} already running (pid ${existing}) at ${service.endpoint}`);
    return existing;
  }
  removePidFile(paths.pidFile);
  await ensurePortsFree(service);
  const java = findJava(service.minJava, service.title);
  const classpath = mavenClasspath({ name: service.name, dir: service.mavenProjectDir, javaHome: java.home }, report)
    .join(':');
  mkdirSync(paths.dataDir, { recursive: true });
  const runJava: JavaRunner = (mainClass, args) => {
    const result = spawnSync(java.java, ['-cp', classpath, mainClass, ...args], { encoding: 'utf8' });
    return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
  };
  await service.prepare(paths, runJava, report);

  const started = spawnDetached(
    java.java,
    [processMarker(service), ...service.jvmArgs(paths), '-cp', classpath, service.mainClass, ...service.args(paths)],
    { logFile: paths.logFile, cwd: paths.dir },
  );
  writePidFile(paths.pidFile, started.pid);
  report(`starting ${service.title} (pid ${started.pid}, log ${paths.logFile})…`);
  await waitUntilReady(service, started.pid, paths);
  report(`${service.title} ready at ${service.endpoint}`);
  return started.pid;
}

/** Throws what to do when another process holds one of the service's ports. */
export async function ensurePortsFree(service: Pick<LocalService, 'title' | 'ports'>): Promise<void> {
  for (const port of service.ports) {
    if (!(await isPortFree(port))) {
      throw new StackError(
        `${service.title} needs 127.0.0.1:${port}, but another process is listening there. ` +
          `Stop that process (\`ss -ltnp 'sport = :${port}'\` shows which), or, if it is a stack started ` +
          'from another folder, run `fedsearch stack down` there.',
      );
    }
  }
}

/** Polls `isReady` until it holds; fails with the log's tail when the process exits or time runs out. */
export async function waitUntilReady(
  service: Pick<LocalService, 'title' | 'isReady' | 'startTimeoutMs'>,
  pid: number,
  paths: ServicePaths,
): Promise<void> {
  const deadline = Date.now() + service.startTimeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) {
      removePidFile(paths.pidFile);
      throw new StackError(
        `${service.title} exited during start-up. Last lines of ${paths.logFile}:\n${tailOf(paths.logFile)}`,
      );
    }
    if (await service.isReady()) return;
    await sleep(250);
  }
  throw new StackError(
    `${service.title} (pid ${pid}) was not ready after ${service.startTimeoutMs / 1000}s. ` +
      `Last lines of ${paths.logFile}:\n${tailOf(paths.logFile)}`,
  );
}

/** Stops the process our PID file names (only if it is still ours). */
export function stopService(service: LocalService, report: (message: string) => void): Promise<'stopped' | 'not running'> {
  return stopProcessOf(managedJvm(service), report);
}

export async function stopProcessOf(
  service: ManagedProcess,
  report: (message: string) => void,
): Promise<'stopped' | 'not running'> {
  const paths = servicePaths(service.stateName);
  const pid = liveOwnedPid(paths.pidFile, service.marker);
  if (pid === undefined) {
    if (readPidFile(paths.pidFile) !== undefined) removePidFile(paths.pidFile);
    report(`${service.title} is not running`);
    return 'not running';
  }
  const how = await stopProcess(pid, 30_000, service.stopSignal);
  removePidFile(paths.pidFile);
  report(`${service.title} (pid ${pid}) ${how === 'terminated' ? 'stopped' : 'did not stop in time and was killed'}`);
  return 'stopped';
}
