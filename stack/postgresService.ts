import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensurePortsFree, processState, stopProcessOf, waitUntilReady, type ManagedProcess } from './localService.ts';
import { asUser, findPostgres, serverUser, type PostgresInstall, type ServerUser } from './postgresInstall.ts';
import { liveOwnedPid, removePidFile, spawnDetached, writePidFile } from './processControl.ts';
import { StackError } from './stackError.ts';
import { cacheRoot, servicePaths, type ServicePaths } from './stackPaths.ts';
import type { StackService } from './stackService.ts';

const run = promisify(execFile);

const DEFAULT_POSTGRES_PORT = 55432;

/** The demo teams' databases, each its own change-data-capture source (issue #25). */
export const TEAM_DATABASES = ['movies', 'productions', 'talent'] as const;

/** Superuser of the stack's cluster; loopback connections are trusted, so it needs no password. */
export const POSTGRES_USER = 'postgres';

export function postgresPort(): number {
  return Number(process.env.FEDSEARCH_PG_PORT ?? DEFAULT_POSTGRES_PORT);
}

/** The server's URL; a database name as its path makes it a connection string psql accepts. */
export function postgresUrl(port = postgresPort()): string {
  return `postgresql://${POSTGRES_USER}@127.0.0.1:${port}`;
}

/**
 * A PostgreSQL cluster of the stack's own, from the machine's packages (see postgresInstall.ts):
 * initdb'ed on first start, loopback only on its own port (not Debian's 5432), `wal_level=logical`
 * for Debezium, and the three team databases. Its settings are on the server's command line, so a
 * cluster made by an older stack runs with today's.
 */
export function postgresService(): StackService {
  const port = postgresPort();
  const stateName = port === DEFAULT_POSTGRES_PORT ? 'postgres' : `postgres-${port}`;
  const clusterName = `fedsearch-${stateName}`;
  // Missing binaries are reported when the stack starts it; status and down work without them.
  let found: PostgresInstall | undefined;
  try {
    found = findPostgres();
  } catch {
    found = undefined;
  }
  const title = found === undefined ? 'PostgreSQL' : `PostgreSQL ${found.major}`;
  const binaries = (): PostgresInstall => found ?? findPostgres();
  const managed = (): ManagedProcess => ({
    title,
    stateName,
    // Our postmaster's command line carries `-c cluster_name=fedsearch-<state>`; Debian's own does not.
    marker: `cluster_name=${clusterName}`,
    endpoint: postgresUrl(port),
    ports: [port],
    isReady: () => acceptsConnections(binaries(), port),
    startTimeoutMs: 60_000,
    // SIGTERM is PostgreSQL's "smart" shutdown, which waits for Debezium's connections to end.
    stopSignal: 'SIGINT',
  });

  return {
    name: 'postgres',
    title,
    url: postgresUrl(port),
    state: () => processState(managed()),
    stop: (report) => stopProcessOf(managed(), report),
    async start(report) {
      const tools = binaries();
      const service = managed();
      const paths = servicePaths(stateName);
      const existing = liveOwnedPid(paths.pidFile, service.marker);
      if (existing !== undefined) {
        await waitUntilReady(service, existing, paths);
        await ensureTeamDatabases(tools, port);
        report(`${title} already running (pid ${existing}) at ${service.endpoint}`);
        return existing;
      }
      removePidFile(paths.pidFile);
      await ensurePortsFree(service);
      const user = serverUser();
      mkdirSync(paths.dir, { recursive: true });
      const dataDir = clusterDirectory(paths, stateName, user);
      initialiseCluster(tools, dataDir, user);
      writeOwnedFile(join(dataDir, 'pg_hba.conf'), PG_HBA, user);

      const launch = asUser(user, tools.postgres, ['-D', dataDir, ...serverSettings(port, clusterName)]);
      const started = spawnDetached(launch.command, launch.args, { logFile: paths.logFile, cwd: dataDir });
      writePidFile(paths.pidFile, started.pid);
      report(`starting ${title} (pid ${started.pid}, log ${paths.logFile})…`);
      await waitUntilReady(service, started.pid, paths);
      await ensureTeamDatabases(tools, port);
      report(`${title} ready at ${service.endpoint} (databases ${TEAM_DATABASES.join(', ')})`);
      return started.pid;
    },
  };
}

function serverSettings(port: number, clusterName: string): string[] {
  const settings = {
    cluster_name: clusterName,
    listen_addresses: '127.0.0.1',
    port: String(port),
    // TCP only: no socket in /var/run/postgresql beside Debian's own cluster.
    unix_socket_directories: '',
    wal_level: 'logical',
    // One slot and one WAL sender per team connector, with room for a connector being replaced.
    max_replication_slots: '10',
    max_wal_senders: '10',
    shared_buffers: '64MB',
  };
  return Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
}

/** Trust on loopback only (the server listens nowhere else): a development stack, like Kafka's and Elasticsearch's. */
const PG_HBA = [
  '# Written by `fedsearch stack up` at every start.',
  '# TYPE  DATABASE     USER  ADDRESS        METHOD',
  'host    all          all   127.0.0.1/32   trust',
  'host    replication  all   127.0.0.1/32   trust',
  '',
].join('\n');

/**
 * Where the cluster's files live. For a non-root user: run/<state>/data in the cache folder. For
 * root the cache folder is in /root (mode 0700), out of the `postgres` user's reach, so the cluster
 * lives in that user's home (/var/lib/postgresql/fedsearch/<state>-<hash of the cache folder>, one
 * per cache folder) and run/<state>/data is a symbolic link to it.
 */
function clusterDirectory(paths: ServicePaths, stateName: string, user: ServerUser | undefined): string {
  if (user === undefined) {
    mkdirSync(paths.dataDir, { recursive: true });
    return paths.dataDir;
  }
  const cacheKey = createHash('sha256').update(cacheRoot()).digest('hex').slice(0, 8);
  const parent = join(user.home, 'fedsearch');
  const dataDir = join(parent, `${stateName}-${cacheKey}`);
  for (const dir of [parent, dataDir]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chownSync(dir, user.uid, user.gid);
  }
  if (!isSymbolicLink(paths.dataDir)) symlinkSync(dataDir, paths.dataDir);
  return dataDir;
}

function isSymbolicLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function initialiseCluster(tools: PostgresInstall, dataDir: string, user: ServerUser | undefined): void {
  const versionFile = join(dataDir, 'PG_VERSION');
  if (existsSync(versionFile)) {
    const clusterMajor = Number(readFileSync(versionFile, 'utf8').trim());
    if (clusterMajor !== tools.major) {
      throw new StackError(
        `The stack's PostgreSQL cluster in ${dataDir} was made by PostgreSQL ${clusterMajor}, but the server found is ` +
          `PostgreSQL ${tools.major}. Point FEDSEARCH_PG_BIN at PostgreSQL ${clusterMajor}'s bin folder, or remove ${dataDir} ` +
          '(its data is lost) to start a new cluster.',
      );
    }
    return;
  }
  const initdb = asUser(user, tools.initdb, [
    '-D',
    dataDir,
    '-U',
    POSTGRES_USER,
    '--auth=trust',
    '--encoding=UTF8',
    '--no-locale',
    '--no-instructions',
  ]);
  const result = spawnSync(initdb.command, initdb.args, { encoding: 'utf8', cwd: dataDir });
  if (result.status !== 0) {
    throw new StackError(`initdb of the stack's PostgreSQL cluster in ${dataDir} failed:\n${result.stdout}${result.stderr}`);
  }
}

function writeOwnedFile(file: string, content: string, user: ServerUser | undefined): void {
  writeFileSync(file, content, { mode: 0o600 });
  if (user !== undefined) chownSync(file, user.uid, user.gid);
}

async function acceptsConnections(tools: PostgresInstall, port: number): Promise<boolean> {
  try {
    await run(tools.pgIsReady, ['-q', '-h', '127.0.0.1', '-p', String(port), '-t', '2']);
    return true;
  } catch {
    return false;
  }
}

/** Creates the team databases that do not exist yet (idempotent; run at every start). */
async function ensureTeamDatabases(tools: PostgresInstall, port: number): Promise<void> {
  const psql = (database: string, sql: string) =>
    run(tools.psql, ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql, `${postgresUrl(port)}/${database}`]);
  try {
    const { stdout } = await psql('postgres', 'SELECT datname FROM pg_database');
    const existing = new Set(stdout.split('\n').map((line) => line.trim()));
    for (const database of TEAM_DATABASES) {
      if (!existing.has(database)) await psql('postgres', `CREATE DATABASE ${database}`);
    }
  } catch (error) {
    const failed = error as { stderr?: string; message: string };
    throw new StackError(`creating the team databases on 127.0.0.1:${port} failed: ${failed.stderr?.trim() || failed.message}`);
  }
}
