import { existsSync } from 'node:fs';
import { InfrastructureError } from '../src/errors.ts';

/** stack/ beside cli/: the sources' in a clone, dist/stack/ in a clone's build; absent from the published package. */
const STACK_FOLDER = new URL('../stack/', import.meta.url);

/**
 * The local development stack (stack/: the Elasticsearch and Kafka launchers and the demo that
 * runs on them) is not part of the product: the published package leaves it out and src/ never
 * imports it. The commands that need it load it through here, on demand, so that an installed
 * fedsearch answers them with what they are for (exit 2) instead of a module-not-found crash.
 */
export async function fromDevelopmentStack<T>(command: string, load: () => Promise<T>): Promise<T> {
  if (!existsSync(STACK_FOLDER)) {
    throw new InfrastructureError(
      `\`fedsearch ${command}\` runs the local development stack, which only a clone of the fedsearch repository has ` +
        '(the installed package leaves it out). Run it from a clone, or point your configs at an Elasticsearch and a Kafka of your own.',
    );
  }
  return load();
}
