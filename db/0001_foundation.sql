-- The foundation: producers, people, policies, review items with their images and scores,
-- decisions (the cursor producers read), platform users' strikes and the append-only audit log.

create table producers (
    id          bigint generated always as identity primary key,
    name        text not null unique,
    -- SHA-256 of the API key. Keys are 256 random bits, so a fast hash is enough (no dictionary to attack)
    -- and lets authentication look a key up by its hash in one index probe.
    key_hash    bytea not null unique,
    key_prefix  text not null,            -- the first characters, shown to admins to tell keys apart
    created_at  timestamptz not null default now(),
    revoked_at  timestamptz
);

create table users (
    id             bigint generated always as identity primary key,
    email          text not null,
    password_hash  text not null,          -- ASP.NET Core Identity's PBKDF2 format
    role           text not null check (role in ('moderator', 'senior', 'admin', 'auditor')),
    created_at     timestamptz not null default now(),
    disabled_at    timestamptz
);
create unique index users_email_key on users (lower(email));

-- Policies are versioned documents; exactly one is active. Routing records the version it used.
create table policies (
    version     integer primary key,
    document    jsonb not null,
    active      boolean not null default false,
    created_at  timestamptz not null default now(),
    created_by  bigint references users (id),
    reason      text not null
);
create unique index policies_one_active on policies (active) where active;

-- Images are content-addressed inside PostgreSQL: stored in the same transaction as their item,
-- so "accepted" can never point at bytes that a crash lost. Identical bytes are stored once.
create table images (
    sha256        bytea primary key,
    content_type  text not null check (content_type in ('image/png', 'image/jpeg', 'image/webp')),
    width         integer not null check (width > 0),
    height        integer not null check (height > 0),
    byte_length   integer not null,
    bytes         bytea not null
);
alter table images alter column bytes set storage external; -- images are already compressed

create table review_items (
    id               bigint generated always as identity primary key,
    producer_id      bigint not null references producers (id),
    generation_id    text not null,
    user_id          text not null,
    prompt           text not null,
    negative_prompt  text,
    model            text,
    created_at       timestamptz not null,
    image_sha256     bytea not null references images (sha256),
    jurisdiction     text,
    user_tier        text,
    age_verified     boolean,
    metadata         jsonb,
    received_at      timestamptz not null default now(),
    policy_version   integer not null references policies (version),
    route            text not null check (route in ('queued', 'escalated', 'auto_blocked', 'auto_approved')),
    -- Where a pending item waits; null once decided.
    queue            text check (queue in ('standard', 'escalation')),
    status           text not null check (status in ('pending', 'decided')),
    priority         integer not null default 0,   -- severity of the worst category found; higher first
    route_categories text[] not null default '{}',
    -- The lease: who holds the item and until when. A claim is also identified by a token so a
    -- moderator whose lease expired cannot decide with a stale page after someone else re-claimed.
    claimed_by       bigint references users (id),
    claim_token      uuid,
    claim_expires_at timestamptz,
    unique (producer_id, generation_id),
    check ((status = 'pending') = (queue is not null))
);
-- The claim query walks this index in priority order and skips locked rows.
create index review_items_claim_order on review_items (queue, priority desc, received_at, id) where status = 'pending';
create index review_items_by_user on review_items (producer_id, user_id);

create table item_scores (
    item_id   bigint not null references review_items (id),
    source    text not null,      -- 'upstream' for the producer's own scores; a model version otherwise
    category  text not null,
    score     real not null check (score >= 0 and score <= 1),
    primary key (item_id, source, category)
);

-- Final decisions. The identity is the cursor producers page through: it only grows, and a decision is
-- visible to GET /api/v1/decisions only after its transaction committed.
create table decisions (
    id           bigint generated always as identity primary key,
    item_id      bigint not null references review_items (id),
    producer_id  bigint not null references producers (id),
    decision     text not null check (decision in ('approved', 'blocked')),
    categories   text[] not null default '{}',
    reason       text not null,
    note         text,
    automated    boolean not null,
    decided_by   bigint references users (id),
    decided_at   timestamptz not null default now(),
    check (automated = (decided_by is null))
);
create index decisions_by_producer on decisions (producer_id, id);
create index decisions_by_item on decisions (item_id);

-- Strikes per platform user, so repeat abusers are obvious to the next reviewer.
create table platform_users (
    producer_id     bigint not null references producers (id),
    user_id         text not null,
    strikes         integer not null default 0,
    last_strike_at  timestamptz,
    primary key (producer_id, user_id)
);

-- The audit log is append-only: the trigger below refuses UPDATE and DELETE for everyone, the
-- application included. (The hash chain over entries is a later migration.)
create table audit_log (
    id          bigint generated always as identity primary key,
    at          timestamptz not null default clock_timestamp(),
    actor_kind  text not null check (actor_kind in ('user', 'producer', 'system')),
    actor_id    text not null,
    action      text not null,
    item_id     bigint,
    details     jsonb not null default '{}'
);
create index audit_log_by_item on audit_log (item_id) where item_id is not null;
create index audit_log_by_at on audit_log (at);

create function audit_log_is_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'audit_log is append-only: % is not allowed', tg_op;
end $$;
create trigger audit_log_append_only before update or delete or truncate on audit_log
    for each statement execute function audit_log_is_append_only();
