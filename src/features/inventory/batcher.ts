interface Pending<Request, Result> {
  request: Request;
  resolve(result: Result): void;
  reject(error: unknown): void;
}

export interface BatcherOptions {
  /** Requests written in one batch. */
  batchSizeMax: number;
  /** Requests that may wait for one key; past it a request is refused at once, so waits stay bounded. */
  queueLengthMax: number;
  /** The error a refused request fails with. */
  queueFull(key: string): Error;
}

/**
 * Group commit per key: while one batch for a key is being written, requests for that key queue up,
 * and the next batch takes them all (up to `batchSizeMax`) in one transaction. An idle key writes a
 * batch of one at once, so batching adds no wait; a hot key pays one lock and one commit per batch
 * instead of per request.
 */
export class KeyedBatcher<Request, Result> {
  private readonly queues = new Map<string, Pending<Request, Result>[]>();

  constructor(
    private readonly runBatch: (key: string, requests: Request[]) => Promise<Result[]>,
    private readonly options: BatcherOptions,
  ) {}

  submit(key: string, request: Request): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      const queue = this.queues.get(key);
      if (queue && queue.length >= this.options.queueLengthMax) {
        reject(this.options.queueFull(key));
        return;
      }
      if (queue) {
        queue.push({ request, resolve, reject });
        return;
      }
      this.queues.set(key, [{ request, resolve, reject }]);
      void this.drain(key);
    });
  }

  /** Runs batches for `key` until its queue is empty; the queue's presence marks the key as busy. */
  private async drain(key: string): Promise<void> {
    const queue = this.queues.get(key)!;
    while (queue.length > 0) {
      const batch = queue.splice(0, this.options.batchSizeMax);
      try {
        const results = await this.runBatch(key, batch.map((p) => p.request));
        batch.forEach((pending, i) => pending.resolve(results[i]!));
      } catch (error) {
        for (const pending of batch) pending.reject(error);
      }
    }
    this.queues.delete(key);
  }
}
