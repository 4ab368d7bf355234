import { randomUUID } from 'node:crypto';

export type DeclineReason = 'card_declined' | 'insufficient_funds' | 'incorrect_number';

export type Authorization = { ok: true; reference: string } | { ok: false; reason: DeclineReason };

/**
 * A card payment provider. Checkout authorizes first, commits the order, then captures; if the order
 * cannot be committed it voids the authorization, so money is never taken without an order.
 */
export interface PaymentProvider {
  readonly name: string;
  authorize(request: { amount: number; currency: string; cardNumber: string; idempotencyKey: string }): Promise<Authorization>;
  capture(reference: string): Promise<void>;
  void(reference: string): Promise<void>;
  refund(reference: string, amount: number): Promise<void>;
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
 * for insufficient funds. It remembers what it did, so tests can check every charge has an order.
 */
export class TestPaymentProvider implements PaymentProvider {
  readonly name = 'test';
  readonly payments = new Map<string, { amount: number; currency: string; state: PaymentState; refunded: number }>();
  private readonly byIdempotencyKey = new Map<string, Authorization>();

  async authorize({ amount, currency, cardNumber, idempotencyKey }: Parameters<PaymentProvider['authorize']>[0]): Promise<Authorization> {
    const earlier = this.byIdempotencyKey.get(idempotencyKey);
    if (earlier) return earlier;
    const reason = passesLuhn(cardNumber) ? declinedCards[cardNumber] : 'incorrect_number';
    const result: Authorization = reason ? { ok: false, reason } : { ok: true, reference: `test_${randomUUID()}` };
    if (result.ok) this.payments.set(result.reference, { amount, currency, state: 'authorized', refunded: 0 });
    this.byIdempotencyKey.set(idempotencyKey, result);
    return result;
  }

  async capture(reference: string): Promise<void> {
    this.transition(reference, 'authorized', 'captured');
  }

  async void(reference: string): Promise<void> {
    this.transition(reference, 'authorized', 'voided');
  }

  async refund(reference: string, amount: number): Promise<void> {
    const payment = this.transition(reference, 'captured', 'refunded');
    payment.refunded = amount;
  }

  private transition(reference: string, from: PaymentState, to: PaymentState) {
    const payment = this.payments.get(reference);
    if (!payment) throw new Error(`unknown payment ${reference}`);
    if (payment.state === to) return payment;
    if (payment.state !== from) throw new Error(`payment ${reference} is ${payment.state}, cannot become ${to}`);
    payment.state = to;
    return payment;
  }
}
