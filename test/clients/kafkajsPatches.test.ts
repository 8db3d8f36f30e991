import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assertPatchedKafkajsRelease, kafkajsVersion, KNOWN_KAFKAJS_RELEASE } from '../../src/clients/kafkajsInternals.ts';
import { runModuleScript } from '../support/moduleScript.ts';

// The patches src/clients/kafkajs.ts applies to kafkajs's internals (listed in its header) hold
// only while kafkajs is the release they were written for. These tests fail when one stops
// applying: another release installed or pinned, a patched module moved, a method no longer replaced.

const kafkajsModule = new URL('../../src/clients/kafkajs.ts', import.meta.url).pathname;
const json = (path: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as Record<string, unknown>;
/** A child's environment with every patch switched on, whatever the shell running the tests has. */
const patchesOn = { FEDSEARCH_KAFKAJS_IDLE_FIX: '', FEDSEARCH_KAFKAJS_ENCODING_FIX: '' };

describe('kafkajs pinned to the release its patches were written for', () => {
  it('package.json pins that exact release, the lock resolves it, and it is the one installed', () => {
    const manifest = json('../../package.json') as { dependencies: Record<string, string> };
    const lock = json('../../package-lock.json') as { packages: Record<string, { version?: string; dependencies?: Record<string, string> }> };
    expect(manifest.dependencies['kafkajs']).toBe(KNOWN_KAFKAJS_RELEASE);
    expect(lock.packages['']?.dependencies?.['kafkajs']).toBe(KNOWN_KAFKAJS_RELEASE);
    expect(lock.packages['node_modules/kafkajs']?.version).toBe(KNOWN_KAFKAJS_RELEASE);
    expect(kafkajsVersion()).toBe(KNOWN_KAFKAJS_RELEASE);
  });

  it('loading kafkajs through src/clients/kafkajs.ts replaces each patched internal', () => {
    // In a process of its own: the checksum can only be put in place before kafkajs first loads.
    // Each live method is compared with the same module freshly loaded, as released.
    const child = runModuleScript(
      `
      const { createRequire } = await import('node:module');
      await import(${JSON.stringify(kafkajsModule)});
      const require = createRequire(${JSON.stringify(import.meta.url)});
      const released = (path) => {
        const resolved = require.resolve('kafkajs/src/' + path);
        const live = require.cache[resolved];
        delete require.cache[resolved];
        const fresh = require(resolved);
        require.cache[resolved] = live;
        return { live: live.exports, fresh };
      };
      const encoder = released('protocol/encoder.js');
      const requestQueue = released('network/requestQueue/index.js');
      const checksum = released('protocol/recordBatch/crc32C/index.js');
      console.log(JSON.stringify({
        encoderGrowth: String(encoder.live.prototype.ensureAvailable) !== String(encoder.fresh.prototype.ensureAvailable),
        idleLoop: String(requestQueue.live.prototype.scheduleCheckPendingRequests) !== String(requestQueue.fresh.prototype.scheduleCheckPendingRequests),
        nativeChecksum: String(checksum.live) !== String(checksum.fresh) && checksum.live.name === 'nativeCrc32c',
      }));`,
      patchesOn,
    );
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual({ encoderGrowth: true, idleLoop: true, nativeChecksum: true });
  });

  it('src/clients/kafkajs.ts refuses to load another kafkajs release instead of running it unpatched', () => {
    // kafkajs's package.json made to say 2.3.0 before the module loads.
    const child = runModuleScript(
      `
      const { createRequire, Module } = await import('node:module');
      const require = createRequire(${JSON.stringify(import.meta.url)});
      const path = require.resolve('kafkajs/package.json');
      const manifest = new Module(path);
      manifest.filename = path;
      manifest.loaded = true;
      manifest.exports = { ...require(path), version: '2.3.0' };
      require.cache[path] = manifest;
      try {
        await import(${JSON.stringify(kafkajsModule)});
        console.log('loaded');
      } catch (error) {
        console.log(error.message);
      }`,
      patchesOn,
    );
    expect(child.stderr).toBe('');
    expect(child.stdout).toContain(`kafkajs 2.3.0 is installed, but fedsearch patches the internals of kafkajs ${KNOWN_KAFKAJS_RELEASE} only`);
  });

  it('accepts exactly the pinned release', () => {
    expect(() => assertPatchedKafkajsRelease(KNOWN_KAFKAJS_RELEASE)).not.toThrow();
    expect(() => assertPatchedKafkajsRelease('2.2.5')).toThrow(/kafkajs 2\.2\.5 is installed/);
  });
});
