import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../../db/database.js';
import { AppError, notFound } from '../../errors.js';
import type { Metrics } from '../ops/metrics.js';
import { emailOnlyTypes, enqueue, type Notification, type NotificationType } from './outbox.js';
import { renderEmail, type EmailAttachment, type EmailEventPlace, type EmailTransport } from './email.js';
import type { LiveHub } from './live.js';
import { newWebhookSecret, postWebhook } from './webhooks.js';
import { backoffMs } from '../../backoff.js';
import { checkTarget, WebhookAddressError } from './webhook-targets.js';

export type Channel = 'email' | 'webhook' | 'live';
export type DeliveryStatus = 'pending' | 'delivered' | 'parked';

export interface DeliverySettings {
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  webhookTimeoutMs: number;
  /** WEBHOOK_ALLOW_PRIVATE: webhooks may target loopback and private addresses. */
  webhookAllowPrivate: boolean;
}

export interface DeliveryView {
  id: string;
  outboxId: string;
  type: string;
  channel: Channel;
  target: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  deliveredAt: Date | null;
  createdAt: Date;
}

export interface WebhookEndpoint {
  id: string;
  url: string;
  eventId: string | null;
  active: boolean;
  createdAt: Date;
}

export interface NotificationService {
  /** One dispatcher pass: fans new outbox rows out into deliveries and attempts those due. */
  dispatch(): Promise<{ fannedOut: number; attempted: number }>;
  /** Enqueues the "about to expire / lapse" reminder of holds and offers, once each. */
  sendReminders(): Promise<number>;
  listDeliveries(status: DeliveryStatus | undefined, limit: number): Promise<DeliveryView[]>;
  /** Puts a parked delivery back in line with a fresh set of attempts. */
  retry(deliveryId: string): Promise<DeliveryView>;
  addWebhook(input: { url: string; eventId?: string | undefined; secret?: string | undefined }): Promise<WebhookEndpoint & { secret: string }>;
  /** Every endpoint, or one event's. */
  listWebhooks(eventId?: string): Promise<WebhookEndpoint[]>;
  inbox(userId: string): Promise<{ id: string; to: string; subject: string; body: string; createdAt: Date }[]>;
  close(): void;
}

async function refuseNonPublicTarget(url: string, lookupTimeoutMs: number): Promise<void> {
  try {
    await checkTarget(url, lookupTimeoutMs);
  } catch (error) {
    if (!(error instanceof WebhookAddressError)) throw error;
    throw new AppError('webhook_address_not_allowed', `Webhooks go to public addresses only; refused: ${error.target} (loopback, private, link-local or reserved).`, {
      field: 'url',
      host: error.host,
      address: error.address,
    });
  }
}

interface ClaimedDelivery {
  id: string;
  channel: Channel;
  target: string;
  attempts: number;
  outboxId: string;
  type: NotificationType;
  userId: string | null;
  eventId: string | null;
  eventTitle: string | null;
  place: EmailEventPlace | null;
  payload: Record<string, unknown>;
  createdAt: Date;
  url: string | null;
  secret: string | null;
}

/** The event's start comes out of json_build_object as text. */
const placeOf = ({ place }: ClaimedDelivery): EmailEventPlace | null => (place ? { ...place, startsAt: new Date(place.startsAt) } : null);

const fanOutBatch = 200;
const deliveryBatch = 50;
const maxRoundsPerPass = 20;

const deliveryColumns = `d.id, d.outbox_id as "outboxId", o.type, d.channel, d.target, d.status, d.attempts, d.next_attempt_at as "nextAttemptAt",
  d.last_error as "lastError", d.delivered_at as "deliveredAt", d.created_at as "createdAt"`;

export function createNotificationService(deps: {
  db: Database;
  log: FastifyBaseLogger;
  metrics: Metrics;
  email: EmailTransport;
  live: LiveHub;
  settings: DeliverySettings;
  reminderLeadSeconds: number;
  /** The web app's address for links in emails (config.ts `publicBaseUrl`). */
  baseUrl: string;
  /** Files an email of this notification carries (the confirmation's PDF tickets and calendar entry). */
  attachments?: (type: NotificationType, payload: Record<string, unknown>) => Promise<EmailAttachment[]>;
}): NotificationService {
  const { db, log, metrics, email, live, settings } = deps;

  /** Turns undispatched outbox rows into one delivery per channel target, in one transaction per batch. */
  async function fanOut(): Promise<number> {
    return db.transaction(async (tx) => {
      const { rows } = await tx.query<{ id: string }>(
        'select id from outbox where dispatched_at is null order by created_at limit $1 for update skip locked',
        [fanOutBatch],
      );
      const ids = rows.map((r) => r.id);
      if (ids.length === 0) return 0;
      await tx.query(
        `insert into deliveries (outbox_id, channel, target, endpoint_id)
         select o.id, c.channel, c.target, c.endpoint_id
           from outbox o
           left join users u on u.id = o.user_id
           cross join lateral (
             select 'email' as channel, coalesce(u.email, o.payload->>'to') as target, null::uuid as endpoint_id
              where u.id is not null or o.type = 'organization.invited'
             union all select 'live', u.id::text, null where u.id is not null and o.type <> all($2::text[])
             union all select 'webhook', w.id::text, w.id from webhook_endpoints w
                        where w.active and (w.event_id is null or w.event_id = o.event_id) and o.type <> all($2::text[])) c
          where o.id = any($1::uuid[])
         on conflict (outbox_id, channel, target) do nothing`,
        [ids, emailOnlyTypes],
      );
      await tx.query('update outbox set dispatched_at = now() where id = any($1::uuid[])', [ids]);
      return ids.length;
    });
  }

  /**
   * Claims due deliveries by pushing their next attempt out by a lease: a node that dies mid-send
   * leaves them to be retried when the lease ends (at least once). SKIP LOCKED lets nodes share.
   */
  async function claimDue(): Promise<ClaimedDelivery[]> {
    const leaseMs = settings.webhookTimeoutMs * 2 + 30_000;
    const { rows } = await db.query<ClaimedDelivery>(
      `with claimed as (
         update deliveries d set attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => $2::double precision / 1000), updated_at = now()
          where d.id in (select id from deliveries where status = 'pending' and next_attempt_at <= now()
                          order by next_attempt_at limit $1 for update skip locked)
         returning d.*)
       select c.id, c.channel, c.target, c.attempts, o.id as "outboxId", o.type, o.user_id as "userId", o.event_id as "eventId",
              e.title as "eventTitle", o.payload, o.created_at as "createdAt", w.url, w.secret,
              case when e.id is not null then json_build_object('startsAt', e.starts_at, 'venueName', v.name, 'address', v.address, 'city', v.city, 'timeZone', v.time_zone) end as place
         from claimed c join outbox o on o.id = c.outbox_id
         left join events e on e.id = o.event_id
         left join venues v on v.id = e.venue_id
         left join webhook_endpoints w on w.id = c.endpoint_id`,
      [deliveryBatch, leaseMs],
    );
    return rows;
  }

  async function send(delivery: ClaimedDelivery): Promise<void> {
    const { outboxId, type, eventId, payload } = delivery;
    switch (delivery.channel) {
      case 'email':
        return email.send({
          outboxId, userId: delivery.userId, to: delivery.target, ...renderEmail({ type, eventTitle: delivery.eventTitle, place: placeOf(delivery), eventId, payload, baseUrl: deps.baseUrl }),
          carriesCredential: emailOnlyTypes.includes(type),
          attachments: (await deps.attachments?.(type, payload)) ?? [],
        });
      case 'webhook': {
        const body = JSON.stringify({ id: outboxId, type, createdAt: delivery.createdAt, eventId, userId: delivery.userId, data: payload });
        return postWebhook(delivery.url!, delivery.secret!, outboxId, body, { timeoutMs: settings.webhookTimeoutMs, allowPrivate: settings.webhookAllowPrivate });
      }
      case 'live':
        // Sessions not open now have nothing to receive; the live channel is best effort by nature.
        live.publish(delivery.target, { id: outboxId, type, eventId, payload, createdAt: delivery.createdAt.toISOString() });
    }
  }

  /** Records an attempt's outcome; the attempt count guards against a stale attempt whose lease ran out. */
  async function record(delivery: ClaimedDelivery, error: unknown): Promise<void> {
    if (error === undefined) {
      metrics.deliveries.inc({ channel: delivery.channel, outcome: 'delivered' });
      await db.query(`update deliveries set status = 'delivered', delivered_at = now(), last_error = null, updated_at = now() where id = $1 and attempts = $2`, [delivery.id, delivery.attempts]);
      return;
    }
    const message = (error instanceof Error ? error.message : String(error)).slice(0, 500);
    const park = delivery.attempts >= settings.maxAttempts;
    metrics.deliveries.inc({ channel: delivery.channel, outcome: park ? 'parked' : 'failed' });
    if (park) log.warn({ deliveryId: delivery.id, channel: delivery.channel, err: error }, 'delivery parked after repeated failures');
    await db.query(
      `update deliveries set status = $3, last_error = $4, updated_at = now(), next_attempt_at = now() + make_interval(secs => $5::double precision / 1000)
        where id = $1 and attempts = $2 and status = 'pending'`,
      [delivery.id, delivery.attempts, park ? 'parked' : 'pending', message, park ? 0 : backoffMs(delivery.attempts, settings)],
    );
  }

  async function findDelivery(deliveryId: string): Promise<DeliveryView | undefined> {
    const { rows } = await db.query<DeliveryView>(`select ${deliveryColumns} from deliveries d join outbox o on o.id = d.outbox_id where d.id = $1`, [deliveryId]);
    return rows[0];
  }

  return {
    async dispatch() {
      let fannedOut = 0;
      for (let batch = await fanOut(); batch > 0; batch = batch === fanOutBatch ? await fanOut() : 0) fannedOut += batch;
      let attempted = 0;
      // A burst (an event cancelled, a wave of offers) is drained in rounds of one batch, up to a bound per pass.
      for (let round = 0; round < maxRoundsPerPass; round++) {
        const due = await claimDue();
        await Promise.all(due.map((delivery) => send(delivery).then(() => record(delivery, undefined), (error: unknown) => record(delivery, error ?? 'failed'))));
        attempted += due.length;
        if (due.length < deliveryBatch) break;
      }
      return { fannedOut, attempted };
    },

    async sendReminders() {
      return db.transaction(async (tx) => {
        const { rows } = await tx.query<{ id: string; userId: string; eventId: string; expiresAt: Date; entryId: string | null }>(
          `update holds set reminded_at = now()
            where id in (select id from holds
                          where status = 'active' and reminded_at is null and expires_at > now()
                            and expires_at <= now() + least(make_interval(secs => $1), (expires_at - created_at) / 2)
                          order by expires_at limit 500 for update skip locked)
           returning id, user_id as "userId", event_id as "eventId", expires_at as "expiresAt", waitlist_entry_id as "entryId"`,
          [deps.reminderLeadSeconds],
        );
        await enqueue(tx, ...rows.map((h): Notification => ({
          type: h.entryId ? 'waitlist.offer_expiring' : 'hold.expiring',
          userId: h.userId,
          eventId: h.eventId,
          payload: { holdId: h.id, expiresAt: h.expiresAt.toISOString() },
        })));
        return rows.length;
      });
    },

    async listDeliveries(status, limit) {
      const { rows } = await db.query<DeliveryView>(
        `select ${deliveryColumns} from deliveries d join outbox o on o.id = d.outbox_id
          where ($1::text is null or d.status = $1) order by d.created_at desc, d.id limit $2`,
        [status ?? null, limit],
      );
      return rows;
    },

    async retry(deliveryId) {
      const updated = await db.query(
        `update deliveries set status = 'pending', attempts = 0, next_attempt_at = now(), updated_at = now() where id = $1 and status = 'parked'`,
        [deliveryId],
      );
      const delivery = await findDelivery(deliveryId);
      if (!delivery) throw notFound('delivery');
      if (updated.rowCount === 0) throw new AppError('delivery_not_parked', `Only a parked delivery can be retried; this one is ${delivery.status}.`, { status: delivery.status });
      return delivery;
    },

    async addWebhook({ url, eventId, secret }) {
      if (eventId && (await db.query('select 1 from events where id = $1', [eventId])).rowCount === 0) {
        throw new AppError('not_found', 'The event does not exist.', { field: 'eventId' });
      }
      if (!settings.webhookAllowPrivate) await refuseNonPublicTarget(url, settings.webhookTimeoutMs);
      const { rows } = await db.query<WebhookEndpoint & { secret: string }>(
        `insert into webhook_endpoints (url, event_id, secret) values ($1, $2, $3)
         returning id, url, event_id as "eventId", active, created_at as "createdAt", secret`,
        [url, eventId ?? null, secret ?? newWebhookSecret()],
      );
      return rows[0]!;
    },

    async listWebhooks(eventId) {
      const { rows } = await db.query<WebhookEndpoint>(
        'select id, url, event_id as "eventId", active, created_at as "createdAt" from webhook_endpoints where $1::uuid is null or event_id = $1 order by created_at',
        [eventId ?? null],
      );
      return rows;
    },

    async inbox(userId) {
      const { rows } = await db.query<{ id: string; to: string; subject: string; body: string; createdAt: Date }>(
        'select id, to_address as to, subject, body, created_at as "createdAt" from dev_inbox where user_id = $1 order by created_at desc limit 100',
        [userId],
      );
      return rows;
    },

    close: () => email.close(),
  };
}
