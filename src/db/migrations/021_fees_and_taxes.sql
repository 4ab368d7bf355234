-- Fees and taxes (issue 15): an event's fees and tax, and the breakdown of what each hold, order and
-- ticket costs. The rule (per ticket, half up) is in docs/fees.md; the one module that computes it is
-- inventory/breakdown.ts.
--   * events.fees: [{name, perTicket? | percent?, refundable}]; events.tax: {name, ratePercent,
--     inclusive} or null. Read when a hold is made: a hold keeps what it was priced at (holds.pricing).
alter table events add column fees jsonb not null default '[]', add column tax jsonb;

-- Per unit of a hold item: fees (all of them), fees_kept (the part not refundable), tax (included in
-- the price, or added to it) and charged (what the unit costs: price + fees + tax when added). null
-- for items written before fees existed (and waitlist offers' and comps', which carry none): charged
-- is then the price.
alter table hold_items
  add column fees integer not null default 0 check (fees >= 0),
  add column fees_kept integer not null default 0 check (fees_kept between 0 and fees),
  add column tax integer not null default 0 check (tax >= 0),
  add column charged integer check (charged >= price);

-- The breakdown of a hold and, copied at checkout, of its order (never changed after): total is what
-- is charged. null subtotal: made before fees existed (the breakdown is then the total alone).
alter table holds
  add column subtotal integer, add column discount integer, add column fees integer, add column tax integer,
  add column tax_included boolean, add column pricing jsonb,
  add constraint holds_breakdown_sums check (subtotal is null or (
    discount between 0 and subtotal and fees >= 0 and tax >= 0 and tax_included is not null
    and subtotal - discount + fees + case when tax_included then 0 else tax end = total));
alter table orders
  add column subtotal integer, add column discount integer, add column fees integer, add column tax integer,
  add column tax_included boolean, add column pricing jsonb,
  add constraint orders_breakdown_sums check (subtotal is null or (
    discount between 0 and subtotal and fees >= 0 and tax >= 0 and tax_included is not null
    and subtotal - discount + fees + case when tax_included then 0 else tax end = total));

-- What each ticket cost, so a cancellation returns exactly its tickets' share: its price (less the
-- discount, already in tickets.price), its tax, and its fees but fees_kept. charged null: a ticket
-- from before fees (it cost its price).
alter table tickets
  add column discount integer not null default 0 check (discount >= 0),
  add column fees integer not null default 0 check (fees >= 0),
  add column fees_kept integer not null default 0 check (fees_kept between 0 and fees),
  add column tax integer not null default 0 check (tax >= 0),
  add column charged integer check (charged >= 0);
