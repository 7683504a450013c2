-- Generation-time checks: the platform asks before it generates (docs/checks.md).

-- Every check as answered, for the account page, quotas and what-ifs; pruned after Checks:RetentionDays into daily counts.
create table generation_checks (
    id          bigint generated always as identity primary key,
    producer_id bigint not null references producers (id),
    check_id    text not null,
    user_id     text not null,
    user_tier   text,
    features    text[] not null default '{}',
    prompt      text not null,
    verdict     text not null check (verdict in ('allow', 'allow_with_review', 'deny', 'require_verification', 'rate_limited')),
    reasons     jsonb not null,
    checked_at  timestamptz not null default now(),
    unique (producer_id, check_id)
);
-- Quotas count a user's allowed checks of the last hour; the account page lists a user's newest checks.
create index generation_checks_by_user on generation_checks (producer_id, user_id, checked_at);
create index generation_checks_by_time on generation_checks (checked_at);

-- What pruning keeps: checks per day, producer and verdict.
create table generation_check_days (
    day         date not null,
    producer_id bigint not null references producers (id),
    verdict     text not null,
    checks      bigint not null,
    primary key (day, producer_id, verdict)
);

-- Terms admins list against prompts. Shadow terms are matched and reported, never enforced, until an admin enforces them.
create table check_terms (
    id          bigint generated always as identity primary key,
    term        text not null check (length(term) between 1 and 200),
    category    text not null,
    matching    text not null check (matching in ('exact', 'word', 'normalised')),
    action      text not null check (action in ('deny', 'review')),
    shadow      boolean not null default false,
    created_by  bigint references users (id),
    created_at  timestamptz not null default now(),
    unique (term, matching)
);

