import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { StackError } from './stackError.ts';

/** The oldest PostgreSQL the stack runs: what Debian bookworm packages (and Debezium 3.6 supports). */
export const MIN_POSTGRES_MAJOR = 15;

/** The tools of the stack's PostgreSQL cluster. */
export interface PostgresInstall {
  major: number;
  initdb: string;
  postgres: string;
  pgIsReady: string;
  psql: string;
}

/**
 * The server binaries of Debian's `postgresql-<N>` package (/usr/lib/postgresql/<N>/bin, the
 * newest N ≥ 15), or the folder FEDSEARCH_PG_BIN names. The stack does not install PostgreSQL
 * itself, as it does not install Java or Maven: which package exists depends on the Debian release
 * (bookworm has postgresql-15, trixie postgresql-17), so the message says what to install.
 */
export function findPostgres(): PostgresInstall {
  const binDir = process.env.FEDSEARCH_PG_BIN ?? newestDebianBinDir();
  if (binDir === undefined || !existsSync(join(binDir, 'postgres'))) {
    throw new StackError(
      `The change-data-capture services need PostgreSQL ${MIN_POSTGRES_MAJOR} or newer, but ` +
        (binDir === undefined
          ? `no server binaries were found under /usr/lib/postgresql/<version>/bin.`
          : `${binDir} (FEDSEARCH_PG_BIN) holds no \`postgres\`.`) +
        ` Install Debian's server package (\`apt-get install postgresql-${MIN_POSTGRES_MAJOR}\`, or the` +
        ` postgresql-<version> your release has; its own cluster need not run) or point FEDSEARCH_PG_BIN at` +
        ' a folder holding initdb, postgres, pg_isready and psql.',
    );
  }
  return {
    major: majorOf(join(binDir, 'postgres')),
    initdb: join(binDir, 'initdb'),
    postgres: join(binDir, 'postgres'),
    pgIsReady: join(binDir, 'pg_isready'),
    psql: join(binDir, 'psql'),
  };
}

function newestDebianBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root)
    .map(Number)
    .filter((major) => Number.isInteger(major) && major >= MIN_POSTGRES_MAJOR && existsSync(join(root, String(major), 'bin', 'postgres')))
    .sort((a, b) => b - a);
  return majors[0] === undefined ? undefined : join(root, String(majors[0]), 'bin');
}

/** `postgres --version` prints e.g. "postgres (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)". */
function majorOf(postgres: string): number {
  const result = spawnSync(postgres, ['--version'], { encoding: 'utf8' });
  const major = /\(PostgreSQL\) (\d+)/.exec(result.stdout ?? '')?.[1];
  if (major === undefined) throw new StackError(`${postgres} --version did not say its version: ${result.stdout}${result.stderr}`);
  return Number(major);
}

/** The account the server runs under when the stack runs as root. */
export interface ServerUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/**
 * PostgreSQL refuses to run as root. A stack run by root starts it as the `postgres` system user
 * that Debian's package creates; any other user runs it as themselves (undefined).
 */
export function serverUser(): ServerUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const entry = spawnSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' }).stdout?.trim() ?? '';
  const [name, , uid, gid, , home] = entry.split(':');
  if (!name || !uid || !gid || !home) {
    throw new StackError(
      'PostgreSQL refuses to run as root, and the stack (running as root) found no `postgres` user to run it as. ' +
        "Debian's postgresql package creates one; otherwise create it " +
        '(`useradd --system --home-dir /var/lib/postgresql --create-home postgres`) or run the stack as a non-root user.',
    );
  }
  return { name, uid: Number(uid), gid: Number(gid), home };
}

/** `command args` as `user`: setpriv switches identity and then execs, so the PID stays the server's. */
export function asUser(user: ServerUser | undefined, command: string, args: string[]): { command: string; args: string[] } {
  if (user === undefined) return { command, args };
  return {
    command: 'setpriv',
    args: [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', command, ...args],
  };
}
