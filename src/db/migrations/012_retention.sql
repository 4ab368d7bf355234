-- Retention (OUTBOX_RETENTION_DAYS): the pruning job deletes old rows in bounded batches, each found
-- through one of these indexes rather than by scanning a table that only grows. Indexes only: an
-- expand step that the release before runs on unchanged (docs/deploy.md, "Migrations").
create index outbox_dispatched on outbox (dispatched_at) where dispatched_at is not null;
create index refresh_tokens_expiry on refresh_tokens (expires_at);
create index holds_ended on holds (ended_at) where status in ('expired', 'released');
-- Payments of a hold, any status: a hold that was ever paid for (or tried) is kept with its payment.
create index payments_hold on payments (hold_id);
