/**
 * One simulated buyer, start to finish: arrive, join the line (watching it over WebSocket or polling),
 * wait to be let in, hold (general admission, best available or named seats from the live map), think,
 * pay (a declined card, then retry or give up), or walk away and let the hold lapse; cancel later;
 * join the waitlist when told sold out, and take its offer. What the buyer saw is kept for the checks.
 */
import WebSocket from 'ws';
import type { Answer, Client } from './client.js';
import type { BuyerPlan } from './crowd.js';

export interface Sale {
  eventId: string;
  gaSectionId: string | null;
  seatedSectionId: string | null;
  queue: boolean;
  waitlist: boolean;
}

export type Outcome =
  | 'bought' | 'cancelled' | 'told_sold_out' | 'waitlist_converted' | 'abandoned' | 'gave_up' | 'paid_too_late'
  | 'not_admitted' | 'window_over' | 'failed' | 'unfinished';

/** Where a buyer is in the journey; for one who did not finish, where the run's end found them. */
export type Stage = 'arriving' | 'joining' | 'in line' | 'shopping' | 'paying' | 'bought, to cancel' | 'on the waitlist' | 'done';

export interface SeenHold {
  id: string;
  quantity: number;
  fromWaitlist: boolean;
  /** How the buyer left it; `unknown` when a request about it got no answer (timeout, or the run was stopped). */
  end: 'converted' | 'released' | 'abandoned' | 'lapsed' | 'unknown';
}

export interface BuyerRecord {
  index: number;
  userId: string;
  arrivedAt: number;
  joinSentAt: number | null;
  joinAnsweredAt: number | null;
  queueToken: string | null;
  admittedSeenAt: number | null;
  /** When the buyer was told their place or window had expired (status `expired`, or a hold refused `admission_expired`). */
  expiredSeenAt: number | null;
  toldSoldOut: 'queue' | 'hold' | null;
  holds: SeenHold[];
  /** `cancelled` is null when the cancellation got no answer. */
  orders: { id: string; holdId: string; tickets: number; cancelled: boolean | null }[];
  /** Hold requests that got no answer: the server may have made the hold anyway. */
  unansweredHolds: number;
  waitlist: 'joined' | 'offered' | 'converted' | 'lapsed' | 'refused' | null;
  outcome: Outcome;
  stage: Stage;
  /** The first unexpected answer, for the report. */
  failure: string | null;
}

/** A hold refused for lack of stock (or a lost race), kept to find refusals made while stock remained. */
export interface Refusal {
  sectionId: string;
  quantity: number;
  sentAt: number;
  answeredAt: number;
  code: string;
}

export interface BuyerContext {
  client: Client;
  sale: Sale;
  /** Epoch ms when the clock started; plans count from it. */
  t0: number;
  wsBase: string;
  token: string;
  userId: string;
  pollMinMs: number;
  pollMaxMs: number;
  waitlistPatienceMs: number;
  /** Also bounds a live socket's opening handshake. */
  timeoutMs: number;
  signal: AbortSignal;
  /** Calls back when the run is stopped; returns the unregistration. */
  onStop(callback: () => void): () => void;
  sleep(ms: number): Promise<void>;
  refusals: Refusal[];
}

const goodCard = { payment: { cardNumber: '4242424242424242' } };
const declinedCard = { payment: { cardNumber: '4000000000000002' } };
const waitlistPollMs = 5000;
/** Named-seat buyers choose among the first runs of free seats on the map (the front rows), at random. */
const seatRunsConsidered = 20;

class Stopped extends Error {}

const jitter = (ms: number) => ms * (0.7 + Math.random() * 0.6);

export async function runBuyer(plan: BuyerPlan, ctx: BuyerContext): Promise<BuyerRecord> {
  const record: BuyerRecord = {
    index: plan.index, userId: ctx.userId, arrivedAt: 0, joinSentAt: null, joinAnsweredAt: null, queueToken: null,
    admittedSeenAt: null, expiredSeenAt: null, toldSoldOut: null, holds: [], orders: [], unansweredHolds: 0, waitlist: null, outcome: 'unfinished', stage: 'arriving', failure: null,
  };
  const { client, sale } = ctx;
  const call = (...args: Parameters<Client['call']>) => client.call(args[0], args[1], args[2], { token: ctx.token, ...args[3] });
  const pause = async (ms: number) => {
    await ctx.sleep(ms);
    if (ctx.signal.aborted) throw new Stopped();
  };
  const fail = (what: string, answer: Answer): Outcome => {
    if (answer.code === 'stopped') throw new Stopped();
    record.failure ??= `${what}: ${answer.status || ''} ${answer.code}`.trim();
    return 'failed';
  };

  async function join(): Promise<Outcome | null> {
    for (;;) {
      record.joinSentAt = Date.now();
      const answer = await call('join', 'POST', `/api/v1/events/${sale.eventId}/queue`);
      record.joinAnsweredAt = Date.now();
      if (answer.status === 201) {
        record.queueToken = answer.body.queueToken;
        return null;
      }
      // Our clock and the server's may differ by a little at the pre-queue's opening: come back then.
      if (answer.code === 'queue_not_open') await pause(Math.max(100, Date.parse(answer.body.error.details.opensAt) - Date.now()));
      else return fail('join', answer);
    }
  }

  /** Until admitted, told sold out, or the place expired: over a live socket, or by polling. */
  async function waitInLine(): Promise<string> {
    if (plan.watches) {
      const state = await watch().catch(() => null);
      if (state) return state;
    }
    for (;;) {
      const answer = await call('status', 'GET', `/api/v1/events/${sale.eventId}/queue`, { headers: { 'x-queue-token': record.queueToken! } });
      if (answer.status !== 200) {
        fail('status', answer);
        return 'failed';
      }
      const { state, etaSeconds } = answer.body;
      if (state === 'admitted' || state === 'sold_out' || state === 'expired') return state;
      // Like a considerate client: check again at about half the estimated wait, within bounds.
      await pause(jitter(Math.min(ctx.pollMaxMs, Math.max(ctx.pollMinMs, ((etaSeconds ?? 0) * 1000) / 2))));
    }
  }

  function watch(): Promise<string | null> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`${ctx.wsBase}/api/v1/events/${sale.eventId}/live?queueToken=${record.queueToken}`, { handshakeTimeout: ctx.timeoutMs });
      const forget = ctx.onStop(() => socket.terminate());
      socket.on('message', (data) => {
        const message = JSON.parse(String(data));
        if (message.type === 'queue' && ['admitted', 'sold_out', 'expired'].includes(message.state)) {
          socket.close();
          resolve(message.state);
        }
      });
      socket.on('error', reject);
      // A socket that closes before an answer falls back to polling.
      socket.on('close', () => {
        forget();
        resolve(null);
      });
    });
  }

  /** `count` adjacent free seats from the live map, near the front. */
  async function pickSeats(count: number): Promise<string[] | null> {
    const answer = await call('seats', 'GET', `/api/v1/events/${sale.eventId}/seats`);
    if (answer.status !== 200) return null;
    const rows = new Map<string, { id: string; number: number }[]>();
    for (const seat of answer.body as { id: string; sectionId: string; row: string; number: number; status: string }[]) {
      if (seat.sectionId === sale.seatedSectionId && seat.status === 'available') rows.set(seat.row, [...(rows.get(seat.row) ?? []), seat]);
    }
    const runs: string[][] = [];
    for (const seats of rows.values()) {
      seats.sort((a, b) => a.number - b.number);
      for (let i = 0; i + count <= seats.length; i++) {
        if (seats[i + count - 1]!.number - seats[i]!.number === count - 1) runs.push(seats.slice(i, i + count).map((s) => s.id));
      }
    }
    return runs.length ? runs[Math.floor(Math.random() * Math.min(runs.length, seatRunsConsidered))]! : null;
  }

  /** The answer to a hold request as the buyer reads it: the hold, or why not (`failed` is recorded). */
  function holdAnswer(answer: Answer): any {
    if (answer.status === 0) record.unansweredHolds++;
    if (answer.status === 201) return answer.body;
    // The shopping window ended before the buyer got round to holding (slow thinking, or a slow server).
    if (answer.code === 'admission_expired') {
      record.expiredSeenAt = Date.now();
      return 'window_over';
    }
    // A lost race (a design without a lock says `conflict`) reads as sold out to the buyer.
    if (answer.code === 'sold_out' || answer.code === 'conflict') return 'sold_out';
    return answer.code === 'seats_unavailable' ? answer.code : fail('hold', answer);
  }

  const holdHeaders = (key: string): Record<string, string> =>
    ({ 'idempotency-key': `sim-${plan.index}-${key}`, ...(record.queueToken ? { 'x-queue-token': record.queueToken } : {}) });

  async function holdQuantity(sectionId: string, quantity: number): Promise<any> {
    const sentAt = Date.now();
    const answer = await call('hold', 'POST', '/api/v1/holds', { body: { eventId: sale.eventId, sectionId, quantity }, headers: holdHeaders(`${sectionId}-${quantity}`) });
    if (answer.code === 'sold_out' || answer.code === 'conflict') ctx.refusals.push({ sectionId, quantity, sentAt, answeredAt: Date.now(), code: answer.code });
    return holdAnswer(answer);
  }

  /**
   * A hold, or 'sold_out', 'window_over' or 'failed'. Named seats: two tries from the live map, then the
   * best available. Sold out where they wanted, buyers take what is left, as most people do: the other
   * section, then a single ticket.
   */
  async function placeHold(): Promise<any> {
    if (plan.seating === 'named') {
      for (const attempt of [1, 2]) {
        const seatIds = await pickSeats(plan.quantity);
        if (!seatIds) break;
        const held = holdAnswer(await call('hold', 'POST', '/api/v1/holds', { body: { eventId: sale.eventId, seatIds }, headers: holdHeaders(`named-${attempt}`) }));
        if (held !== 'seats_unavailable') return held;
      }
    }
    const preferred = plan.seating === 'ga' ? sale.gaSectionId : sale.seatedSectionId;
    const other = plan.seating === 'ga' ? sale.seatedSectionId : sale.gaSectionId;
    const tries = [[preferred, plan.quantity], [other, plan.quantity], [preferred, 1], [other, 1]] as const;
    for (const [sectionId, quantity] of tries.filter(([id, q], i) => id && (i < 2 || q < plan.quantity))) {
      const held = await holdQuantity(sectionId!, quantity);
      if (held !== 'sold_out' && held !== 'seats_unavailable') return held;
    }
    return 'sold_out';
  }

  /** Pays for a hold (declined first for some, then retry or give up). */
  async function pay(hold: any, seen: SeenHold, firstCard: typeof goodCard): Promise<Outcome> {
    let answer = await call('checkout', 'POST', `/api/v1/holds/${hold.id}/checkout`, { body: firstCard });
    if (answer.status === 402) {
      if (!plan.retryAfterDecline) {
        const released = await call('release', 'DELETE', `/api/v1/holds/${hold.id}`);
        seen.end = released.status === 204 ? 'released' : released.status === 0 ? 'unknown' : 'lapsed';
        return 'gave_up';
      }
      await pause(jitter(3000));
      answer = await call('checkout', 'POST', `/api/v1/holds/${hold.id}/checkout`, { body: goodCard });
    }
    if (answer.status === 201 || answer.status === 200) {
      seen.end = 'converted';
      const order: BuyerRecord['orders'][number] = { id: answer.body.id, holdId: hold.id, tickets: answer.body.tickets.length, cancelled: false };
      record.orders.push(order);
      if (plan.cancelAfterMs === null) return 'bought';
      record.stage = 'bought, to cancel';
      await pause(plan.cancelAfterMs);
      const cancelled = await call('cancel', 'POST', `/api/v1/orders/${order.id}/cancel`);
      if (cancelled.status === 0) order.cancelled = null;
      if (cancelled.status !== 200) return fail('cancel', cancelled);
      order.cancelled = true;
      return 'cancelled';
    }
    seen.end = answer.status === 0 ? 'unknown' : 'lapsed';
    if (answer.code === 'hold_expired' || answer.code === 'hold_not_active') return 'paid_too_late';
    return fail('checkout', answer);
  }

  /**
   * A shopper done without buying leaves the line, as the web client does, so the next person gets the
   * shopper place now rather than when the window ends. (One who walks away does not.)
   */
  async function leaveLine(): Promise<void> {
    if (!record.queueToken) return;
    const answer = await call('leave', 'DELETE', `/api/v1/events/${sale.eventId}/queue`);
    if (answer.status !== 204) fail('leave', answer);
  }

  async function holdAndPay(): Promise<Outcome> {
    record.stage = 'shopping';
    await pause(plan.holdThinkMs);
    const hold = await placeHold();
    if (hold === 'failed' || hold === 'window_over') return hold;
    if (hold === 'sold_out') {
      record.toldSoldOut = 'hold';
      await leaveLine();
      return waitlist();
    }
    const seen: SeenHold = { id: hold.id, quantity: hold.items.length, fromWaitlist: false, end: 'abandoned' };
    record.holds.push(seen);
    if (plan.abandons) return 'abandoned';
    record.stage = 'paying';
    await pause(plan.payThinkMs);
    const outcome = await pay(hold, seen, plan.declinedFirst ? declinedCard : goodCard);
    if (outcome === 'gave_up' || outcome === 'paid_too_late') await leaveLine();
    return outcome;
  }

  /**
   * Told sold out: join the waitlist (some do), wait for an exclusive offer and take it. Patience counts
   * from being told sold out, joining included, and no wait outlasts it: a waitlisted buyer is done
   * `waitlistPatienceMs` after the news, plus at most one last check and the leave (each bounded by the
   * request timeout), or pays for an offer seen within it.
   */
  async function waitlist(): Promise<Outcome> {
    if (!sale.waitlist || !plan.joinsWaitlist) return 'told_sold_out';
    const giveUpAt = Date.now() + ctx.waitlistPatienceMs;
    const sectionId = plan.seating === 'ga' ? sale.gaSectionId : sale.seatedSectionId;
    const joined = await call('waitlist', 'POST', `/api/v1/events/${sale.eventId}/waitlist`, { body: { sectionId, quantity: plan.quantity } });
    if (joined.status !== 201) {
      record.waitlist = 'refused';
      return joined.status === 409 ? 'told_sold_out' : fail('waitlist', joined);
    }
    record.waitlist = 'joined';
    record.stage = 'on the waitlist';
    for (;;) {
      const left = giveUpAt - Date.now();
      if (left <= 0) break;
      await pause(Math.min(left, jitter(waitlistPollMs)));
      const entry = await call('waitlist', 'GET', `/api/v1/events/${sale.eventId}/waitlist`);
      if (entry.status !== 200) return fail('waitlist', entry);
      if (entry.body.status === 'waiting') continue;
      // An offer that lapsed unseen, or an entry the event's cancellation ended: nothing more to wait for.
      if (entry.body.status !== 'offered') {
        record.waitlist = 'lapsed';
        return 'told_sold_out';
      }
      record.waitlist = 'offered';
      record.stage = 'paying';
      const seen: SeenHold = { id: entry.body.offer.holdId, quantity: entry.body.quantity, fromWaitlist: true, end: 'lapsed' };
      record.holds.push(seen);
      await pause(jitter(plan.payThinkMs / 2));
      const outcome = await pay({ id: seen.id }, seen, goodCard);
      if (outcome === 'bought' || outcome === 'cancelled') record.waitlist = 'converted';
      return outcome === 'bought' ? 'waitlist_converted' : outcome;
    }
    // 404: the entry ended meanwhile (an offer lapsed unseen); an offer made since the last check is declined.
    const left = await call('waitlist', 'DELETE', `/api/v1/events/${sale.eventId}/waitlist`);
    if (left.status !== 204 && left.status !== 404) return fail('waitlist', left);
    record.waitlist = 'lapsed';
    return 'told_sold_out';
  }

  /** Arrive, wait in line if there is one, then hold and pay (or be told sold out). */
  async function journey(): Promise<Outcome> {
    await pause(Math.max(0, ctx.t0 + plan.arrivalMs - Date.now()));
    record.arrivedAt = Date.now();
    if (sale.queue) {
      record.stage = 'joining';
      const failed = await join();
      if (failed) return failed;
      record.stage = 'in line';
      const state = await waitInLine();
      if (state === 'sold_out') {
        record.toldSoldOut = 'queue';
        return waitlist();
      }
      if (state === 'expired') record.expiredSeenAt = Date.now();
      if (state !== 'admitted') return state === 'failed' ? 'failed' : 'not_admitted';
      record.admittedSeenAt = Date.now();
    }
    return holdAndPay();
  }

  try {
    record.outcome = await journey();
    record.stage = 'done';
  } catch (error) {
    if (!(error instanceof Stopped)) throw error;
    record.outcome = 'unfinished';
  }
  return record;
}
