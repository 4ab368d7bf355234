import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PoolUsage } from '../../db/database.js';

/**
 * What the state gauges read at each scrape, given by the composition root (ops imports no feature).
 * A source that fails leaves its gauge at its last value; the scrape still answers.
 */
export interface StateSources {
  queues(): Promise<{ eventId: string; length: number; activeShoppers: number; admittedPerMinute: number }[]>;
  outbox(): Promise<{ undispatched: number; parked: number }>;
  liveSockets(): number;
  pool(): PoolUsage | undefined;
}

/** The service's Prometheus metrics, on a registry of its own (so tests can build many apps). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'onsale_http_request_duration_seconds',
      help: 'HTTP request latency by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    holdsPlaced: new Counter({ name: 'onsale_holds_placed_total', help: 'Holds placed', registers: [registry] }),
    holdsRefused: new Counter({ name: 'onsale_holds_refused_total', help: 'Hold requests refused, by error code', labelNames: ['code'] as const, registers: [registry] }),
    holdBatchSize: new Histogram({
      name: 'onsale_hold_batch_size',
      help: 'Hold requests written per section transaction',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers: [registry],
    }),
    holdsEnded: new Counter({ name: 'onsale_holds_ended_total', help: 'Holds ended, by how', labelNames: ['status'] as const, registers: [registry] }),
    ordersConfirmed: new Counter({ name: 'onsale_orders_confirmed_total', help: 'Orders confirmed', registers: [registry] }),
    ordersCancelled: new Counter({ name: 'onsale_orders_cancelled_total', help: 'Orders cancelled and refunded', registers: [registry] }),
    deliveries: new Counter({
      name: 'onsale_notification_deliveries_total',
      help: 'Notification delivery attempts, by channel and outcome (delivered, failed, parked)',
      labelNames: ['channel', 'outcome'] as const,
      registers: [registry],
    }),
    paymentsDeclined: new Counter({ name: 'onsale_payments_declined_total', help: 'Payments declined, by reason', labelNames: ['reason'] as const, registers: [registry] }),
  };
}

/** Gauges of the node's and the sale's state, read from `sources` when Prometheus scrapes. */
export function registerStateGauges(registry: Registry, sources: StateSources): void {
  const gauge = (name: string, help: string, labelNames: string[], collect: (g: Gauge) => Promise<void> | void) =>
    new Gauge({ name, help, labelNames, registers: [registry], async collect() {
      await Promise.resolve(collect(this)).catch(() => undefined);
    } });
  const perLine = (field: 'length' | 'activeShoppers' | 'admittedPerMinute') => async (g: Gauge) => {
    const lines = await sources.queues();
    g.reset();
    for (const line of lines) g.set({ event: line.eventId }, line[field]);
  };
  gauge('onsale_queue_length', 'People waiting in line, per event with a live waiting room', ['event'], perLine('length'));
  gauge('onsale_queue_active_shoppers', 'Admitted people holding a shopper place, per event', ['event'], perLine('activeShoppers'));
  gauge('onsale_queue_admitted_per_minute', 'People admitted in the last minute, per event', ['event'], perLine('admittedPerMinute'));
  gauge('onsale_outbox_undispatched', 'Outbox rows not yet fanned out into deliveries', [], async (g) => g.set((await sources.outbox()).undispatched));
  gauge('onsale_deliveries_parked', 'Notification deliveries parked for an admin after their last attempt', [], async (g) => g.set((await sources.outbox()).parked));
  gauge('onsale_live_sockets', "WebSocket connections open on this node", [], (g) => g.set(sources.liveSockets()));
  gauge('onsale_db_pool_connections', "This node's PostgreSQL pool: max, open, idle, and callers waiting", ['state'], (g) => {
    const usage = sources.pool();
    if (usage) for (const [state, value] of Object.entries(usage)) g.set({ state }, value);
  });
}

export type Metrics = ReturnType<typeof createMetrics>;
