-- A venue's time zone (an IANA name such as Europe/Lisbon, added by 009 for tickets at the door) is
-- also the zone event times are shown and entered in ("20:00 Lisbon time"). The API checks the name
-- against the zones the server knows and defaults a new venue to the server's zone; this bounds what
-- the column stores to what the schema accepts.
alter table venues add constraint venues_time_zone_length check (length(time_zone) between 1 and 64);
