import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { cacheRoot } from './stackPaths.ts';
import { StackError } from './stackError.ts';

export interface MavenProject {
  /** Short name used for the cache folder and messages. */
  name: string;
  /** Folder holding pom.xml (and, for a project with code, src/main/java). */
  dir: string;
  /** JAVA_HOME Maven runs with (and compiles for, when the project has code). */
  javaHome: string;
}

/**
 * The runtime class path of a small Maven project kept in this repo: its dependencies, resolved
 * from Maven Central into ~/.m2, plus its own jar when it has sources. The result is cached under
 * ~/.cache/fedsearch/maven keyed by a hash of the project's files, so Maven runs once per change
 * of the project (minutes the first time on a machine, while it downloads), not once per start.
 */
export function mavenClasspath(project: MavenProject, onProgress: (message: string) => void): string[] {
  const key = projectHash(project.dir);
  const outDir = join(cacheRoot(), 'maven', `${project.name}-${key}`);
  const classpathFile = join(outDir, 'classpath.txt');
  const cached = readClasspath(classpathFile);
  if (cached) return cached;

  const hasSources = existsSync(join(project.dir, 'src', 'main'));
  const buildDir = join(outDir, 'target');
  const pendingFile = `${classpathFile}.${process.pid}.tmp`;
  mkdirSync(outDir, { recursive: true });
  onProgress(
    `resolving ${project.name} from Maven Central (the first run on a machine downloads its jars into ~/.m2)…`,
  );
  const goals = hasSources ? ['package', 'dependency:build-classpath'] : ['dependency:build-classpath'];
  const result = spawnSync(
    'mvn',
    [
      '-B',
      '-q',
      '-f',
      join(project.dir, 'pom.xml'),
      `-Dfedsearch.buildDir=${buildDir}`,
      `-Dmdep.outputFile=${pendingFile}`,
      ...goals,
    ],
    { encoding: 'utf8', env: { ...process.env, JAVA_HOME: project.javaHome }, maxBuffer: 64 * 1024 * 1024 },
  );
  failUnlessMavenSucceeded(result, project);
  const dependencies = readFileSync(pendingFile, 'utf8').trim().split(':').filter(Boolean);
  const ownJars = hasSources ? readdirSync(buildDir).filter((f) => f.endsWith('.jar')).map((f) => join(buildDir, f)) : [];
  writeFileSync(pendingFile, [...ownJars, ...dependencies].join('\n'));
  // Rename last: a crash midway leaves no half-written class path that later runs would trust.
  renameSync(pendingFile, classpathFile);
  return [...ownJars, ...dependencies];
}

/**
 * Runs the unpack execution `execution` of the project's pom (a `maven-dependency-plugin` `unpack`
 * whose outputDirectory is `${fedsearch.pluginDir}`) once per change of the project, and returns
 * the folder it unpacked into (cached beside the class path, e.g. Kafka Connect's plugin.path).
 */
export function mavenUnpacked(project: MavenProject, execution: string, onProgress: (message: string) => void): string {
  const outDir = join(cacheRoot(), 'maven', `${project.name}-${projectHash(project.dir)}`);
  const unpacked = join(outDir, execution);
  if (existsSync(unpacked)) return unpacked;
  const pending = `${unpacked}.${process.pid}.tmp`;
  mkdirSync(outDir, { recursive: true });
  onProgress(`fetching ${execution} for ${project.name} from Maven Central (once per machine)…`);
  const result = spawnSync(
    'mvn',
    ['-B', '-q', '-f', join(project.dir, 'pom.xml'), `-Dfedsearch.pluginDir=${pending}`, `dependency:unpack@${execution}`],
    { encoding: 'utf8', env: { ...process.env, JAVA_HOME: project.javaHome }, maxBuffer: 64 * 1024 * 1024 },
  );
  failUnlessMavenSucceeded(result, project);
  // Rename last, as for the class path: a half-unpacked folder is never taken for a whole one.
  renameSync(pending, unpacked);
  return unpacked;
}

function failUnlessMavenSucceeded(result: SpawnSyncReturns<string>, project: MavenProject): void {
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new StackError(
      'Maven (mvn) is needed to fetch Kafka and Elasticsearch from Maven Central, but it is not on PATH. ' +
        'Install it (e.g. `apt-get install maven`) and run the command again.',
    );
  }
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n');
    throw new StackError(`Maven could not resolve ${project.name} (${join(project.dir, 'pom.xml')}):\n${output}`);
  }
}

function readClasspath(file: string): string[] | undefined {
  if (!existsSync(file)) return undefined;
  const entries = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  // ~/.m2 may have been cleaned since: then resolve again.
  if (entries.length === 0 || !entries.every((entry) => existsSync(entry))) {
    rmSync(file, { force: true });
    return undefined;
  }
  return entries;
}

function projectHash(dir: string): string {
  const hash = createHash('sha256');
  for (const file of listFiles(dir)) {
    hash.update(relative(dir, file));
    hash.update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 12);
}

function listFiles(dir: string): string[] {
  const files: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name === 'target') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files.push(...listFiles(path));
    else files.push(path);
  }
  return files;
}
