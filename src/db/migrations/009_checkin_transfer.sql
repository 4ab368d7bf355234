-- At the door and after the sale: signed QR payloads, check-in devices, check-ins admitted once,
-- offline scan uploads, attendee names and ticket transfer (docs/checkin.md).

-- Ed25519 keys that sign the tickets' QR payloads. The private key is read only by the server that
-- signs; GET /events/:id/checkin/key lists the public halves of every key, retired ones too, so
-- a QR signed before a rotation still verifies. At most one key is active (the partial unique
-- index), so two nodes creating the first key at once end up signing with the same one.
create table ticket_signing_keys (
  id          text primary key,
  public_key  text not null,
  private_key text not null,
  active      boolean not null default true,
  created_at  timestamptz not null default now(),
  retired_at  timestamptz
);
create unique index ticket_signing_keys_one_active on ticket_signing_keys (active) where active;

alter table events add column transfers_allowed boolean not null default true;

-- holder_id: who holds a ticket passed on by transfer (null: the order's buyer). transferred_to:
-- the ticket that replaced a void one, so a scan of the old code can say why it is void.
alter table tickets add column holder_id uuid references users (id);
alter table tickets add column attendee_name text check (char_length(attendee_name) between 1 and 200);
alter table tickets add column transferred_to uuid references tickets (id);
create index tickets_holder on tickets (holder_id) where holder_id is not null;
create index tickets_event_valid on tickets (event_id) where status = 'valid';

-- A scanner of one event. Only the SHA-256 of its token is stored.
create table checkin_devices (
  id          uuid primary key default gen_random_uuid(),
  event_id    uuid not null references events (id) on delete cascade,
  name        text not null check (char_length(name) between 1 and 200),
  token_hash  text not null unique,
  created_at  timestamptz not null default now(),
  revoked_at  timestamptz
);
create index checkin_devices_event on checkin_devices (event_id);

-- One change counter per event: every write to the event's check-ins bumps it in its own
-- transaction, so the counter's order is the commit order and a scanner that downloaded changes
-- up to N misses none when it next asks for those after N.
create table checkin_cursors (
  event_id uuid primary key references events (id) on delete cascade,
  seq      bigint not null default 0
);

-- A ticket admitted at the door. Exactly once: at most one check-in per ticket that is not
-- reverted (the partial unique index), whatever the number of scanners, nodes and connections.
create table checkins (
  id          uuid primary key default gen_random_uuid(),
  ticket_id   uuid not null references tickets (id),
  event_id    uuid not null references events (id),
  device_id   uuid references checkin_devices (id),
  admin_id    uuid references users (id),
  gate        text check (char_length(gate) between 1 and 200),
  scanned_at  timestamptz not null,
  created_at  timestamptz not null default now(),
  reverted_at timestamptz,
  seq         bigint not null,
  check ((device_id is null) <> (admin_id is null))
);
create unique index checkins_once_per_ticket on checkins (ticket_id) where reverted_at is null;
create index checkins_event_seq on checkins (event_id, seq);

-- Scans uploaded from offline scanners, one row per (scanner, clientScanId), with the answer it
-- got: a repeated upload gets the same answer and changes nothing.
create table offline_scans (
  scanner        text not null,
  client_scan_id text not null,
  event_id       uuid not null references events (id) on delete cascade,
  result         jsonb,
  primary key (scanner, client_scan_id)
);

-- The venue's IANA time zone: tickets print the event's date and time as the venue's clock shows it.
alter table venues add column time_zone text not null default 'UTC';

-- The file names of what an email carried (the PDF tickets, the calendar entry), for the dev inbox.
alter table dev_inbox add column attachments text[] not null default '{}';
