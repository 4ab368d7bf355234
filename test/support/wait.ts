import { sleep } from './app.js';

/**
 * Reads `probe` until `done` accepts its value, then returns the value; after `timeoutMs` returns the
 * last value read, so the caller's assertion says what was wrong. A bound, not a wall-clock deadline:
 * a busy machine only makes it poll longer.
 */
export async function waitFor<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(50);
  }
}
