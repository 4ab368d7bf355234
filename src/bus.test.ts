import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createDomainEventBus } from './bus.js';

describe('the domain-event bus', () => {
  it('runs every subscriber of an event in order, and only those', async () => {
    const bus = createDomainEventBus(pino({ level: 'silent' }));
    const seen: string[] = [];
    bus.subscribe('event.changed', ({ eventId }) => seen.push(`first ${eventId}`));
    bus.subscribe('event.changed', async ({ eventId }) => seen.push(`second ${eventId}`));
    bus.subscribe('refunds.owed', () => seen.push('refunds'));
    await bus.publish('event.changed', { eventId: 'e1' });
    expect(seen).toEqual(['first e1', 'second e1']);
  });

  it('a failing subscriber does not stop the others or fail the publisher', async () => {
    const bus = createDomainEventBus(pino({ level: 'silent' }));
    const seen: string[] = [];
    bus.subscribe('order.confirmed', () => {
      throw new Error('boom');
    });
    bus.subscribe('order.confirmed', ({ orderId }) => seen.push(orderId));
    await expect(bus.publish('order.confirmed', { eventId: 'e', userId: 'u', orderId: 'o1' })).resolves.toBeUndefined();
    expect(seen).toEqual(['o1']);
  });
});
