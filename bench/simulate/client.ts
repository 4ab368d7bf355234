/**
 * The buyers' HTTP client (inside a load-generating worker): keep-alive sockets, a timeout on every
 * request, polite retries of 429 and 503 (Retry-After, with backoff), and a per-second record of every
 * answer: its latency by step and its status and error code.
 */
import { Agent, request as httpRequest } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';

export const steps = ['join', 'status', 'hold', 'checkout', 'release', 'cancel', 'leave', 'waitlist', 'seats'] as const;
export type Step = (typeof steps)[number];

export interface Answer {
  /** 0 when no answer came (timeout, connection refused or reset, run stopped). */
  status: number;
  body: any;
  /** The error code of a 4xx/5xx (`error.code`), `timeout`, `network` or `stopped`; '' for a success. */
  code: string;
}

/** What one second of the run saw, per step: every latency (ms) and a count per answer key. */
export interface SecondBucket {
  latencies: Partial<Record<Step, number[]>>;
  answers: Record<string, number>;
}

export const answerKey = (status: number, code: string) => (status === 0 ? code : code ? `${status} ${code}` : String(status));

/** Retries of a 429 or 503, each after its Retry-After or an exponential backoff, whichever is longer. */
const politeRetriesMax = 6;
const backoffBaseMs = 250;
/** Sockets per worker: enough for every buyer in a step at once on a 2-core machine, bounded for the balancer. */
const socketsPerWorkerMax = 512;

export interface Client {
  call(step: Step, method: string, path: string, options?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<Answer>;
  buckets: Map<number, SecondBucket>;
  close(): void;
}

export function createClient(options: { baseUrl: string; t0: number; timeoutMs: number; signal: AbortSignal; sleep: (ms: number) => Promise<void> }): Client {
  const base = new URL(options.baseUrl);
  const secure = base.protocol === 'https:';
  const agent = secure ? new HttpsAgent({ keepAlive: true, maxSockets: socketsPerWorkerMax }) : new Agent({ keepAlive: true, maxSockets: socketsPerWorkerMax });
  const buckets = new Map<number, SecondBucket>();
  // In-flight requests are ended through one set on stop (one abort listener each would cost O(n²)).
  const inFlight = new Set<ReturnType<typeof httpRequest>>();
  options.signal.addEventListener('abort', () => [...inFlight].forEach((req) => req.destroy(new Error('stopped'))));

  const record = (step: Step, startedAt: number, answer: Answer) => {
    const second = Math.floor((startedAt - options.t0) / 1000);
    let bucket = buckets.get(second);
    if (!bucket) buckets.set(second, (bucket = { latencies: {}, answers: {} }));
    (bucket.latencies[step] ??= []).push(Date.now() - startedAt);
    const key = `${step} ${answerKey(answer.status, answer.code)}`;
    bucket.answers[key] = (bucket.answers[key] ?? 0) + 1;
  };

  const once = (method: string, path: string, headers: Record<string, string>, payload: string | undefined) =>
    new Promise<Answer & { retryAfterMs: number }>((resolve) => {
      if (options.signal.aborted) return resolve({ status: 0, body: undefined, code: 'stopped', retryAfterMs: 0 });
      const send = secure ? httpsRequest : httpRequest;
      const req = send(new URL(path, base), { method, agent, headers, timeout: options.timeoutMs }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          let body: any;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            body = text;
          }
          const status = res.statusCode ?? 0;
          const retryAfterMs = Number(res.headers['retry-after'] ?? 0) * 1000;
          resolve({ status, body, code: status >= 400 ? (body?.error?.code ?? 'no_code') : '', retryAfterMs });
        });
        res.on('error', () => resolve({ status: 0, body: undefined, code: 'network', retryAfterMs: 0 }));
      });
      inFlight.add(req);
      req.on('close', () => inFlight.delete(req));
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (error) => resolve({ status: 0, body: undefined, code: options.signal.aborted ? 'stopped' : error.message === 'timeout' ? 'timeout' : 'network', retryAfterMs: 0 }));
      req.end(payload);
    });

  return {
    buckets,
    async call(step, method, path, { token, body, headers = {} } = {}) {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const allHeaders = { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}), ...(payload ? { 'content-type': 'application/json' } : {}) };
      for (let attempt = 0; ; attempt++) {
        const startedAt = Date.now();
        const { retryAfterMs, ...answer } = await once(method, path, allHeaders, payload);
        if (answer.code !== 'stopped') record(step, startedAt, answer);
        const polite = answer.status === 429 || answer.status === 503;
        if (!polite || attempt >= politeRetriesMax || options.signal.aborted) return answer;
        const backoffMs = backoffBaseMs * 2 ** attempt * (0.5 + Math.random());
        await options.sleep(Math.max(retryAfterMs, backoffMs));
      }
    },
    close: () => agent.destroy(),
  };
}
