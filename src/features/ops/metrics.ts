import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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

export type Metrics = ReturnType<typeof createMetrics>;
