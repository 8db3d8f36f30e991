import type { TestProject } from 'vitest/node';
import { elasticsearchUrl } from '../stack/elasticsearchService.ts';
import { kafkaBrokers } from '../stack/kafkaService.ts';
import { stackDown, stackServices, stackUp } from '../stack/stack.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string[];
    elasticsearchUrl: string;
  }
}

const say = (message: string): void => void process.stderr.write(`[stack] ${message}\n`);

/**
 * Starts the local stack unless it is running, and stops afterwards exactly the services this
 * run started: a developer's running stack is left as it was.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const startedNow = await stackUp(say);
  project.provide('kafkaBrokers', kafkaBrokers());
  project.provide('elasticsearchUrl', elasticsearchUrl());
  return async () => {
    const ours = stackServices().filter((service) => startedNow.has(service.name));
    if (ours.length > 0) await stackDown(say, ours);
  };
}
