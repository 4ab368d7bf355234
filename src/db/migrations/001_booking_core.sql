-- Booking core: accounts, venues, events with sections and seats, timed holds, orders, payments, tickets.
-- Inventory rules enforced here, not in application code:
--   * a GA section's `available` can never go below 0 or above its capacity (CHECK);
--   * a seat has at most one hold (a single hold_id column) and at most one valid ticket (partial unique index);
--   * a hold has at most one live payment and at most one order (unique indexes).

create table users (
  id            uuid primary key default gen_random_uuid(),
  email         text not null,
  name          text not null,
  password_hash text not null,
  role          text not null default 'buyer' check (role in ('buyer', 'admin')),
  created_at    timestamptz not null default now()
);
create unique index users_email_key on users (lower(email));

-- Refresh tokens rotate: each use marks the token used and issues the next one in the same family.
-- Presenting a used token again means it was stolen, so the whole family is revoked.
create table refresh_tokens (
  id          uuid primary key default gen_random_uuid(),
  user_id     uuid not null references users (id) on delete cascade,
  family_id   uuid not null,
  token_hash  text not null unique,
  expires_at  timestamptz not null,
  used_at     timestamptz,
  revoked_at  timestamptz,
  created_at  timestamptz not null default now()
);
create index refresh_tokens_family on refresh_tokens (family_id);

create table venues (
  id         uuid primary key default gen_random_uuid(),
  name       text not null,
  city       text not null,
  address    text,
  latitude   double precision check (latitude between -90 and 90),
  longitude  double precision check (longitude between -180 and 180),
  created_at timestamptz not null default now()
);

create table events (
  id                    uuid primary key default gen_random_uuid(),
  venue_id              uuid not null references venues (id),
  title                 text not null,
  description           text,
  category              text,
  starts_at             timestamptz not null,
  ends_at               timestamptz check (ends_at > starts_at),
  currency              char(3) not null,
  status                text not null default 'draft' check (status in ('draft', 'published', 'cancelled')),
  max_tickets_per_order integer not null default 8 check (max_tickets_per_order between 1 and 100),
  max_tickets_per_user  integer check (max_tickets_per_user >= 1),
  hold_ttl_seconds      integer not null default 600 check (hold_ttl_seconds >= 1),
  created_at            timestamptz not null default now(),
  updated_at            timestamptz not null default now()
);
create index events_listing on events (starts_at, id) where status = 'published';

create table sections (
  id        uuid primary key default gen_random_uuid(),
  event_id  uuid not null references events (id) on delete cascade,
  name      text not null,
  kind      text not null check (kind in ('ga', 'seated')),
  price     integer not null check (price >= 0),
  capacity  integer not null check (capacity >= 0),
  -- GA only: units neither held nor sold. Seated sections count their seat rows instead.
  available integer check (available between 0 and capacity),
  position  integer not null,
  check ((kind = 'ga') = (available is not null)),
  unique (event_id, position)
);

create table seats (
  id         uuid primary key default gen_random_uuid(),
  section_id uuid not null references sections (id) on delete cascade,
  event_id   uuid not null references events (id) on delete cascade,
  row_label  text not null,
  number     integer not null,
  label      text not null,
  x          real not null,
  y          real not null,
  status     text not null default 'available' check (status in ('available', 'held', 'sold')),
  hold_id    uuid,
  -- Copied from the hold so that reads can tell an expired hold without a join.
  held_until timestamptz,
  check ((status = 'held') = (hold_id is not null and held_until is not null)),
  unique (section_id, row_label, number)
);
create index seats_event on seats (event_id);
create index seats_hold on seats (hold_id) where hold_id is not null;

create table holds (
  id                  uuid primary key,
  event_id            uuid not null references events (id),
  user_id             uuid not null references users (id),
  status              text not null check (status in ('active', 'released', 'expired', 'converted')),
  expires_at          timestamptz not null,
  total               integer not null check (total >= 0),
  currency            char(3) not null,
  idempotency_key     text,
  request_fingerprint text,
  created_at          timestamptz not null default now(),
  ended_at            timestamptz
);
create unique index holds_idempotency on holds (user_id, idempotency_key) where idempotency_key is not null;
create index holds_active_expiry on holds (expires_at) where status = 'active';
create index holds_active_user on holds (user_id, event_id) where status = 'active';

-- A GA hold has one row with its quantity; a seated hold has one row per seat.
create table hold_items (
  hold_id    uuid not null references holds (id) on delete cascade,
  section_id uuid not null references sections (id),
  seat_id    uuid references seats (id),
  quantity   integer not null check (quantity >= 1),
  price      integer not null check (price >= 0),
  check (seat_id is null or quantity = 1)
);
create index hold_items_hold on hold_items (hold_id);

create table orders (
  id            uuid primary key default gen_random_uuid(),
  hold_id       uuid not null unique references holds (id),
  user_id       uuid not null references users (id),
  event_id      uuid not null references events (id),
  status        text not null check (status in ('confirmed', 'cancelled')),
  total         integer not null check (total >= 0),
  currency      char(3) not null,
  refund_amount integer,
  created_at    timestamptz not null default now(),
  cancelled_at  timestamptz
);
create index orders_user on orders (user_id, created_at desc);

-- One row per attempt to pay for a hold. The unique index lets only one attempt be live at a time,
-- so two concurrent checkouts of one hold can never both charge the card.
create table payments (
  id           uuid primary key default gen_random_uuid(),
  hold_id      uuid not null references holds (id),
  order_id     uuid references orders (id),
  amount       integer not null,
  currency     char(3) not null,
  provider     text not null,
  reference    text,
  status       text not null check (status in ('authorizing', 'authorized', 'captured', 'declined', 'voided', 'refunding', 'refunded')),
  failure_code text,
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now()
);
create unique index payments_one_live_per_hold on payments (hold_id)
  where status in ('authorizing', 'authorized', 'captured', 'refunding', 'refunded');
create index payments_unsettled on payments (updated_at) where status in ('authorizing', 'authorized', 'refunding');

create table tickets (
  id         uuid primary key default gen_random_uuid(),
  order_id   uuid not null references orders (id),
  event_id   uuid not null references events (id),
  section_id uuid not null references sections (id),
  seat_id    uuid references seats (id),
  code       text not null unique,
  status     text not null default 'valid' check (status in ('valid', 'void')),
  created_at timestamptz not null default now()
);
create unique index tickets_one_valid_per_seat on tickets (seat_id) where seat_id is not null and status = 'valid';
create index tickets_order on tickets (order_id);
create index tickets_valid_section on tickets (section_id) where status = 'valid';

-- One row per (event, buyer) used as a mutex: a hold for an event with a per-buyer cap locks it, so
-- concurrent holds by the same buyer are counted one after another.
create table event_buyers (
  event_id uuid not null references events (id) on delete cascade,
  user_id  uuid not null references users (id) on delete cascade,
  primary key (event_id, user_id)
);
