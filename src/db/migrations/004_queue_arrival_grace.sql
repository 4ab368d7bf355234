-- Arrival grace (docs/waiting-room.md, "Arrival grace"): an admitted place whose holder has not shown
-- up (status check, live socket, hold) within arrival_grace_seconds of admission stops taking a
-- shopper slot, so no-shows cannot stall the line. The admission itself stands until the window ends.
alter table event_onsale add column arrival_grace_seconds integer;
update event_onsale set arrival_grace_seconds = least(120, shopping_window_seconds);
alter table event_onsale alter column arrival_grace_seconds set not null;
alter table event_onsale add constraint event_onsale_arrival_grace_check
  check (arrival_grace_seconds between 1 and 86400 and arrival_grace_seconds <= shopping_window_seconds);

-- PostgreSQL backend only: until when an active shopper takes a slot. The end of the arrival grace
-- until the holder shows up, then the window end (`until`). Indexed so the advancer counts the slots
-- taken by reading only those index entries.
alter table queue_active add column counts_until timestamptz;
update queue_active set counts_until = until;
alter table queue_active alter column counts_until set not null;
create index queue_active_counts_until on queue_active (event_id, counts_until);
