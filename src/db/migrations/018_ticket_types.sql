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
