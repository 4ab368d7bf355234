-- Organizations and roles (issue 14): many organizers on one installation, each with a team.
-- An organization owns venues and events (and through them everything under them). The account
-- with users.role = 'admin' is the platform admin: it may do everything and manages organizations.
-- Rules enforced here rather than in application code:
--   * a role is one of five (CHECK); a user has one role per organization (primary key);
--   * an event's venue belongs to the event's organization (composite foreign key);
--   * invitation and API-key secrets are stored only as SHA-256 hashes (unique);
--   * an invitation is accepted at most once (a conditional update on accepted_at).
-- "At least one owner remains" needs the other owners' rows, so it is kept by the transaction that
-- changes a membership: it locks the organization's owner rows first (features/orgs/members.ts).

create table organizations (
  id         uuid primary key default gen_random_uuid(),
  name       text not null check (length(name) between 1 and 200),
  created_at timestamptz not null default now()
);

create table memberships (
  organization_id uuid not null references organizations (id) on delete cascade,
  user_id         uuid not null references users (id) on delete cascade,
  role            text not null check (role in ('owner', 'manager', 'box_office', 'door', 'finance')),
  created_at      timestamptz not null default now(),
  primary key (organization_id, user_id)
);
-- "The caller's organizations" and "the caller's role here" are looked up by user.
create index memberships_user on memberships (user_id);

create table invitations (
  id              uuid primary key default gen_random_uuid(),
  organization_id uuid not null references organizations (id) on delete cascade,
  email           text not null,
  role            text not null check (role in ('owner', 'manager', 'box_office', 'door', 'finance')),
  token_hash      text not null unique,
  invited_by      uuid references users (id) on delete set null,
  expires_at      timestamptz not null,
  accepted_at     timestamptz,
  accepted_by     uuid references users (id) on delete set null,
  created_at      timestamptz not null default now()
);
create index invitations_organization on invitations (organization_id, created_at desc);

create table api_keys (
  id              uuid primary key default gen_random_uuid(),
  organization_id uuid not null references organizations (id) on delete cascade,
  name            text not null check (length(name) between 1 and 200),
  role            text not null check (role in ('owner', 'manager', 'box_office', 'door', 'finance')),
  -- The first characters of the key (`onsk_` and a few more), shown in lists to tell keys apart.
  key_prefix      text not null,
  key_hash        text not null unique,
  created_by      uuid references users (id) on delete set null,
  created_at      timestamptz not null default now(),
  last_used_at    timestamptz,
  revoked_at      timestamptz
);
create index api_keys_organization on api_keys (organization_id, created_at desc);

-- Every venue and event that exists belongs to the default organization (the fixed id below, which
-- the code names as defaultOrganizationId); the platform admin is its owner.
insert into organizations (id, name) values ('00000000-0000-4000-8000-000000000001', 'Default organization');
insert into memberships (organization_id, user_id, role)
  select '00000000-0000-4000-8000-000000000001', id, 'owner' from users where role = 'admin';

alter table venues add column organization_id uuid references organizations (id);
update venues set organization_id = '00000000-0000-4000-8000-000000000001';
alter table venues alter column organization_id set not null;
alter table venues add constraint venues_id_organization unique (id, organization_id);
create index venues_organization on venues (organization_id);

alter table events add column organization_id uuid references organizations (id);
update events set organization_id = '00000000-0000-4000-8000-000000000001';
alter table events alter column organization_id set not null;
alter table events add constraint events_venue_same_organization
  foreign key (venue_id, organization_id) references venues (id, organization_id);
create index events_organization on events (organization_id, starts_at);

-- The order desk: comp and manual orders (no payment), partial cancellation, a number people can
-- read out on the phone, and keyset pages of an event's orders, newest first.
alter table orders drop constraint orders_status_check;
alter table orders add constraint orders_status_check check (status in ('confirmed', 'partially_cancelled', 'cancelled'));
alter table orders add column kind text not null default 'sale' check (kind in ('sale', 'comp'));
alter table orders add column reason text check (length(reason) <= 500);
alter table orders add column created_by uuid references users (id) on delete set null;
alter table orders add column number bigint generated by default as identity;
alter table orders add constraint orders_number_key unique (number);
create index orders_event_page on orders (event_id, created_at desc, id desc);

-- A check-in made with an organization's API key (a door role's key in a scanning app) names it.
alter table checkins add column api_key_id uuid references api_keys (id);
alter table checkins drop constraint checkins_check;
alter table checkins add constraint checkins_one_scanner check (num_nonnulls(device_id, admin_id, api_key_id) = 1);
