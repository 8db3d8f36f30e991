import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * The kafkajs release whose internals fedsearch's patches were written against: the last one (the
 * project is unmaintained). package.json pins exactly this release; src/clients/kafkajs.ts refuses
 * to load another (see its header for what moving to one takes).
 */
export const KNOWN_KAFKAJS_RELEASE = '2.2.4';

export function kafkajsVersion(): string {
  return (require('kafkajs/package.json') as { version: string }).version;
}

/**
 * Throws unless `version` is the release the patches were written for: on another one each patch
 * would either silently not apply or replace code it was not written for.
 */
export function assertPatchedKafkajsRelease(version = kafkajsVersion()): void {
  if (version === KNOWN_KAFKAJS_RELEASE) return;
  throw new Error(
    `kafkajs ${version} is installed, but fedsearch patches the internals of kafkajs ${KNOWN_KAFKAJS_RELEASE} only ` +
      `(package.json pins it): install kafkajs@${KNOWN_KAFKAJS_RELEASE}, or check each patch listed in ` +
      `src/clients/kafkajs.ts against ${version} and then update KNOWN_KAFKAJS_RELEASE and the pin together`,
  );
}

/** An internal kafkajs module: kafkajs has no exports map, so it is reachable by path (CommonJS). */
export function kafkajsInternal<T>(path: string): T {
  return require(kafkajsInternalPath(path)) as T;
}

/** Where that module's file is (its key in require's cache). */
export function kafkajsInternalPath(path: string): string {
  return require.resolve(`kafkajs/src/${path}`);
}
