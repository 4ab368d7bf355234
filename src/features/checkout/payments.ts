import { randomUUID } from 'node:crypto';
import type { Queryable } from '../../db/database.js';
import { isUniqueViolation } from '../../db/pg-errors.js';

export type DeclineReason = 'card_declined' | 'insufficient_funds' | 'incorrect_number';

export type Authorization = { ok: true; reference: string } | { ok: false; reason: DeclineReason };

/**
 * A card payment provider. Checkout authorizes first, commits the order, then captures; if the order
 * cannot be committed it voids the authorization, so money is never taken without an order. The
 * payment's id is the idempotency key of its authorization, so a request repeated after a timeout or
 * a crash is answered with the first outcome, and `lookup` finds what happened under a key.
 */
export interface PaymentProvider {
  readonly name: string;
  authorize(request: { amount: number; currency: string; cardNumber: string; idempotencyKey: string }): Promise<Authorization>;
  capture(reference: string): Promise<void>;
  void(reference: string): Promise<void>;
  /**
   * Gives back `amount` of a captured payment, all of it or a part (parts add up, never past what
   * was captured). A repeat under the same idempotency key refunds nothing more.
   */
  refund(reference: string, amount: number, idempotencyKey: string): Promise<void>;
  /**
   * An authorization, by its reference or by the idempotency key it was made under, and what became
   * of it; undefined when there is none (the request never arrived, or was declined). Settling a
   * payment by it, rather than by Onsale's last belief, is what lets a crash or a race not matter.
   */
  lookup(which: { reference: string } | { idempotencyKey: string }): Promise<{ reference: string; state: PaymentState } | undefined>;
}

export type PaymentState = 'authorized' | 'captured' | 'voided' | 'refunded';

/** Luhn checksum, as card networks define it. */
export function passesLuhn(cardNumber: string): boolean {
  let sum = 0;
  for (let i = 0; i < cardNumber.length; i++) {
    let digit = Number(cardNumber[cardNumber.length - 1 - i]);
    if (i % 2 === 1) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  return cardNumber.length > 0 && sum % 10 === 0;
}

const declinedCards: Record<string, DeclineReason> = {
  '4000000000000002': 'card_declined',
  '4000000000009995': 'insufficient_funds',
};

/**
 * The built-in sandbox, behaving like a card provider's test mode: 4242 4242 4242 4242 (and any other
 * number passing the Luhn check) succeeds, 4000 0000 0000 0002 is declined, 4000 0000 0000 9995 fails
 * for insufficient funds. Like an external provider it keeps its own books (`sandbox_payments`), so
 * it remembers every charge across restarts, and tests can check each one against Onsale's records.
 * It must not be called inside one of Onsale's transactions (PGlite has one connection).
 */
export class TestPaymentProvider implements PaymentProvider {
  readonly name = 'test';

  constructor(private readonly books: Queryable) {}

  async authorize({ amount, currency, cardNumber, idempotencyKey }: Parameters<PaymentProvider['authorize']>[0]): Promise<Authorization> {
    const reason = passesLuhn(cardNumber) ? declinedCards[cardNumber] : 'incorrect_number';
    // The first request under a key decides; a repeat gets its answer, whatever card it carries.
    await this.books.query(
      `insert into sandbox_payments (reference, idempotency_key, amount, currency, state, decline_reason)
       values ($1, $2, $3, $4, $5, $6) on conflict (idempotency_key) do nothing`,
      [`test_${randomUUID()}`, idempotencyKey, amount, currency, reason ? 'declined' : 'authorized', reason ?? null],
    );
    const { rows } = await this.books.query<{ reference: string; reason: DeclineReason | null }>(
      'select reference, decline_reason as reason from sandbox_payments where idempotency_key = $1',
      [idempotencyKey],
    );
    const record = rows[0]!;
    return record.reason ? { ok: false, reason: record.reason } : { ok: true, reference: record.reference };
  }

  capture(reference: string): Promise<void> {
    return this.transition(reference, 'authorized', 'captured');
  }

  void(reference: string): Promise<void> {
    return this.transition(reference, 'authorized', 'voided');
  }

  /**
   * One statement: the payment's refunded total grows (a CHECK keeps it within the amount) and the
   * key is recorded (its primary key refuses a second), so of two refunds under one key one counts,
   * and the payment is `refunded` once all of it is given back.
   */
  async refund(reference: string, amount: number, idempotencyKey: string): Promise<void> {
    try {
      const { rowCount } = await this.books.query(
        `with paid as (
           update sandbox_payments set refunded = refunded + $3, state = case when refunded + $3 = amount then 'refunded' else state end, updated_at = now()
            where reference = $1 and state = 'captured' and not exists (select 1 from sandbox_refunds where idempotency_key = $2)
           returning reference)
         insert into sandbox_refunds (idempotency_key, reference, amount) select $2, reference, $3 from paid`,
        [reference, idempotencyKey, amount],
      );
      if (rowCount > 0) return;
    } catch (error) {
      // A concurrent repeat under the key recorded it first; this one took nothing.
      if (!isUniqueViolation(error, 'sandbox_refunds_pkey')) throw error;
    }
    const { rows: [prior] } = await this.books.query<{ reference: string; amount: number }>('select reference, amount from sandbox_refunds where idempotency_key = $1', [idempotencyKey]);
    if (prior && prior.reference === reference && prior.amount === amount) return;
    if (prior) throw new Error(`refund key ${idempotencyKey} was used for another refund`);
    const { rows } = await this.books.query<{ state: string }>('select state from sandbox_payments where reference = $1', [reference]);
    const state = rows[0]?.state;
    throw new Error(state === undefined || state === 'declined' ? `unknown payment ${reference}` : `payment ${reference} is ${state}, cannot become refunded`);
  }

  async lookup(which: Parameters<PaymentProvider['lookup']>[0]): Promise<{ reference: string; state: PaymentState } | undefined> {
    const byKey = 'idempotencyKey' in which;
    const { rows } = await this.books.query<{ reference: string; state: PaymentState | 'declined' }>(
      `select reference, state from sandbox_payments where ${byKey ? 'idempotency_key' : 'reference'} = $1`,
      [byKey ? which.idempotencyKey : which.reference],
    );
    const record = rows[0];
    return record && record.state !== 'declined' ? { reference: record.reference, state: record.state } : undefined;
  }

  /**
   * One conditional update: of a capture and a void racing on one authorization exactly one wins,
   * and the other fails as it would at a card provider. Repeating a step that happened is a no-op.
   */
  private async transition(reference: string, from: PaymentState, to: PaymentState): Promise<void> {
    const moved = await this.books.query(
      'update sandbox_payments set state = $3, updated_at = now() where reference = $1 and state = $2',
      [reference, from, to],
    );
    if (moved.rowCount > 0) return;
    const { rows } = await this.books.query<{ state: string }>('select state from sandbox_payments where reference = $1', [reference]);
    const state = rows[0]?.state;
    if (state === undefined || state === 'declined') throw new Error(`unknown payment ${reference}`);
    if (state !== to) throw new Error(`payment ${reference} is ${state}, cannot become ${to}`);
  }
}
