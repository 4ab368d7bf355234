/**
 * A load-generating worker thread: loads its share of the crowd, says `ready`, and on `start` (the clock
 * and the sale) runs it, then posts back what every buyer saw, the refusals, and the per-second buckets.
 * A `stop` message (the run's deadline) aborts every request and wait at once; buyers still going are
 * reported `unfinished`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runBuyer, type BuyerRecord, type Refusal, type Sale } from './buyer.js';
import { createClient, type SecondBucket } from './client.js';
import type { BuyerPlan } from './crowd.js';

export interface WorkerInput {
  baseUrl: string;
  plans: BuyerPlan[];
  buyers: { userId: string; accessToken: string }[];
  timeoutMs: number;
  pollMinMs: number;
  pollMaxMs: number;
  waitlistPatienceMs: number;
}

export interface WorkerOutput {
  records: BuyerRecord[];
  refusals: Refusal[];
  buckets: [number, SecondBucket][];
  /** Buyers whose code threw (a bug in the simulator, not the server). */
  crashes: string[];
}

export type WorkerCommand = { type: 'start'; t0: number; sale: Sale } | { type: 'stop' };

const input = workerData as WorkerInput;
const stopping = new AbortController();
// Sleepers are woken through one set rather than one abort listener each: an AbortSignal checks its
// listeners for duplicates on every add, which made 50,000 waiting buyers cost O(n²) before the first request.
const sleepers = new Set<() => void>();
const onStop = (callback: () => void) => {
  sleepers.add(callback);
  return () => void sleepers.delete(callback);
};
const sleep = (ms: number) => new Promise<void>((resolve) => {
  if (stopping.signal.aborted) return resolve();
  const wake = () => {
    clearTimeout(timer);
    sleepers.delete(wake);
    resolve();
  };
  const timer = setTimeout(wake, ms);
  sleepers.add(wake);
});
stopping.signal.addEventListener('abort', () => [...sleepers].forEach((wake) => wake()));
const started = new Promise<{ t0: number; sale: Sale }>((resolve) => parentPort!.on('message', (command: WorkerCommand) => {
  if (command.type === 'start') resolve(command);
  else stopping.abort();
}));
parentPort!.postMessage('ready');
const { t0, sale } = await started;

const client = createClient({ baseUrl: input.baseUrl, t0, timeoutMs: input.timeoutMs, signal: stopping.signal, sleep });
const refusals: Refusal[] = [];
const crashes: string[] = [];
const wsBase = input.baseUrl.replace(/^http/, 'ws');

const records = await Promise.all(input.plans.map((plan, i) => runBuyer(plan, {
  client, sale, t0, wsBase, token: input.buyers[i]!.accessToken, userId: input.buyers[i]!.userId,
  pollMinMs: input.pollMinMs, pollMaxMs: input.pollMaxMs, waitlistPatienceMs: input.waitlistPatienceMs, timeoutMs: input.timeoutMs, signal: stopping.signal, onStop, sleep, refusals,
}).catch((error: unknown) => {
  crashes.push(String((error as Error)?.stack ?? error));
  return null;
})));

client.close();
const output: WorkerOutput = { records: records.filter((r): r is BuyerRecord => r !== null), refusals, buckets: [...client.buckets], crashes };
parentPort!.postMessage(output);
