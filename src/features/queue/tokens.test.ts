import { describe, expect, it } from 'vitest';
import { createPermutation, permutationKeys } from './permutation.js';
import { createQueueTokens } from './tokens.js';

describe('queue tokens', () => {
  const tokens = createQueueTokens('a-secret-of-at-least-thirty-two-characters');
  const place = { eventId: '0b6f3c2e-8a1d-4c7e-9f00-123456789abc', userId: 'f0e1d2c3-b4a5-4968-8776-5544332211ff', seq: 123_456_789_012, issuedAt: 1_790_000_000_123 };

  it('round-trips a place', () => {
    expect(tokens.verify(tokens.sign(place))).toEqual(place);
  });

  it('refuses every single-character alteration, another key, and garbage', () => {
    const token = tokens.sign(place);
    for (let i = 0; i < token.length; i++) {
      if (token[i] === '.') continue;
      const altered = token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
      expect(() => tokens.verify(altered), `position ${i}`).toThrow(expect.objectContaining({ code: 'invalid_queue_token' }));
    }
    const other = createQueueTokens('another-secret-of-at-least-thirty-two-chars');
    expect(() => other.verify(token)).toThrow(expect.objectContaining({ code: 'invalid_queue_token' }));
    for (const garbage of ['', '.', 'x.y', token + 'A', token.replace('.', '')]) expect(() => tokens.verify(garbage)).toThrow();
  });
});

describe('pre-queue permutation', () => {
  const keys = permutationKeys('fixed-test-key', 'event');

  it.each([1, 2, 3, 7, 1000, 4097])('is a bijection on [0, %i) with an exact inverse', (size) => {
    const p = createPermutation(size, keys);
    const images = Array.from({ length: size }, (_, x) => p.forward(x));
    expect(new Set(images).size).toBe(size);
    expect(images.every((y) => y >= 0 && y < size)).toBe(true);
    expect(images.every((y, x) => p.inverse(y) === x)).toBe(true);
  });

  it('works at a million places without storing them', () => {
    const p = createPermutation(1_000_000, keys);
    for (const x of [0, 1, 999_999, 123_456]) expect(p.inverse(p.forward(x))).toBe(x);
  });

  it('differs per key', () => {
    const a = createPermutation(1000, keys);
    const b = createPermutation(1000, permutationKeys('fixed-test-key', 'another event'));
    const same = Array.from({ length: 1000 }, (_, x) => a.forward(x) === b.forward(x)).filter(Boolean).length;
    expect(same).toBeLessThan(20);
  });
});
