import type { FastifyBaseLogger } from 'fastify';

/**
 * What one feature tells the others after its transaction committed. Payloads are plain ids, so
 * the bus knows no feature. Side effects that must commit with a change do not go here: they run in
 * that change's transaction (the inventory's return policy, the outbox).
 */
export interface DomainEvents {
  /** A hold was paid for: its buyer's shopping place in the waiting room is free for the next. */
  'order.confirmed': { eventId: string; userId: string; orderId: string };
  /** An event's settings or status changed: caches of it are stale. */
  'event.changed': { eventId: string };
  /** Cancelled orders owe these payments back. */
  'refunds.owed': { paymentIds: string[] };
}

export type DomainEventName = keyof DomainEvents;
type Handler<K extends DomainEventName> = (payload: DomainEvents[K]) => unknown;

export interface DomainEventBus {
  subscribe<K extends DomainEventName>(name: K, handler: Handler<K>): void;
  /**
   * Runs every subscriber, one after another, and resolves when all are done (so a reply sent after
   * it reflects them). A subscriber's failure is logged, not thrown: the change it follows committed.
   */
  publish<K extends DomainEventName>(name: K, payload: DomainEvents[K]): Promise<void>;
}

export function createDomainEventBus(log: FastifyBaseLogger): DomainEventBus {
  const handlers = new Map<DomainEventName, Handler<never>[]>();
  return {
    subscribe(name, handler) {
      handlers.set(name, [...(handlers.get(name) ?? []), handler as Handler<never>]);
    },
    async publish(name, payload) {
      for (const handler of handlers.get(name) ?? []) {
        try {
          await (handler as Handler<typeof name>)(payload);
        } catch (error) {
          log.error({ err: error, event: name }, 'a subscriber failed after the change committed');
        }
      }
    },
  };
}
