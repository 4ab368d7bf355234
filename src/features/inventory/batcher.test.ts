import { describe, expect, it } from 'vitest';
import { KeyedBatcher } from './batcher.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('KeyedBatcher', () => {
  it('writes an idle key at once, and groups what arrives while a batch is being written', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const batcher = new KeyedBatcher<number, number>(async (_key, requests) => {
      batches.push(requests);
      if (batches.length === 1) await gate;
      return requests.map((r) => r * 10);
    }, 100);
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
    }, 3);
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
    }, 2);
    const results = await Promise.allSettled([0, 1, 2, 3, 4].map((n) => batcher.submit('k', n)));
    expect(sizes).toEqual([1, 2, 2]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
  });
});
