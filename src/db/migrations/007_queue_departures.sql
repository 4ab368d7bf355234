-- Departures from the waiting room (issue 8, item 7): on the Redis backend, who left the line or
-- checked out is recorded here too, so that a place whose holder has gone stays gone after Redis
-- loses its data. Written on leave and checkout only (rare next to joins, which stay O(1) in Redis
-- with nothing per user here). See docs/waiting-room.md, "What survives Redis losing its data".
-- One row per account that ever left an event's line: every place of that account with a sequence
-- number up to `through` (the last place given when it left) has ended. `seq` is the place it freed
-- when Redis still knew it, so a rebuild can leave that shopper out of the active ones.
create table queue_departures (
  event_id uuid not null references events (id) on delete cascade,
  user_id  uuid not null,
  through  bigint not null,
  seq      bigint,
  primary key (event_id, user_id)
);
-- A rebuild asks which of the shoppers it restores have left (by seq).
create index queue_departures_seq on queue_departures (event_id, seq);
