-- A presale or unlock code may carry a discount too (a fan club's presale at 10 % off,
-- docs/codes.md); a discount code still needs one. Migration 018's CHECK tied the discount to the
-- discount kind both ways; it had no name of its own, so it is found by its definition. (The
-- migration runner splits statements at a semicolon ending a line, so the block keeps its own
-- semicolons inside lines.)
do $$
declare tied text; begin
  select conname into strict tied from pg_constraint
   where conrelid = 'event_codes'::regclass and contype = 'c'
     and pg_get_constraintdef(oid) like '%(kind = ''discount''::text) = %'; execute format('alter table event_codes drop constraint %I', tied); end
$$;
alter table event_codes add constraint event_codes_discount_kind_has_discount
  check (kind <> 'discount' or percent_off is not null or amount_off is not null);
