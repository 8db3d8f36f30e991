import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * The kafkajs release whose internals fedsearch's fixes were written against: the last one (the
 * project is unmaintained). Each fix applies to this release only, so another one runs as released.
 */
export const KNOWN_KAFKAJS_RELEASE = '2.2.4';

export function kafkajsVersion(): string {
  return (require('kafkajs/package.json') as { version: string }).version;
}

/** An internal kafkajs module: kafkajs has no exports map, so it is reachable by path (CommonJS). */
export function kafkajsInternal<T>(path: string): T {
  return require(kafkajsInternalPath(path)) as T;
}

/** Where that module's file is (its key in require's cache). */
export function kafkajsInternalPath(path: string): string {
  return require.resolve(`kafkajs/src/${path}`);
}
