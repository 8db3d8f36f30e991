import { describe, expect, it } from 'vitest';
import { ResourceStack } from '../../src/pipeline/resourceStack.ts';

describe('ResourceStack', () => {
  it('closes everything newest first, each once', async () => {
    const closed: string[] = [];
    const resources = new ResourceStack();
    for (const name of ['client', 'producer', 'consumer']) resources.add(name, name, (n) => void closed.push(n));
    await resources.closeAll();
    await resources.closeAll();
    expect(closed).toEqual(['consumer', 'producer', 'client']);
  });

  it('closes the rest when one fails, then reports the first failure by name', async () => {
    const closed: string[] = [];
    const resources = new ResourceStack();
    resources.add('client', 'client', (n) => void closed.push(n));
    resources.add('the producer', 'producer', async () => {
      throw new Error('broker gone');
    });
    resources.add('consumer', 'consumer', (n) => void closed.push(n));
    await expect(resources.closeAll()).rejects.toThrow('closing the producer: broker gone');
    expect(closed).toEqual(['consumer', 'client']);
  });

  it('after a failed start, closes quietly so the start-up error is the one reported', async () => {
    const resources = new ResourceStack();
    resources.add('producer', null, async () => {
      throw new Error('not connected');
    });
    await expect(resources.closeAll({ quietly: true })).resolves.toBeUndefined();
  });
});
