-- Stock-aware admission counts, every tick, the shoppers of an event whose recent holds all lapsed
-- (they walked away: their places no longer count against the stock, src/features/queue/advancer.ts,
-- buyersWalkedAway). It reads the event's holds made within one shopping window; this index keeps that
-- read to those rows however many holds the table keeps.
create index holds_event_recent on holds (event_id, created_at) where waitlist_entry_id is null;
