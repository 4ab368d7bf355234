import { createHmac } from 'node:crypto';

/**
 * A keyed pseudo-random permutation of [0, n): a balanced Feistel network over the smallest even
 * bit width that covers n, with cycle walking to stay inside [0, n). It shuffles the pre-queue
 * without storing or sorting its members: a member's place is permute(seq - 1) + 1, computed on
 * demand from the sequence number in the token and the pre-queue size frozen at the start.
 */
export interface Permutation {
  readonly size: number;
  forward(x: number): number;
  inverse(y: number): number;
}

const rounds = 6;
/** 2^40 places is far beyond any sale, and keeps each Feistel half within 32-bit arithmetic. */
export const permutationSizeMax = 2 ** 40;

/** murmur3's 32-bit finalizer: cheap and well mixed. */
function mix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85eb_ca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2_ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Round keys for one event, derived from the secret so nobody can predict the draw. */
export function permutationKeys(secret: string, eventId: string): number[] {
  const digest = createHmac('sha256', secret).update(`pre-queue:${eventId}`).digest();
  return Array.from({ length: rounds }, (_, i) => digest.readUInt32BE(i * 4));
}

export function createPermutation(size: number, keys: readonly number[]): Permutation {
  if (!Number.isSafeInteger(size) || size < 1 || size > permutationSizeMax) throw new RangeError(`permutation size ${size} out of range`);
  const bits = Math.max(2, Math.ceil(Math.log2(size)));
  const halfBits = Math.ceil(bits / 2);
  const half = 2 ** halfBits;
  const mask = half - 1;
  const round = (value: number, key: number) => mix32(value ^ key) & mask;

  const encrypt = (x: number) => {
    let left = Math.floor(x / half);
    let right = x % half;
    for (const key of keys) [left, right] = [right, (left ^ round(right, key)) >>> 0];
    return left * half + right;
  };
  const decrypt = (y: number) => {
    let left = Math.floor(y / half);
    let right = y % half;
    for (let i = keys.length - 1; i >= 0; i--) [left, right] = [(right ^ round(left, keys[i]!)) >>> 0, left];
    return left * half + right;
  };
  // Cycle walking: re-apply until the value falls back into [0, size). It terminates because the
  // cycle through x contains x itself, and the domain is at most four times size.
  const walk = (step: (v: number) => number) => (x: number) => {
    if (!Number.isInteger(x) || x < 0 || x >= size) throw new RangeError(`${x} is outside [0, ${size})`);
    let y = step(x);
    while (y >= size) y = step(y);
    return y;
  };
  return { size, forward: walk(encrypt), inverse: walk(decrypt) };
}
