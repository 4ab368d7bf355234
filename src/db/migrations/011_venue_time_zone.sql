-- A venue's time zone (an IANA name such as Europe/Lisbon), so event times read in the venue's own
-- zone ("20:00 Lisbon time"). The API checks the name against the zones the server knows and defaults
-- a new venue to the server's zone; venues made before this migration had none, so they get UTC,
-- the zone their times were shown in to the API until now.
alter table venues add column time_zone text not null default 'UTC' check (length(time_zone) between 1 and 64);
