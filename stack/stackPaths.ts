import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Everything the local stack downloads or writes lives outside the clone, so a fresh clone on
 * the same machine reuses it and starts in seconds. Jars themselves stay in Maven's local
 * repository (~/.m2); this folder holds resolved class paths, built launchers, data and PID files.
 * The stack is machine-wide (it owns fixed loopback ports), so its state is too: `stack status`
 * answers the same from any clone.
 */
export function cacheRoot(): string {
  return process.env.FEDSEARCH_CACHE ?? join(homedir(), '.cache', 'fedsearch');
}

export interface ServicePaths {
  /** Root of this service's run state. */
  dir: string;
  dataDir: string;
  pidFile: string;
  logFile: string;
}

export function servicePaths(service: string): ServicePaths {
  const dir = join(cacheRoot(), 'run', service);
  return {
    dir,
    dataDir: join(dir, 'data'),
    pidFile: join(dir, `${service}.pid`),
    logFile: join(dir, `${service}.log`),
  };
}
