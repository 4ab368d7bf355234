-- Ticket types (issue 15): a section's stock sold at several prices (adult, child, VIP), each with an
-- optional quota, a per-order cap, a visibility and a sales window. The types share the section's
-- stock (sections.available, or its seats); a type's quota is a sub-limit inside it.
--   * taken counts the type's units held (live or lapsed, until the hold is ended and its stock
--     returned) and sold (valid tickets). It moves in the same transactions, under the same section
--     locks, as the section's stock (inventory/stock.ts), and the check keeps it within the quota
--     whatever a writer does.
--   * A section without types sells as before: its hold items and tickets name no type and cost the
--     section's price (the "implicit type"); so do waitlist offers and comps, which never count
--     against a quota.
create table ticket_types (
  id              uuid primary key default gen_random_uuid(),
  section_id      uuid not null references sections (id) on delete cascade,
  name            text not null,
  price           integer not null check (price >= 0),
  max_per_order   integer check (max_per_order >= 1),
  quota           integer check (quota >= 0),
  visibility      text not null default 'public' check (visibility in ('public', 'hidden', 'code')),
  sales_starts_at timestamptz,
  sales_ends_at   timestamptz,
  position        integer not null,
  taken           integer not null default 0 check (taken >= 0),
  check (quota is null or taken <= quota),
  check (sales_starts_at is null or sales_ends_at is null or sales_ends_at > sales_starts_at),
  unique (section_id, position)
);

alter table hold_items add column ticket_type_id uuid references ticket_types (id);
-- Lapsed holds of a type are counted back into its availability (as GA units are).
create index hold_items_ticket_type on hold_items (ticket_type_id) where ticket_type_id is not null;

-- What each ticket was sold as and for. Tickets issued before this migration get the price of their
-- hold's item (a comp's 0 included): every order kept its hold and items (retention keeps them).
alter table tickets add column ticket_type_id uuid references ticket_types (id), add column price integer check (price >= 0);
update tickets t set price = i.price
  from orders o join hold_items i on i.hold_id = o.hold_id
 where o.id = t.order_id and i.section_id = t.section_id and i.seat_id is not distinct from t.seat_id;
create index tickets_valid_type on tickets (ticket_type_id) where ticket_type_id is not null and status = 'valid';

-- Codes (issue 15): presale (hold before the public on-sale, or before a type's sales start),
-- unlock (buy `visibility = 'code'` types) and discount (percent or amount off each ticket).
--   * normalized is the code in upper case: a code is looked up case-insensitively, per event.
--   * uses counts tickets: the units of active holds made with the code plus its valid tickets. It
--     moves where the stock moves (inventory/stock.ts), under the code's row lock, and the check
--     keeps it within max_uses.
create table event_codes (
  id              uuid primary key default gen_random_uuid(),
  event_id        uuid not null references events (id) on delete cascade,
  code            text not null,
  normalized      text not null,
  kind            text not null check (kind in ('presale', 'unlock', 'discount')),
  -- The types the code applies to; null: every type of the event (and sections without types).
  ticket_type_ids uuid[],
  percent_off     integer check (percent_off between 1 and 100),
  amount_off      integer check (amount_off >= 1),
  max_uses        integer check (max_uses >= 1),
  max_per_order   integer check (max_per_order >= 1),
  valid_from      timestamptz,
  valid_until     timestamptz,
  uses            integer not null default 0 check (uses >= 0),
  disabled_at     timestamptz,
  -- Codes generated together share a batch (one CSV).
  batch_id        uuid,
  created_at      timestamptz not null default now(),
  check (max_uses is null or uses <= max_uses),
  check ((kind = 'discount') = (percent_off is not null or amount_off is not null)),
  check (percent_off is null or amount_off is null),
  check (valid_from is null or valid_until is null or valid_until > valid_from),
  unique (event_id, normalized)
);
create index event_codes_batch on event_codes (batch_id) where batch_id is not null;

alter table holds add column event_code_id uuid references event_codes (id);
alter table tickets add column event_code_id uuid references event_codes (id);
-- What the code took off each unit (price is what is paid: the type's price less this).
alter table hold_items add column discount integer not null default 0 check (discount >= 0);
