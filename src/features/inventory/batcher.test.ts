import { describe, expect, it } from 'vitest';
import { KeyedBatcher } from './batcher.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));
const queueFull = (key: string) => new Error(`queue of ${key} is full`);

describe('KeyedBatcher', () => {
  it('writes an idle key at once, and groups what arrives while a batch is being written', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const batcher = new KeyedBatcher<number, number>(async (_key, requests) => {
      batches.push(requests);
      if (batches.length === 1) await gate;
      return requests.map((r) => r * 10);
    }, { batchSizeMax: 100, queueLengthMax: 100, queueFull });
    const first = batcher.submit('a', 1);
    await tick();
    const rest = [2, 3, 4].map((n) => batcher.submit('a', n));
    release();
    expect(await Promise.all([first, ...rest])).toEqual([10, 20, 30, 40]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('never runs two batches of one key at once, but runs different keys side by side', async () => {
    let running = new Map<string, number>();
    let overlapSameKey = false;
    let overlapKeys = false;
    const batcher = new KeyedBatcher<number, number>(async (key, requests) => {
      running.set(key, (running.get(key) ?? 0) + 1);
      if (running.get(key)! > 1) overlapSameKey = true;
      if (running.size > 1) overlapKeys = true;
      await tick();
      running.set(key, running.get(key)! - 1);
      if (running.get(key) === 0) running.delete(key);
      return requests;
    }, { batchSizeMax: 3, queueLengthMax: 100, queueFull });
    await Promise.all(Array.from({ length: 20 }, (_, i) => batcher.submit(i % 2 ? 'a' : 'b', i)));
    expect(overlapSameKey).toBe(false);
    expect(overlapKeys).toBe(true);
    running = new Map();
  });

  it('caps a batch at maxBatchSize and fails only the batch whose write failed', async () => {
    const sizes: number[] = [];
    const batcher = new KeyedBatcher<number, number>(async (_key, requests) => {
      sizes.push(requests.length);
      if (requests.includes(0)) throw new Error('boom');
      return requests;
    }, { batchSizeMax: 2, queueLengthMax: 100, queueFull });
    const results = await Promise.allSettled([0, 1, 2, 3, 4].map((n) => batcher.submit('k', n)));
    expect(sizes).toEqual([1, 2, 2]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
  });

  it('refuses a request at once while its key already has queueLengthMax waiting, and takes requests again once they drain', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const batcher = new KeyedBatcher<number, number>(async (_key, requests) => {
      await gate;
      return requests;
    }, { batchSizeMax: 10, queueLengthMax: 2, queueFull });
    const running = batcher.submit('a', 0);
    await tick();
    const waiting = [batcher.submit('a', 1), batcher.submit('a', 2)];
    await expect(batcher.submit('a', 3)).rejects.toThrow('queue of a is full');
    // The bound is per key: another key is not affected.
    const other = batcher.submit('b', 4);
    release();
    expect(await Promise.all([running, ...waiting, other])).toEqual([0, 1, 2, 4]);
    expect(await batcher.submit('a', 5)).toBe(5);
  });
});
