-- Password reset by email (issue 12): one pending link per account. A new request replaces the
-- account's row, so only the latest link works and the table holds at most one row per account
-- (no retention job needed). Only the SHA-256 of the token is stored; the link itself goes out once,
-- through the outbox's email channel. `used_at` is set by the conditional update that consumes the
-- token (of two concurrent uses, one wins) and tells a reused link from an unknown one.
create table password_resets (
  user_id    uuid primary key references users (id) on delete cascade,
  token_hash text not null unique,
  expires_at timestamptz not null,
  used_at    timestamptz,
  created_at timestamptz not null default now()
);
