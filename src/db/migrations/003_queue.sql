-- Virtual waiting room (issue 3). Joins and status checks write nothing here: only per-event rows
-- (settings, counters, watermark), one row per admission tick, and - for the single-node PostgreSQL
-- backend only - a compact registry of places and of active shoppers. See docs/waiting-room.md.

-- When an event goes on sale and how its waiting room admits people.
create table event_onsale (
  event_id                uuid primary key references events (id) on delete cascade,
  starts_at               timestamptz not null,
  queue_enabled           boolean not null default false,
  pre_queue_opens_at      timestamptz,
  admit_per_minute        integer check (admit_per_minute between 1 and 1000000),
  max_active_shoppers     integer check (max_active_shoppers >= 1),
  stock_aware             boolean not null default true,
  stock_basis             text not null default 'max' check (stock_basis in ('max', 'average')),
  stock_headroom_percent  integer not null default 10 check (stock_headroom_percent between 0 and 1000),
  shopping_window_seconds integer not null default 600 check (shopping_window_seconds between 1 and 86400),
  check (pre_queue_opens_at is null or pre_queue_opens_at < starts_at),
  check (not queue_enabled or admit_per_minute is not null)
);

-- One row per event: the durable half of the queue. seq_reserved is the end of the highest block of
-- sequence numbers ever handed to Redis (hi/lo), so after Redis loses its data new places start
-- beyond every place given out. admitted_through is the watermark in queue order, advanced by a
-- compare-and-set so two advancers can never both move it. The lease columns serve the
-- PostgreSQL backend.
create table queue_state (
  event_id         uuid primary key references events (id) on delete cascade,
  seq_reserved     bigint not null default 0,
  pre_queue_size   bigint,
  admitted_through bigint not null default 0,
  lease_node       text,
  lease_until      timestamptz
);

-- One row per tick that admitted someone: places up to `through` were admitted at `admitted_at`.
-- Redis rebuilds its active-shopper set from these after losing its data.
create table queue_admissions (
  event_id    uuid not null references events (id) on delete cascade,
  through     bigint not null,
  admitted_at timestamptz not null,
  primary key (event_id, through)
);

-- PostgreSQL backend only (single node, embedded): who holds which place.
create table queue_members (
  event_id uuid not null references events (id) on delete cascade,
  user_id  uuid not null,
  seq      bigint not null,
  primary key (event_id, user_id),
  unique (event_id, seq)
);

-- PostgreSQL backend only: admitted shoppers whose window is open and who have not left.
create table queue_active (
  event_id    uuid not null references events (id) on delete cascade,
  queue_index bigint not null,
  seq         bigint not null,
  until       timestamptz not null,
  primary key (event_id, queue_index)
);
create index queue_active_seq on queue_active (event_id, seq);
