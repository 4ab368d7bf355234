-- Single-use tickets that open the live notification socket (GET /api/v1/me/live?ticket=…), so an
-- access token never travels in a URL. Only the SHA-256 of a ticket is stored. Redeeming deletes
-- the row, so of two uses of one ticket (on any node) exactly one finds it. Expired rows are
-- swept a bounded batch at a time by each new ticket (expires_at is indexed for that).
create table live_tickets (
  token_hash  text primary key,
  user_id     uuid not null references users (id) on delete cascade,
  expires_at  timestamptz not null
);
create index live_tickets_expires_at on live_tickets (expires_at);
