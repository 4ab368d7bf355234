-- Per-buyer caps (issue 8): one account cannot hoard a section.
--
-- max_tickets_per_user: new events get a cap unless the organizer chooses otherwise (null, unlimited,
-- stays possible as an explicit choice). The API fills in 8, or the event's max_tickets_per_order when
-- that is larger (limits.ts); the column default covers a row written without the API.
-- Existing events keep their value: null was the only default there was, so a deliberate "unlimited"
-- cannot be told from an untouched one, and capping it now would change the published terms of a
-- sale that may be under way (a buyer of 10 could no longer buy 1 more). The open-hold cap below
-- applies to them at once and already stops one account holding more than one order at a time.
alter table events alter column max_tickets_per_user set default 8;

-- How many holds a buyer may have open (active, unexpired) for the event at once; waitlist offers,
-- which the system makes, do not count. 1 = one basket: pay for it or release it before the next;
-- null = no cap, by the organizer's choice. Existing events get 1 too (the default fills them).
alter table events add column max_holds_per_user integer default 1 check (max_holds_per_user between 1 and 100);
