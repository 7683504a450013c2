-- The platform's users as accounts: weighted strikes that expire, the enforcement ladder's actions, the notices that
-- tell the platform and its user (a cursor feed like decisions), appeals (DSA Art. 20) and the notice templates.

-- The user's language as the producer last gave it, for notices (BCP 47 primary tag, e.g. "de").
alter table review_items add column language text;

-- One strike per blocking decision, weighted by the worst category's weight in the policy at the time. Active while
-- not lifted (an overturn or an upheld appeal lifts it) and not expired.
create table strikes (
    id           bigint generated always as identity primary key,
    producer_id  bigint not null references producers (id),
    user_id      text not null,
    decision_id  bigint not null unique references decisions (id),
    categories   text[] not null,
    weight       integer not null check (weight > 0),
    created_at   timestamptz not null default now(),
    expires_at   timestamptz not null,
    lifted_at    timestamptz,
    lifted_by_decision bigint references decisions (id)
);
create index strikes_active_by_user on strikes (producer_id, user_id) where lifted_at is null;

-- Actions on an account. The ladder proposes or applies them as strikes add up; people apply them by hand with a reason.
-- An action is in force while active and before ends_at (null: until lifted).
create table enforcements (
    id             bigint generated always as identity primary key,
    producer_id    bigint not null references producers (id),
    user_id        text not null,
    action         text not null check (action in ('warn', 'restrict', 'require_verification', 'suspend', 'ban')),
    features       text[] not null default '{}',
    hourly_quota   integer check (hourly_quota > 0),
    state          text not null check (state in ('proposed', 'active', 'lifted', 'dismissed')),
    origin         text not null check (origin in ('ladder', 'manual', 'immediate')),
    step_threshold integer,          -- the ladder step's threshold (origin 'ladder')
    decision_id    bigint references decisions (id),   -- the decision that brought it
    categories     text[] not null default '{}',
    reason         text not null,
    automated      boolean not null,
    created_by     bigint references users (id),
    created_at     timestamptz not null default now(),
    duration       interval,         -- how long it lasts once in force; null: until lifted
    starts_at      timestamptz,      -- when it came into force (a proposal: when a senior confirmed it)
    ends_at        timestamptz,
    lifted_at      timestamptz,
    lifted_by      bigint references users (id),
    lift_reason    text
);
create index enforcements_by_user on enforcements (producer_id, user_id, id);
create index enforcements_proposed on enforcements (id) where state = 'proposed';

-- Appeals of a decision or of an enforcement, submitted by the producer for its user. Reviewed from their own queue with
-- the same lease machinery as items, by someone other than the original decider.
create table appeals (
    id                bigint generated always as identity primary key,
    producer_id       bigint not null references producers (id),
    appeal_id         text not null,          -- the producer's own id: resubmitting it is idempotent
    user_id           text not null,
    decision_id       bigint references decisions (id),
    enforcement_id    bigint references enforcements (id),
    statement         text not null,
    language          text not null,
    received_at       timestamptz not null default now(),
    due_at            timestamptz not null,
    status            text not null default 'pending' check (status in ('pending', 'decided')),
    claimed_by        bigint references users (id),
    claim_token       uuid,
    claim_expires_at  timestamptz,
    outcome           text check (outcome in ('upheld', 'overturned', 'modified')),
    outcome_note      text,
    decided_by        bigint references users (id),
    decided_at        timestamptz,
    new_decision_id   bigint references decisions (id),
    unique (producer_id, appeal_id),
    check (num_nonnulls(decision_id, enforcement_id) = 1),
    check ((status = 'decided') = (outcome is not null))
);
create unique index appeals_once_per_decision on appeals (decision_id) where decision_id is not null;
create unique index appeals_once_per_enforcement on appeals (enforcement_id) where enforcement_id is not null;
create index appeals_pending on appeals (due_at, id) where status = 'pending';
create index appeals_by_user on appeals (producer_id, user_id);

-- What the platform is told about its users, in order: the id is the producer's cursor, as for decisions (the same
-- shared/exclusive advisory lock makes it safe to store). Each row carries the rendered notice for the user.
create table user_notices (
    id              bigint generated always as identity primary key,
    producer_id     bigint not null references producers (id),
    user_id         text not null,
    kind            text not null check (kind in ('enforcement_applied', 'enforcement_lifted', 'appeal_decided')),
    enforcement_id  bigint references enforcements (id),
    appeal_id       bigint references appeals (id),
    notice          jsonb not null,
    created_at      timestamptz not null default now()
);
create index user_notices_by_producer on user_notices (producer_id, id);
create index user_notices_by_user on user_notices (producer_id, user_id, id);

-- Admins' wording of the notices; the console's own wording is used for anything not here. Category '' applies to all.
create table notice_templates (
    kind        text not null,
    category    text not null default '',
    language    text not null,
    title       text not null,
    body        text not null,
    updated_by  bigint references users (id),
    updated_at  timestamptz not null default now(),
    primary key (kind, category, language)
);
