import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { StackError } from './stackError.ts';

export interface JavaRuntime {
  /** Path of the `java` executable. */
  java: string;
  /** JAVA_HOME for tools (Maven) that must compile for this runtime. */
  home: string;
  major: number;
}

/**
 * Finds a JDK of at least `minMajor`: FEDSEARCH_JAVA_HOME, then JAVA_HOME, then the `java` on
 * PATH, then every JDK under /usr/lib/jvm (Debian's layout), newest first.
 */
export function findJava(minMajor: number, purpose: string): JavaRuntime {
  const seen: string[] = [];
  for (const home of candidateHomes()) {
    const java = home === '' ? 'java' : join(home, 'bin', 'java');
    const major = javaMajor(java);
    if (major === undefined) continue;
    seen.push(`${java} (Java ${major})`);
    if (major >= minMajor) return { java, home: home === '' ? javaHomeOf(java) : home, major };
  }
  throw new StackError(
    `${purpose} needs Java ${minMajor} or newer, but ` +
      (seen.length === 0 ? 'no Java was found.' : `only these were found: ${seen.join(', ')}.`) +
      ` Install one (e.g. \`apt-get install openjdk-${Math.max(minMajor, 17)}-jdk-headless\`)` +
      ' or point FEDSEARCH_JAVA_HOME at a JDK.',
  );
}

function candidateHomes(): string[] {
  const homes: string[] = [];
  for (const env of [process.env.FEDSEARCH_JAVA_HOME, process.env.JAVA_HOME]) if (env) homes.push(env);
  homes.push('');
  const jvmDir = '/usr/lib/jvm';
  if (existsSync(jvmDir)) {
    const jdks = readdirSync(jvmDir)
      .map((name) => join(jvmDir, name))
      .filter((home) => existsSync(join(home, 'bin', 'javac')));
    homes.push(...jdks.sort().reverse());
  }
  return homes;
}

function javaMajor(java: string): number | undefined {
  return parseMajor(javaDiagnostics(java, ['-version']));
}

function parseMajor(versionText: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionText);
  if (!match?.[1]) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] ? Number(match[2]) : first;
}

function javaHomeOf(java: string): string {
  return /java\.home = (.+)/.exec(javaDiagnostics(java, ['-XshowSettings:properties', '-version']))?.[1]?.trim() ?? '';
}

/** `java -version` and `-XshowSettings` write to stderr. */
function javaDiagnostics(java: string, args: string[]): string {
  const result = spawnSync(java, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return result.error ? '' : `${result.stdout}${result.stderr}`;
}
