/**
 * The crowd: one plan per buyer, drawn from a seeded generator, so the same options and seed give the
 * same crowd (the strategy comparison sends the same crowd to every design).
 */
import { quantityWeights, type SimulationOptions } from './options.js';

export type Seating = 'ga' | 'best' | 'named';

export interface BuyerPlan {
  index: number;
  /** When the buyer shows up, in ms after the clock starts (the sale opens at `openMs`). */
  arrivalMs: number;
  quantity: number;
  seating: Seating;
  holdThinkMs: number;
  payThinkMs: number;
  declinedFirst: boolean;
  retryAfterDecline: boolean;
  abandons: boolean;
  cancelAfterMs: number | null;
  joinsWaitlist: boolean;
  watches: boolean;
}

/** mulberry32: small, fast, and good enough to draw a crowd. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** When the sale opens, in ms after the clock starts: after the pre-queue, if there is one. */
export const openMs = (options: Pick<SimulationOptions, 'queue' | 'preQueueSeconds'>) => (options.queue ? options.preQueueSeconds * 1000 : 0);

export function drawCrowd(options: SimulationOptions): BuyerPlan[] {
  const next = random(options.seed);
  const chance = (share: number) => next() < share;
  const exponential = (mean: number) => -Math.log(1 - next()) * mean;
  // Log-normal around a median: most people are quick, a few take much longer.
  const thinkMs = (medianSeconds: number) => {
    const z = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
    return Math.round(medianSeconds * 1000 * Math.exp(0.8 * z));
  };
  const weights = quantityWeights(options);
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  const quantity = () => {
    let pick = next() * totalWeight;
    for (let i = 0; i < weights.length; i++) if ((pick -= weights[i]!) < 0) return i + 1;
    return weights.length;
  };
  const open = openMs(options);
  const arrival = () => {
    const draw = next();
    if (draw < options.preQueueShare) return next() * open;
    if (draw < options.preQueueShare + options.spikeShare) return open + exponential(options.spikeSeconds * 1000);
    return open + Math.min(exponential((options.tailSeconds * 1000) / 3), options.tailSeconds * 1000);
  };
  const seating = (): Seating => {
    if (options.seats === 0 || options.ga > 0 && !chance(options.seatedShare)) return 'ga';
    return chance(options.namedSeatShare) ? 'named' : 'best';
  };
  return Array.from({ length: options.buyers }, (_, index) => {
    const declinedFirst = chance(options.declineShare);
    return {
      index,
      arrivalMs: Math.round(arrival()),
      quantity: quantity(),
      seating: seating(),
      holdThinkMs: thinkMs(options.holdThinkSeconds),
      payThinkMs: thinkMs(options.payThinkSeconds),
      declinedFirst,
      retryAfterDecline: declinedFirst && chance(options.retryAfterDeclineShare),
      abandons: chance(options.abandonShare),
      cancelAfterMs: chance(options.cancelShare) ? Math.round(5000 + next() * 15_000) : null,
      joinsWaitlist: options.waitlist && chance(options.waitlistShare),
      watches: options.queue && chance(options.watchShare),
    };
  });
}
