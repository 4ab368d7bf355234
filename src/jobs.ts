import type { FastifyBaseLogger } from 'fastify';

export interface Job {
  stop(): Promise<void>;
}

/**
 * Runs `work` every `intervalMs`, never two runs at once; a failed run is logged and the next one
 * tries again. `stop` waits for a run in progress to finish.
 */
export function startPeriodic(name: string, intervalMs: number, work: () => Promise<unknown>, log: FastifyBaseLogger): Job {
  let running: Promise<void> | undefined;
  let stopped = false;
  const timer = setInterval(() => {
    if (running || stopped) return;
    running = work()
      .then(() => undefined, (error: unknown) => log.error({ err: error, job: name }, 'periodic job failed'))
      .finally(() => {
        running = undefined;
      });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
