import type { FastifyBaseLogger } from 'fastify';
import type { Database, Queryable } from '../../db/database.js';
import { AppError, notFound } from '../../errors.js';
import { limits } from '../../limits.js';
import { backoffMs } from '../../backoff.js';
import type { PaymentProvider } from './payments.js';

/*
 * A payment row is Onsale's intent; the provider's books are the facts. Every status change is
 * conditional on the status the writer saw (`where status = <expected>`), so two actors racing on
 * one payment (a checkout capturing it, a cancellation giving it back, the reconciler) never
 * overwrite each other, and a payment owed back (`voiding`, `refunding`) is settled by what the
 * provider says happened to the money, not by what Onsale last believed:
 *
 *   authorizing --> authorized --> captured --> refunding --> refunded
 *        |     \          |                                      ^
 *        v      \         v                                      |
 *    declined    `---> voiding --> voided                         |
 *                         `-------------------------------------->'
 *                      (the provider had captured it: a capture raced the cancellation)
 *
 * (authorizing or authorized -> voiding: the order failed, or a crash abandoned the checkout.)
 */

export type PaymentStatus = 'authorizing' | 'authorized' | 'captured' | 'declined' | 'voiding' | 'voided' | 'refunding' | 'refunded';

/** Statuses the reconciler works on; the others are final. */
const unsettled = ['authorizing', 'authorized', 'voiding', 'refunding'] as const;
const owedBack = new Set<PaymentStatus>(['voiding', 'refunding']);
/** The provider has captured a payment in these: a share of it can be refunded. */
const capturedStatuses: readonly PaymentStatus[] = ['captured', 'refunding', 'refunded'];

/**
 * The next attempt of a claimed row (alias `row`), pushed out as if this one failed: the base
 * interval (parameter `$base`) doubled per attempt, at most the parameter after it.
 */
const claimBackoff = (row: string, base: number) =>
  `now() + make_interval(secs => least($${base + 1}, $${base} * power(2, least(${row}.attempts, 30))) / 1000)`;

export interface SettlementSettings {
  reconcileIntervalMs: number;
  staleAfterMs: number;
}

export interface PaymentView {
  id: string;
  holdId: string;
  orderId: string | null;
  amount: number;
  currency: string;
  provider: string;
  reference: string | null;
  status: PaymentStatus;
  failureCode: string | null;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  parkedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const paymentColumns = `id, hold_id as "holdId", order_id as "orderId", amount, currency, provider, reference, status,
  failure_code as "failureCode", attempts, next_attempt_at as "nextAttemptAt", last_error as "lastError", parked_at as "parkedAt",
  created_at as "createdAt", updated_at as "updatedAt"`;

/** Moves a payment on only if it is still in `from`; says whether it moved. */
export async function movePayment(
  q: Queryable,
  paymentId: string,
  from: PaymentStatus,
  to: PaymentStatus,
  extra: { reference?: string | undefined; failureCode?: string } = {},
): Promise<boolean> {
  const moved = await q.query(
    `update payments set status = $3, reference = coalesce($4, reference), failure_code = coalesce($5, failure_code), updated_at = now()
      where id = $1 and status = $2`,
    [paymentId, from, to, extra.reference ?? null, extra.failureCode ?? null],
  );
  return moved.rowCount > 0;
}

/**
 * An authorization no order will use (the order failed, or a crash abandoned the checkout) is owed
 * back. Conditional on there being no order: if the order did commit (a commit whose answer was
 * lost), the payment stays to be captured.
 */
export async function oweAuthorizationBack(q: Queryable, paymentId: string, from: 'authorizing' | 'authorized', failureCode: string): Promise<boolean> {
  const moved = await q.query(
    `update payments set status = 'voiding', failure_code = $3, updated_at = now() where id = $1 and status = $2 and order_id is null`,
    [paymentId, from, failureCode],
  );
  return moved.rowCount > 0;
}

/** A payment or a share claimed for one attempt. */
interface Claimed {
  id: string;
  attempts: number;
}

interface ClaimedPayment extends Claimed {
  status: PaymentStatus;
  reference: string | null;
  orderId: string | null;
}

export interface PaymentSettlement {
  /** Captures the payment of a committed order; if a cancellation got to it first, the money goes back. Throws if the provider fails. */
  capture(paymentId: string, reference: string): Promise<void>;
  /** Settles a payment owed back (`voiding`, `refunding`) by what the provider did with it. Throws if the provider fails. */
  giveBack(paymentId: string): Promise<void>;
  /** Sends a partial cancellation's share (a `refunds` row) if its payment is captured. Throws if the provider fails. */
  sendShare(refundId: string): Promise<void>;
  /** One reconciler pass: each due payment on its own, in a stable order. Returns how many it attempted. */
  reconcile(): Promise<number>;
  list(filter: PaymentStatus | 'parked' | undefined, limit: number): Promise<PaymentView[]>;
  /** Puts a parked payment back in the reconciler's hands with a fresh set of attempts. */
  retry(paymentId: string): Promise<PaymentView>;
}

export function createPaymentSettlement(deps: { db: Database; provider: PaymentProvider; log: FastifyBaseLogger; settings: SettlementSettings }): PaymentSettlement {
  const { db, provider, log, settings } = deps;

  async function capture(paymentId: string, reference: string): Promise<void> {
    await provider.capture(reference);
    if (await movePayment(db, paymentId, 'authorized', 'captured')) return;
    // A cancellation moved the payment between the order's commit and this capture (it is owed
    // back now), or another node captured it: only the first needs the money just taken returned.
    await giveBack(paymentId);
  }

  async function giveBack(paymentId: string): Promise<void> {
    // What the order's partial cancellations owe is theirs to send (sendShare): the rest is given back
    // here; of a cancelled order, only its refund (fees that are not refundable stay: docs/fees.md).
    const { rows } = await db.query<{ status: PaymentStatus; rest: number; reference: string | null }>(
      `select status, greatest(0, least(amount, coalesce((select o.refund_amount from orders o where o.id = p.order_id and o.status = 'cancelled'), amount))
                                  - coalesce((select sum(r.amount) from refunds r where r.payment_id = p.id), 0))::int as rest, reference
         from payments p where id = $1`,
      [paymentId],
    );
    const payment = rows[0];
    if (!payment || !owedBack.has(payment.status)) return;
    // A crash may have hidden whether the authorization was even made: then it is found by its key.
    const found = await provider.lookup(payment.reference ? { reference: payment.reference } : { idempotencyKey: paymentId });
    if (payment.reference && !found) throw new Error(`the provider does not know payment ${payment.reference}`);
    if (found?.state === 'authorized') await provider.void(found.reference);
    // The payment's id is the key of its refund: a second settlement (or one after a crash) refunds nothing more.
    if (found?.state === 'captured' && payment.rest > 0) await provider.refund(found.reference, payment.rest, paymentId);
    const outcome = found?.state === 'captured' || found?.state === 'refunded' ? 'refunded' : 'voided';
    // Of two settlements of one payment (the cancel's and the reconciler's), the first write wins; both did the same.
    await movePayment(db, paymentId, payment.status, outcome, { reference: found?.reference });
  }

  /**
   * Sends one partial cancellation's share (a `refunds` row, written with the cancellation) once the
   * payment is captured; the row's id is the provider's idempotency key, so a send repeated after a
   * crash, or by two nodes, refunds it once. An authorization voided whole took nothing: no share
   * is owed then. Throws if the provider fails (the row stays pending for the reconciler).
   */
  async function sendShare(refundId: string): Promise<void> {
    const { rows: [share] } = await db.query<{ status: string; amount: number; reference: string | null; paymentStatus: PaymentStatus }>(
      'select r.status, r.amount, p.reference, p.status as "paymentStatus" from refunds r join payments p on p.id = r.payment_id where r.id = $1',
      [refundId],
    );
    if (!share || share.status !== 'pending') return;
    if (share.paymentStatus === 'voided') {
      await moveShare(refundId, 'voided');
      return;
    }
    // Not captured yet (or a capture racing a cancellation is still being settled): the reconciler sends it after.
    if (!capturedStatuses.includes(share.paymentStatus)) return;
    await provider.refund(share.reference!, share.amount, refundId);
    await moveShare(refundId, 'refunded');
  }

  const moveShare = (refundId: string, to: 'refunded' | 'voided') =>
    db.query(`update refunds set status = $2, updated_at = now() where id = $1 and status = 'pending'`, [refundId, to]);

  /** Claims due shares as `claimDue` claims payments; a share waits, unclaimed, while its payment is not captured. */
  async function claimDueShares(): Promise<Claimed[]> {
    const { rows } = await db.query<Claimed>(
      `with due as (
         select r.id from refunds r join payments p on p.id = r.payment_id
          where r.status = 'pending' and r.parked_at is null and r.next_attempt_at <= now() and p.status = any($1::text[])
          order by r.created_at, r.id limit $2 for update of r skip locked)
       update refunds r set attempts = r.attempts + 1, next_attempt_at = ${claimBackoff('r', 3)}
         from due where r.id = due.id
       returning r.id, r.attempts`,
      [[...capturedStatuses, 'voided'], limits.paymentReconcileBatchSizeMax, settings.reconcileIntervalMs, limits.paymentBackoffMsMax],
    );
    return rows.sort((a, b) => a.id.localeCompare(b.id));
  }

  /**
   * Claims due payments for this node by pushing their next attempt out as if this one failed (a
   * node that dies mid-attempt leaves them to the next pass after that backoff; a success makes them
   * due again at once). SKIP LOCKED lets nodes share the work; two attempts at one payment would be
   * harmless anyway. `authorizing` and `authorized` ones are due only once stale: a live checkout is
   * still on them until then.
   */
  async function claimDue(): Promise<ClaimedPayment[]> {
    const { rows } = await db.query<ClaimedPayment & { createdAt: Date }>(
      `with due as (
         select id from payments
          where status = any($1::text[]) and parked_at is null and next_attempt_at <= now()
            and (status in ('voiding', 'refunding') or updated_at <= now() - make_interval(secs => $2::double precision / 1000))
          order by created_at, id limit $3 for update skip locked)
       update payments p set attempts = p.attempts + 1, next_attempt_at = ${claimBackoff('p', 4)}
         from due where p.id = due.id
       returning p.id, p.status, p.reference, p.order_id as "orderId", p.attempts, p.created_at as "createdAt"`,
      [unsettled, settings.staleAfterMs, limits.paymentReconcileBatchSizeMax, settings.reconcileIntervalMs, limits.paymentBackoffMsMax],
    );
    return rows.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id));
  }

  /** Finishes one payment a checkout, a cancellation or a crash left half-way. */
  async function settle(payment: ClaimedPayment): Promise<void> {
    if (payment.status === 'authorized' && payment.orderId) return capture(payment.id, payment.reference!);
    if (payment.status === 'authorizing' || payment.status === 'authorized') {
      // The checkout died before its order committed: whatever the provider authorized goes back.
      await oweAuthorizationBack(db, payment.id, payment.status, 'abandoned');
    }
    await giveBack(payment.id);
  }

  /**
   * Records an attempt's outcome on a payment or a share (`table`); the attempt count guards against
   * a stale attempt whose claim ran out.
   */
  async function record(table: 'payments' | 'refunds', payment: Claimed, error: unknown): Promise<void> {
    if (error === undefined) {
      await db.query(`update ${table} set attempts = 0, last_error = null, next_attempt_at = now() where id = $1 and attempts = $2`, [payment.id, payment.attempts]);
      return;
    }
    const park = payment.attempts >= limits.paymentAttemptsMax;
    const message = (error instanceof Error ? error.message : String(error)).slice(0, 500);
    const context = { err: error, [table === 'payments' ? 'paymentId' : 'refundId']: payment.id, attempts: payment.attempts };
    const what = table === 'payments' ? 'payment' : 'partial refund';
    if (park) log.error(context, `${what} parked after repeated failures; an admin can retry it (its payment's retry)`);
    else log.warn(context, `${what} not settled; retrying with backoff`);
    await db.query(
      `update ${table} set last_error = $3, parked_at = case when $4 then now() end,
              next_attempt_at = now() + make_interval(secs => $5::double precision / 1000)
        where id = $1 and attempts = $2`,
      [payment.id, payment.attempts, message, park, backoffMs(payment.attempts, { backoffBaseMs: settings.reconcileIntervalMs, backoffMaxMs: limits.paymentBackoffMsMax })],
    );
  }

  async function findPayment(paymentId: string): Promise<PaymentView | undefined> {
    return (await db.query<PaymentView>(`select ${paymentColumns} from payments where id = $1`, [paymentId])).rows[0];
  }

  return {
    capture,
    giveBack,
    sendShare,

    async reconcile() {
      const due = await claimDue();
      for (const payment of due) {
        await settle(payment).then(() => record('payments', payment, undefined), (error: unknown) => record('payments', payment, error ?? 'failed'));
      }
      // Shares after payments: a capture settled just now makes its shares due in this pass.
      const shares = await claimDueShares();
      for (const share of shares) {
        await sendShare(share.id).then(() => record('refunds', share, undefined), (error: unknown) => record('refunds', share, error ?? 'failed'));
      }
      return due.length + shares.length;
    },

    async list(filter, limit) {
      const { rows } = await db.query<PaymentView>(
        `select ${paymentColumns} from payments
          where $1::text is null or status = $1
             or ($1 = 'parked' and (parked_at is not null or exists (select 1 from refunds r where r.payment_id = payments.id and r.parked_at is not null)))
          order by created_at desc, id limit $2`,
        [filter ?? null, limit],
      );
      return rows;
    },

    async retry(paymentId) {
      const unpark = (table: 'payments' | 'refunds', column: 'id' | 'payment_id') => db.query(
        `update ${table} set parked_at = null, attempts = 0, next_attempt_at = now() where ${column} = $1 and parked_at is not null`,
        [paymentId],
      );
      // The payment and the shares of it the reconciler gave up on.
      const updated = (await unpark('payments', 'id')).rowCount + (await unpark('refunds', 'payment_id')).rowCount;
      const payment = await findPayment(paymentId);
      if (!payment) throw notFound('payment');
      if (updated === 0) throw new AppError('payment_not_parked', 'Only a parked payment can be retried; this one is not parked.', { status: payment.status });
      return payment;
    },
  };
}
