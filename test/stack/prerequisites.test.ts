import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findJava } from '../../stack/java.ts';
import { mavenClasspath } from '../../stack/mavenLauncher.ts';
import { StackError } from '../../stack/stackError.ts';

describe('stack prerequisites', () => {
  const savedPath = process.env.PATH;
  const savedCache = process.env.FEDSEARCH_CACHE;
  afterEach(() => {
    process.env.PATH = savedPath;
    if (savedCache === undefined) delete process.env.FEDSEARCH_CACHE;
    else process.env.FEDSEARCH_CACHE = savedCache;
  });

  it('finds a JDK new enough for Kafka on this machine', () => {
    const java = findJava(17, 'Apache Kafka');
    expect(java.major).toBeGreaterThanOrEqual(17);
    expect(java.home).not.toBe('');
  });

  it('names the version needed, what it found, and how to install one when no JDK is new enough', () => {
    // One attempt (it runs every JDK it finds), its error checked three ways.
    let thrown: unknown;
    try {
      findJava(99, 'Elasticsearch 9.5.3');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(StackError);
    expect((thrown as StackError).message).toMatch(/^Elasticsearch 9\.5\.3 needs Java 99 or newer, but only these were found: .*\(Java \d+\)/);
    expect((thrown as StackError).message).toMatch(/apt-get install openjdk-99-jdk-headless`\) or point FEDSEARCH_JAVA_HOME at a JDK\.$/);
  });

  it('says how to install Maven when mvn is not on PATH', () => {
    const project = mkdtempSync(join(tmpdir(), 'fedsearch-pom-'));
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, 'pom.xml'), '<project/>');
    process.env.FEDSEARCH_CACHE = mkdtempSync(join(tmpdir(), 'fedsearch-cache-'));
    process.env.PATH = '/nonexistent';
    expect(() => mavenClasspath({ name: 'probe', dir: project, javaHome: '/nonexistent' }, () => {})).toThrow(
      'Maven (mvn) is needed to fetch Kafka and Elasticsearch from Maven Central, but it is not on PATH. ' +
        'Install it (e.g. `apt-get install maven`) and run the command again.',
    );
  });
});
