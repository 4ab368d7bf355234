-- No charge survives a cancelled event or a crash.
--
-- Payments a checkout, a cancellation or a crash left half-way are settled one by one by the
-- reconciler (src/features/checkout/settlement.ts), with backoff, and parked for an admin after
-- repeated failures. `voiding` is an authorization owed back (as `refunding` is a capture owed back):
-- the intent is written first, so a crash before the provider call leaves a row to finish.
alter table payments drop constraint payments_status_check;
alter table payments add constraint payments_status_check
  check (status in ('authorizing', 'authorized', 'captured', 'declined', 'voiding', 'voided', 'refunding', 'refunded'));
-- Failed settlement attempts in a row (reset by a success); the next one is due at next_attempt_at.
alter table payments add column attempts integer not null default 0;
alter table payments add column next_attempt_at timestamptz not null default now();
alter table payments add column last_error text;
-- Set when the reconciler gave up; cleared by an admin's retry.
alter table payments add column parked_at timestamptz;
drop index payments_unsettled;
create index payments_unsettled on payments (next_attempt_at)
  where status in ('authorizing', 'authorized', 'voiding', 'refunding') and parked_at is null;
create index payments_parked on payments (parked_at) where parked_at is not null;

-- The sandbox payment provider's own records (TestPaymentProvider in
-- src/features/checkout/payments.ts). They stand for an external provider's books, so nothing of
-- Onsale's refers to them and they refer to nothing of Onsale's.
create table sandbox_payments (
  reference       text primary key,
  idempotency_key text not null unique,
  amount          integer not null,
  currency        char(3) not null,
  state           text not null check (state in ('declined', 'authorized', 'captured', 'voided', 'refunded')),
  decline_reason  text,
  refunded        integer not null default 0,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now()
);

-- Cancelling an event takes two steps (events.ts, updateEvent): the status change, then its orders.
-- Set by the second, once; an event cancelled without it (a crash in between) is finished by a job.
alter table events add column cancellation_finished_at timestamptz;
update events e set cancellation_finished_at = e.updated_at
 where e.status = 'cancelled' and not exists (select 1 from orders o where o.event_id = e.id and o.status = 'confirmed');
create index events_cancellation_unfinished on events (updated_at) where status = 'cancelled' and cancellation_finished_at is null;
