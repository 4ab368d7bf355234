-- Code reserves (issue 15): `reserve: n` on a code sets aside n units of one general-admission
-- section for the code's holders until the code's valid_until; then what is left returns to sale
-- (the waitlist first), once.
--   * sections.set_aside_for_codes: the section's units set aside for codes and not held now; the
--     sum of its codes' reserve_left. Taken from `available` when a code is made, so general sale
--     (which takes only `available`) cannot reach them; the capacity check counts them.
--   * event_codes.reserve_left: the code's set-aside units not in a hold now. A hold made with the
--     code takes from it first (hold_items.from_reserve) in the statement that takes the section's
--     stock; a hold that ends gives those units back to it while the reserve stands
--     (reserve_released_at null), else to sale. The CHECKs keep both counters within bounds.
--   * reserve_released_at: set once, by the conditional update that returns reserve_left to sale
--     (inventory/stock.ts `releaseReserves`), so several nodes running the job return it once.
--   * Tickets sold from the reserve are sold: cancelled, they return to general sale.
alter table sections add column set_aside_for_codes integer not null default 0 check (set_aside_for_codes >= 0);
alter table sections drop constraint sections_stock_within_capacity;
alter table sections add constraint sections_stock_within_capacity
  check (coalesce(available, 0) + reserved_for_waitlist + set_aside_for_codes <= capacity);

alter table event_codes
  add column section_id uuid references sections (id) on delete cascade,
  add column reserve integer check (reserve >= 0),
  add column reserve_left integer check (reserve_left >= 0),
  add column reserve_released_at timestamptz,
  add constraint event_codes_reserve_section check ((reserve is null) = (section_id is null) and (reserve is null) = (reserve_left is null)),
  add constraint event_codes_reserve_bounds check (reserve_left <= reserve),
  add constraint event_codes_reserve_until check (reserve is null or valid_until is not null);
-- The release job looks for standing reserves.
create index event_codes_reserve_standing on event_codes (valid_until) where reserve is not null and reserve_released_at is null;

alter table hold_items add column from_reserve integer not null default 0 check (from_reserve >= 0 and from_reserve <= quantity);
