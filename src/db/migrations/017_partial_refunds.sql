-- Partial refunds and revoked invitations (issue 14).
--
-- A partial cancellation owes the buyer the cancelled tickets' share. The amount is written as a
-- `refunds` row in the transaction that voids the tickets, so it cannot be lost; its id is the
-- provider's idempotency key, so sending it again after a crash (between the provider's answer and
-- the row's update) refunds nothing twice. The reconciler sends the rows still pending
-- (settlement.ts), with backoff and parking as for payments. A payment given back whole later (the
-- rest of the order cancelled) refunds only what these rows have not: amount - sum(refunds).
create table refunds (
  id              uuid primary key default gen_random_uuid(),
  payment_id      uuid not null references payments (id),
  order_id        uuid not null references orders (id),
  amount          integer not null check (amount > 0),
  -- pending: owed; refunded: the provider gave it back; voided: the whole authorization was voided
  -- before any capture, so nothing was taken and nothing is owed.
  status          text not null default 'pending' check (status in ('pending', 'refunded', 'voided')),
  attempts        integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error      text,
  parked_at       timestamptz,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now()
);
create index refunds_payment on refunds (payment_id);
create index refunds_pending on refunds (next_attempt_at) where status = 'pending' and parked_at is null;
create index refunds_parked on refunds (payment_id) where parked_at is not null;

-- What an order gives back never exceeds what it cost (shares are floor(total * k / n), the last
-- cancellation takes the rest).
alter table orders add constraint orders_refund_within_total check (refund_amount between 0 and total);

-- The sandbox provider refunds in parts, each once per idempotency key, never more than was taken
-- (as a card provider does). Its books still refer to nothing of Onsale's.
create table sandbox_refunds (
  idempotency_key text primary key,
  reference       text not null references sandbox_payments (reference),
  amount          integer not null check (amount > 0),
  created_at      timestamptz not null default now()
);
alter table sandbox_payments add constraint sandbox_payments_refunded_within_amount check (refunded between 0 and amount);

-- An owner withdraws an invitation not yet used: its link is refused like an expired one.
alter table invitations add column revoked_at timestamptz;
