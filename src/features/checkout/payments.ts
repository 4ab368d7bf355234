import { randomUUID } from 'node:crypto';
import type { Queryable } from '../../db/database.js';

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
  refund(reference: string, amount: number): Promise<void>;
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

  refund(reference: string, amount: number): Promise<void> {
    return this.transition(reference, 'captured', 'refunded', amount);
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
  private async transition(reference: string, from: PaymentState, to: PaymentState, refunded: number | null = null): Promise<void> {
    const moved = await this.books.query(
      `update sandbox_payments set state = $3, refunded = coalesce($4, refunded), updated_at = now() where reference = $1 and state = $2`,
      [reference, from, to, refunded],
    );
    if (moved.rowCount > 0) return;
    const { rows } = await this.books.query<{ state: string }>('select state from sandbox_payments where reference = $1', [reference]);
    const state = rows[0]?.state;
    if (state === undefined || state === 'declined') throw new Error(`unknown payment ${reference}`);
    if (state !== to) throw new Error(`payment ${reference} is ${state}, cannot become ${to}`);
  }
}
