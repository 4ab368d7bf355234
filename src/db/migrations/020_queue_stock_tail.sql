-- The sale's tail (issue 10): stock-aware admission assumed every shopper takes the most tickets an order
-- may hold, so with a few dozen tickets left it let in a handful of shoppers at a time, and each who
-- walked away held the line back for a whole shopping window. Up to this many shoppers are now let in
-- one per ticket left. Existing events get the new default.
alter table event_onsale add column stock_tail_shoppers integer not null default 100 check (stock_tail_shoppers >= 0);
