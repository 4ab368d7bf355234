/**
 * Watches a run from outside the crowd: every second the sale's figures (the organizer's stats: queue,
 * sold, held, available) and the CPU of each process; every 100 ms the public availability, to tell a
 * refusal made while stock remained (a false sold-out) from a true one.
 */
import { commandsCpuSeconds, machineCpuSeconds, processCpuSeconds } from '../support.js';

export interface SectionFigures {
  sectionId: string;
  capacity: number;
  sold: number;
  held: number;
  offered?: number;
  reserved?: number;
  available: number;
}

export interface QueueFigures {
  state: string;
  length: number;
  issued: number;
  admittedThrough: number;
  activeShoppers: number;
  admittedPerMinute: number;
}

export interface SaleFigures {
  sections: SectionFigures[];
  queue: QueueFigures | null;
}

export interface Sample {
  /** Seconds since the clock started. */
  second: number;
  figures: SaleFigures | null;
  /** % of one core over the last second, per process group. */
  cpu: Record<string, number>;
}

export interface AvailabilitySample {
  /** When the read was sent and when it was answered: the figures are the stock at some moment between. */
  at: number;
  answeredAt: number;
  available: Record<string, number>;
}

export interface Watched {
  /** Processes on this machine: each node by pid; PostgreSQL, Redis and nginx by command name (all of them). */
  nodePids: number[];
  figures(): Promise<SaleFigures>;
  availability(): Promise<Record<string, number>>;
}

const figuresEveryMs = 1000;
const availabilityEveryMs = 100;
const sampleTimeoutMs = 2000;

function cpuTotals(nodePids: number[]): Record<string, number> {
  const self = process.cpuUsage();
  const services = commandsCpuSeconds(['postgres', 'redis-server', 'nginx']);
  return {
    ...Object.fromEntries(nodePids.map((pid, i) => [`node ${i + 1}`, processCpuSeconds(pid)])),
    postgres: services.postgres,
    redis: services['redis-server'],
    nginx: services.nginx,
    // The crowd's worker threads run in this process, so its CPU is the load generator's.
    generator: (self.user + self.system) / 1e6,
    machine: machineCpuSeconds().busy,
  };
}

const withTimeout = <T>(work: Promise<T>) => Promise.race([work, new Promise<null>((resolve) => setTimeout(() => resolve(null), sampleTimeoutMs).unref())]).catch(() => null);

export function startSampler(watched: Watched, t0: number): { latest(): Sample | undefined; stop(): { samples: Sample[]; availability: AvailabilitySample[] } } {
  const samples: Sample[] = [];
  const availability: AvailabilitySample[] = [];
  let previous = { at: Date.now(), totals: cpuTotals(watched.nodePids) };
  let figuresBusy = false;
  let availabilityBusy = false;
  const everySecond = setInterval(() => {
    const now = Date.now();
    const totals = cpuTotals(watched.nodePids);
    const seconds = (now - previous.at) / 1000;
    const cpu = Object.fromEntries(Object.entries(totals).map(([name, total]) => [name, Math.round((100 * (total - (previous.totals[name] ?? 0))) / seconds)]));
    cpu.other = Math.max(0, cpu.machine! - Object.entries(cpu).filter(([name]) => name !== 'machine').reduce((sum, [, v]) => sum + v, 0));
    previous = { at: now, totals };
    // A server that hangs must not stall the sampler: a sample that does not come back in time is empty.
    if (figuresBusy) return samples.push({ second: Math.round((now - t0) / 1000), figures: null, cpu });
    figuresBusy = true;
    void withTimeout(watched.figures()).then((figures) => {
      samples.push({ second: Math.round((now - t0) / 1000), figures, cpu });
      figuresBusy = false;
    });
  }, figuresEveryMs);
  const everyTenth = setInterval(() => {
    if (availabilityBusy) return;
    availabilityBusy = true;
    const at = Date.now();
    void withTimeout(watched.availability()).then((available) => {
      if (available) availability.push({ at, answeredAt: Date.now(), available });
      availabilityBusy = false;
    });
  }, availabilityEveryMs);
  return {
    /** The latest sample that has its sale figures. */
    latest: () => samples.findLast((sample) => sample.figures !== null),
    stop() {
      clearInterval(everySecond);
      clearInterval(everyTenth);
      return { samples: samples.sort((a, b) => a.second - b.second), availability: availability.sort((a, b) => a.at - b.at) };
    },
  };
}

/**
 * Refusals made while stock remained: the last availability read answered before the request was sent,
 * the first read sent after its answer, and every read between, all covered the quantity refused. A
 * read's figures are the stock at some moment between its sending and its answer (on a loaded machine
 * that can be a second or more), so a read is placed by both ends: a read sent before the request but
 * answered after it was sent may have seen the stock after the decision, and does not count as "before".
 * Stock that dipped and came back between two reads (100 ms apart) is not seen, so this can miss some,
 * and call a refusal in such a dip false; the comparison quotes it as measured.
 */
export function falseSoldOuts(refusals: { sectionId: string; quantity: number; sentAt: number; answeredAt: number }[], availability: AvailabilitySample[]): number {
  const firstSentAtOrAfter = (at: number) => {
    let low = 0;
    let high = availability.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (availability[middle]!.at < at) low = middle + 1;
      else high = middle;
    }
    return low;
  };
  /** The last read answered by `at` (reads are sorted by sending; one at a time, so by answer too). */
  const lastAnsweredBy = (at: number) => {
    let i = firstSentAtOrAfter(at) - 1;
    while (i >= 0 && availability[i]!.answeredAt > at) i--;
    return i;
  };
  return refusals.filter((refusal) => {
    const from = lastAnsweredBy(refusal.sentAt);
    const to = firstSentAtOrAfter(refusal.answeredAt);
    if (from < 0 || to >= availability.length) return false;
    for (let i = from; i <= to; i++) if ((availability[i]!.available[refusal.sectionId] ?? 0) < refusal.quantity) return false;
    return true;
  }).length;
}
