import { sleep } from './app.js';

/**
 * Polls `probe` until `done` accepts its value, and returns the last value read, for the test to
 * assert on. The bound only ends a test whose condition never comes: it is generous, so that a busy
 * machine is never taken for a failure.
 */
export async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(50);
  }
}
