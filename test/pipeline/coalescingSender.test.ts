import type { Message } from '../../src/clients/kafkajs.ts';
import { describe, expect, it } from 'vitest';
import { CoalescingSender } from '../../src/pipeline/coalescingSender.ts';

const messages = (...keys: string[]): Message[] => keys.map((key) => ({ key, value: key }));

/** A send that records its keys and stays in flight until `release()`. */
function gatedSend() {
  const sends: string[][] = [];
  const gates: Array<() => void> = [];
  let failWith: Error | null = null;
  return {
    sends,
    fail(error: Error) {
      failWith = error;
    },
    release: () => gates.shift()?.(),
    async send(batch: Message[]) {
      sends.push(batch.map((m) => String(m.key)));
      await new Promise<void>((resolve) => gates.push(resolve));
      if (failWith) throw failWith;
    },
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('CoalescingSender', () => {
  it('sends at once, and what arrives while a send is in flight goes out together in the next, up to the cap', async () => {
    const gate = gatedSend();
    const sender = new CoalescingSender((batch) => gate.send(batch), 3);
    sender.add(messages('a'));
    await tick();
    expect(gate.sends).toEqual([['a']]);
    sender.add(messages('b', 'c'));
    sender.add(messages('d', 'e'));
    await tick();
    expect(gate.sends).toHaveLength(1);
    gate.release();
    await tick();
    expect(gate.sends).toEqual([['a'], ['b', 'c', 'd']]);
    gate.release();
    await tick();
    expect(gate.sends).toEqual([['a'], ['b', 'c', 'd'], ['e']]);
    const flushed = sender.flushed();
    gate.release();
    await flushed;
    sender.add(messages('f'));
    await tick();
    expect(gate.sends.at(-1)).toEqual(['f']);
    gate.release();
    await sender.flushed();
  });

  it('rejects flushed() with the failed send and sends nothing after it', async () => {
    const gate = gatedSend();
    const sender = new CoalescingSender((batch) => gate.send(batch), 10);
    sender.add(messages('a'));
    sender.add(messages('b'));
    await tick();
    gate.fail(new Error('broker gone'));
    gate.release();
    await expect(sender.flushed()).rejects.toThrow('broker gone');
    sender.add(messages('c'));
    await tick();
    expect(gate.sends).toEqual([['a']]);
    await expect(sender.flushed()).rejects.toThrow('broker gone');
  });
});
