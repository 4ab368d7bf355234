import { describe, expect, it } from 'vitest';
import { TestPaymentProvider, passesLuhn } from './payments.js';

describe('the test payment provider', () => {
  it('checks card numbers with Luhn', () => {
    expect(passesLuhn('4242424242424242')).toBe(true);
    expect(passesLuhn('4242424242424241')).toBe(false);
  });

  it('behaves like a card sandbox', async () => {
    const provider = new TestPaymentProvider();
    const authorize = (cardNumber: string, key: string) => provider.authorize({ amount: 100, currency: 'EUR', cardNumber, idempotencyKey: key });
    expect(await authorize('4242424242424242', 'a')).toMatchObject({ ok: true });
    expect(await authorize('4000000000000002', 'b')).toEqual({ ok: false, reason: 'card_declined' });
    expect(await authorize('4000000000009995', 'c')).toEqual({ ok: false, reason: 'insufficient_funds' });
    expect(await authorize('1234567812345678', 'd')).toEqual({ ok: false, reason: 'incorrect_number' });
  });

  it('authorizes once per idempotency key and refuses impossible transitions', async () => {
    const provider = new TestPaymentProvider();
    const first = await provider.authorize({ amount: 100, currency: 'EUR', cardNumber: '4242424242424242', idempotencyKey: 'k' });
    const again = await provider.authorize({ amount: 100, currency: 'EUR', cardNumber: '4242424242424242', idempotencyKey: 'k' });
    expect(again).toEqual(first);
    expect(provider.payments.size).toBe(1);
    if (!first.ok) throw new Error('expected success');
    await expect(provider.refund(first.reference, 100)).rejects.toThrow(/cannot become refunded/);
    await provider.capture(first.reference);
    await expect(provider.void(first.reference)).rejects.toThrow(/cannot become voided/);
  });
});
