import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/database.js';
import { openTestPostgres } from '../../../test/support/postgres.js';
import { providerRecords } from '../../../test/support/payments.js';
import { TestPaymentProvider, passesLuhn } from './payments.js';

describe('the test payment provider', () => {
  let database: { db: Database; drop(): Promise<void> };
  let provider: TestPaymentProvider;
  beforeAll(async () => {
    database = await openTestPostgres(4);
    provider = new TestPaymentProvider(database.db);
  });
  afterAll(() => database?.drop());

  const authorize = (cardNumber: string, idempotencyKey: string) => provider.authorize({ amount: 100, currency: 'EUR', cardNumber, idempotencyKey });

  it('checks card numbers with Luhn', () => {
    expect(passesLuhn('4242424242424242')).toBe(true);
    expect(passesLuhn('4242424242424241')).toBe(false);
  });

  it('behaves like a card sandbox', async () => {
    expect(await authorize('4242424242424242', 'a')).toMatchObject({ ok: true });
    expect(await authorize('4000000000000002', 'b')).toEqual({ ok: false, reason: 'card_declined' });
    expect(await authorize('4000000000009995', 'c')).toEqual({ ok: false, reason: 'insufficient_funds' });
    expect(await authorize('1234567812345678', 'd')).toEqual({ ok: false, reason: 'incorrect_number' });
  });

  it('authorizes once per idempotency key, even for concurrent repeats, and refuses impossible transitions', async () => {
    const attempts = await Promise.all(Array.from({ length: 10 }, () => authorize('4242424242424242', 'k')));
    const first = attempts[0]!;
    expect(attempts).toEqual(attempts.map(() => first));
    expect([...(await providerRecords(database.db)).values()].filter((r) => r.idempotencyKey === 'k')).toHaveLength(1);
    if (!first.ok) throw new Error('expected success');
    await expect(provider.refund(first.reference, 100, 'refund-k')).rejects.toThrow(/cannot become refunded/);
    await provider.capture(first.reference);
    await provider.capture(first.reference);
    await expect(provider.void(first.reference)).rejects.toThrow(/cannot become voided/);
    await expect(provider.capture('test_unknown')).rejects.toThrow(/unknown payment/);
  });

  it('lets exactly one of a capture and a void racing on one authorization win', async () => {
    const outcomes = await Promise.all(Array.from({ length: 20 }, async (_, i) => {
      const authorization = await authorize('4242424242424242', `race-${i}`);
      if (!authorization.ok) throw new Error('expected success');
      const [capture, voiding] = await Promise.allSettled([provider.capture(authorization.reference), provider.void(authorization.reference)]);
      return [capture.status, voiding.status].join('/');
    }));
    expect(outcomes.filter((o) => o !== 'fulfilled/rejected' && o !== 'rejected/fulfilled')).toEqual([]);
  });

  it('keeps its books across a restart, and finds an authorization by its key or its reference', async () => {
    const authorization = await authorize('4242424242424242', 'before-restart');
    if (!authorization.ok) throw new Error('expected success');
    const restarted = new TestPaymentProvider(database.db);
    expect(await restarted.lookup({ idempotencyKey: 'before-restart' })).toEqual({ reference: authorization.reference, state: 'authorized' });
    await restarted.capture(authorization.reference);
    await restarted.refund(authorization.reference, 100, 'refund-before-restart');
    expect(await restarted.lookup({ reference: authorization.reference })).toEqual({ reference: authorization.reference, state: 'refunded' });
    expect((await providerRecords(database.db)).get(authorization.reference)).toMatchObject({ state: 'refunded', refunded: 100 });
    expect(await restarted.lookup({ idempotencyKey: 'never-sent' })).toBeUndefined();
    await authorize('4000000000000002', 'declined');
    expect(await restarted.lookup({ idempotencyKey: 'declined' })).toBeUndefined();
  });

  it('refunds in parts, once per key even for concurrent repeats, never past what was captured', async () => {
    const authorization = await authorize('4242424242424242', 'parts');
    if (!authorization.ok) throw new Error('expected success');
    await provider.capture(authorization.reference);
    const repeats = await Promise.allSettled(Array.from({ length: 10 }, () => provider.refund(authorization.reference, 30, 'part-1')));
    expect(repeats.map((r) => r.status)).toEqual(repeats.map(() => 'fulfilled'));
    expect(await provider.lookup({ reference: authorization.reference })).toMatchObject({ state: 'captured' });
    await expect(provider.refund(authorization.reference, 71, 'part-2')).rejects.toThrow(/refunded_within_amount/);
    await expect(provider.refund(authorization.reference, 40, 'part-1')).rejects.toThrow(/another refund/);
    await provider.refund(authorization.reference, 70, 'part-2');
    expect((await providerRecords(database.db)).get(authorization.reference)).toMatchObject({ state: 'refunded', refunded: 100 });
    await provider.refund(authorization.reference, 70, 'part-2');
    await expect(provider.refund(authorization.reference, 1, 'part-3')).rejects.toThrow();
    expect((await providerRecords(database.db)).get(authorization.reference)).toMatchObject({ state: 'refunded', refunded: 100 });
  });
});
