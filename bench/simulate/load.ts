/**
 * The crowd in worker threads (so the load generator is not bound to one core): each worker gets every
 * n-th buyer, so arrivals spread evenly. Their results are merged here.
 */
import { Worker } from 'node:worker_threads';
import type { Sale } from './buyer.js';
import type { SecondBucket } from './client.js';
import type { BuyerPlan } from './crowd.js';
import type { SimulationOptions } from './options.js';
import type { WorkerCommand, WorkerInput, WorkerOutput } from './worker.js';

/** After a stop, how long a worker may take to hand in what it has before it is terminated. */
const workerStopGraceMs = 10_000;

export interface Crowd {
  start(t0: number, sale: Sale): void;
  /** Resolves when every buyer is done (or the workers were stopped). */
  finished: Promise<WorkerOutput>;
  stop(): void;
}

export async function startCrowd(plans: BuyerPlan[], buyers: WorkerInput['buyers'], baseUrl: string, options: SimulationOptions): Promise<Crowd> {
  const workers = Array.from({ length: Math.min(options.workers, plans.length) }, (_, w) => {
    const mine = plans.map((_, i) => i).filter((i) => i % options.workers === w);
    const input: WorkerInput = {
      baseUrl,
      plans: mine.map((i) => plans[i]!),
      buyers: mine.map((i) => buyers[i]!),
      timeoutMs: options.requestTimeoutSeconds * 1000,
      pollMinMs: options.pollMinSeconds * 1000,
      pollMaxMs: options.pollMaxSeconds * 1000,
      waitlistPatienceMs: options.waitlistPatienceSeconds * 1000,
    };
    return new Worker(new URL('./worker-entry.mjs', import.meta.url), { workerData: input });
  });
  await Promise.all(workers.map((worker) => new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  })));
  const outputs = workers.map((worker) => new Promise<WorkerOutput | null>((resolve) => {
    worker.once('message', (output: WorkerOutput) => resolve(output));
    worker.once('error', (error) => resolve({ records: [], refusals: [], buckets: [], crashes: [String(error.stack ?? error)] }));
    worker.once('exit', () => resolve(null));
  }));
  const send = (command: WorkerCommand) => workers.forEach((worker) => worker.postMessage(command));
  return {
    start: (t0, sale) => send({ type: 'start', t0, sale }),
    stop() {
      send({ type: 'stop' });
      setTimeout(() => workers.forEach((worker) => void worker.terminate()), workerStopGraceMs).unref();
    },
    finished: Promise.all(outputs).then((results) => {
      workers.forEach((worker) => void worker.terminate());
      return mergeOutputs(results.map((r) => r ?? { records: [], refusals: [], buckets: [], crashes: ['a worker ended without handing in its results'] }));
    }),
  };
}

function mergeOutputs(outputs: WorkerOutput[]): WorkerOutput {
  const buckets = new Map<number, SecondBucket>();
  for (const [second, bucket] of outputs.flatMap((o) => o.buckets)) {
    const merged = buckets.get(second) ?? { latencies: {}, answers: {} };
    for (const [step, latencies] of Object.entries(bucket.latencies)) {
      const key = step as keyof SecondBucket['latencies'];
      merged.latencies[key] = (merged.latencies[key] ?? []).concat(latencies);
    }
    for (const [key, count] of Object.entries(bucket.answers)) merged.answers[key] = (merged.answers[key] ?? 0) + count;
    buckets.set(second, merged);
  }
  return {
    records: outputs.flatMap((o) => o.records),
    refusals: outputs.flatMap((o) => o.refusals),
    buckets: [...buckets].sort((a, b) => a[0] - b[0]),
    crashes: outputs.flatMap((o) => o.crashes),
  };
}
