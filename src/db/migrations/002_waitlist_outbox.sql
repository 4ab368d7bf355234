-- Waitlist with exclusive offers, and notifications through a transactional outbox (issue 4).
-- Inventory rules added here:
--   * units held back for the waitlist (`reserved_for_waitlist`) plus units on sale never exceed capacity;
--   * a user has at most one live (waiting or offered) entry per event;
--   * an entry has at most one live offer, and an offer belongs to exactly one entry.

alter table events add column offer_ttl_seconds integer not null default 600 check (offer_ttl_seconds between 1 and 86400);
alter table events add column waitlist_policy text not null default 'strict_order' check (waitlist_policy in ('strict_order', 'fill'));

-- GA only: returned units that a waiting entry can use later (strict order: the head entry wants
-- more than are free yet). Neither on sale nor held: see docs/waitlist.md for the accounting.
alter table sections add column reserved_for_waitlist integer not null default 0 check (reserved_for_waitlist >= 0);
alter table sections add constraint sections_stock_within_capacity check (coalesce(available, 0) + reserved_for_waitlist <= capacity);

create table waitlist_entries (
  id          uuid primary key default gen_random_uuid(),
  -- Join order; an identity never hands out the same number twice.
  seq         bigint generated always as identity,
  event_id    uuid not null references events (id) on delete cascade,
  user_id     uuid not null references users (id) on delete cascade,
  -- null: any GA section of the event will do.
  section_id  uuid references sections (id) on delete cascade,
  quantity    integer not null check (quantity between 1 and 100),
  status      text not null default 'waiting'
              check (status in ('waiting', 'offered', 'converted', 'left', 'declined', 'lapsed', 'cancelled')),
  offer_hold_id uuid,
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now(),
  check (status <> 'offered' or offer_hold_id is not null)
);
create unique index waitlist_one_live_entry on waitlist_entries (event_id, user_id) where status in ('waiting', 'offered');
create index waitlist_waiting on waitlist_entries (event_id, seq) where status = 'waiting';
create index waitlist_user on waitlist_entries (user_id, event_id, created_at desc);

-- An offer is a normal hold marked with the entry it was made to.
alter table holds add column waitlist_entry_id uuid references waitlist_entries (id);
-- When the "about to expire / lapse" reminder went out (sent once).
alter table holds add column reminded_at timestamptz;
create unique index holds_one_offer_per_entry on holds (waitlist_entry_id) where waitlist_entry_id is not null and status = 'active';
create index holds_active_unreminded on holds (expires_at) where status = 'active' and reminded_at is null;

-- The transactional outbox: one row per thing a user (or an organizer's system) must hear about,
-- written in the transaction of the change itself. Its id is the stable event id consumers dedupe on.
create table outbox (
  id            uuid primary key default gen_random_uuid(),
  type          text not null,
  user_id       uuid references users (id) on delete set null,
  event_id      uuid references events (id) on delete set null,
  payload       jsonb not null,
  created_at    timestamptz not null default now(),
  -- Set when the row was fanned out into deliveries.
  dispatched_at timestamptz
);
create index outbox_undispatched on outbox (created_at) where dispatched_at is null;

create table webhook_endpoints (
  id         uuid primary key default gen_random_uuid(),
  url        text not null,
  -- null: every event.
  event_id   uuid references events (id) on delete cascade,
  secret     text not null,
  active     boolean not null default true,
  created_at timestamptz not null default now()
);

-- One row per outbox row and channel target, delivered at least once.
create table deliveries (
  id              uuid primary key default gen_random_uuid(),
  outbox_id       uuid not null references outbox (id) on delete cascade,
  channel         text not null check (channel in ('email', 'webhook', 'live')),
  -- email: the address; webhook: the endpoint id; live: the user id.
  target          text not null,
  endpoint_id     uuid references webhook_endpoints (id) on delete cascade,
  status          text not null default 'pending' check (status in ('pending', 'delivered', 'parked')),
  attempts        integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error      text,
  delivered_at    timestamptz,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  unique (outbox_id, channel, target)
);
create index deliveries_due on deliveries (next_attempt_at) where status = 'pending';
create index deliveries_by_status on deliveries (status, created_at desc);

-- The development email transport writes here (and to the log), so nothing needs an SMTP server.
create table dev_inbox (
  id         uuid primary key default gen_random_uuid(),
  outbox_id  uuid references outbox (id) on delete cascade,
  user_id    uuid references users (id) on delete cascade,
  to_address text not null,
  subject    text not null,
  body       text not null,
  created_at timestamptz not null default now()
);
create index dev_inbox_user on dev_inbox (user_id, created_at desc);
