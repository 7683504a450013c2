-- Cases for the worst content, legal holds, retention and removal requests with their clocks (docs/cases.md).

-- Child-safety specialists: everything a senior does, and the only people who open child-safety cases.
alter table users drop constraint users_role_check;
alter table users add constraint users_role_check check (role in ('moderator', 'senior', 'specialist', 'admin', 'auditor'));

-- A case groups the items, the platform account and the evidence of one incident. Child-safety cases move
-- draft → ready (the report package was built) → reported (NCMEC's report id entered); every case may be closed. The
-- evidence bundle is sealed when a case is reported or closed and kept here with the SHA-256 of its manifest, which
-- the audit log holds as well.
create table cases (
    id               bigint generated always as identity primary key,
    kind             text not null check (kind in ('child_safety', 'ncii', 'likeness', 'copyright', 'law_enforcement', 'other')),
    status           text not null default 'draft' check (status in ('draft', 'ready', 'reported', 'closed')),
    producer_id      bigint not null references producers (id),
    user_id          text not null,
    summary          text not null check (length(summary) between 1 and 2000),
    opened_by        bigint references users (id),          -- null: opened by the console on a confirmed block
    opened_at        timestamptz not null default now(),
    last_item_at     timestamptz not null default now(),    -- when the wave's latest item joined
    report_id        text,
    reported_at      timestamptz,
    reported_by      bigint references users (id),
    closed_at        timestamptz,
    closed_by        bigint references users (id),
    sealed_at        timestamptz,
    manifest_sha256  bytea,
    bundle           bytea,
    check ((status = 'reported') = (report_id is not null) or status = 'closed'),
    check ((sealed_at is null) = (bundle is null))
);
alter table cases alter column bundle set storage external; -- a ZIP of images, already compressed
-- The open wave of a user: a confirmed block joins it while it is a draft.
create index cases_open_wave on cases (producer_id, user_id, kind) where status = 'draft';
create index cases_by_status on cases (status, opened_at);

create table case_items (
    case_id   bigint not null references cases (id),
    item_id   bigint not null references review_items (id),
    added_at  timestamptz not null default now(),
    added_by  bigint references users (id),
    primary key (case_id, item_id)
);
create index case_items_by_item on case_items (item_id);

create table case_notes (
    id          bigint generated always as identity primary key,
    case_id     bigint not null references cases (id),
    author      bigint not null references users (id),
    written_at  timestamptz not null default now(),
    note        text not null check (length(note) between 1 and 2000)
);
create index case_notes_by_case on case_notes (case_id, id);

-- Human blocks for sexual_minors the case intake has seen (and the case each went to, null when it was not a case's
-- business: decided by someone who does not confirm child-safety blocks).
create table case_intake (
    decision_id  bigint primary key references decisions (id),
    case_id      bigint references cases (id),
    seen_at      timestamptz not null default now()
);
create index decisions_child_safety_blocks on decisions (id)
    where not automated and decision = 'blocked' and 'sexual_minors' = any (categories);
-- The case timeline reads the audit entries that name the case.
create index audit_log_by_case on audit_log (((details ->> 'caseId')::bigint)) where details ? 'caseId';

-- Legal holds exempt what they cover from retention and every delete path: a case's items, all of a platform user's
-- items, or one item. Placing a hold takes the retention lock exclusively and a purge chunk takes it shared, so a purge
-- never removes what a hold placed while it runs covers (docs/cases.md).
create table legal_holds (
    id              bigint generated always as identity primary key,
    scope           text not null check (scope in ('case', 'user', 'item')),
    case_id         bigint references cases (id),
    producer_id     bigint references producers (id),
    user_id         text,
    item_id         bigint references review_items (id),
    reason          text not null check (length(reason) between 1 and 2000),
    placed_by       bigint references users (id),          -- null: placed by the console (a child-safety case)
    placed_at       timestamptz not null default now(),
    ends_at         timestamptz,
    released_at     timestamptz,
    released_by     bigint references users (id),
    release_reason  text,
    check ((scope = 'case') = (case_id is not null)),
    check ((scope = 'user') = (user_id is not null and producer_id is not null)),
    check ((scope = 'item') = (item_id is not null))
);
create index legal_holds_active_cases on legal_holds (case_id) where released_at is null;
create index legal_holds_active_users on legal_holds (producer_id, user_id) where released_at is null;
create index legal_holds_active_items on legal_holds (item_id) where released_at is null;

-- Whether an item is under a hold in force now.
create function item_is_held(p_item bigint) returns boolean language sql stable as $$
    select exists (
        select 1 from legal_holds h
        where h.released_at is null and (h.ends_at is null or h.ends_at > now())
          and (h.item_id = p_item
               or h.case_id in (select ci.case_id from case_items ci where ci.item_id = p_item)
               or (h.producer_id, h.user_id) = (select r.producer_id, r.user_id from review_items r where r.id = p_item)))
$$;

-- Retention: how long content is kept once decided. Null keeps it. The audit log keeps hashes, never content.
create table retention_policy (
    singleton           boolean primary key default true check (singleton),
    approved_image_days integer check (approved_image_days > 0),
    blocked_image_days  integer check (blocked_image_days > 0),
    prompt_days         integer check (prompt_days > 0),
    changed_by          bigint references users (id),
    changed_at          timestamptz not null default now()
);
insert into retention_policy (approved_image_days, blocked_image_days, prompt_days) values (90, 365, 365);

-- Whether retention may remove an item's content now: it is decided, its latest decision is older than the days its
-- outcome keeps (null: kept), no decision on it waits for an appeal or its undo window, and no hold covers it.
create function retention_due(p_item bigint, p_approved_days integer, p_blocked_days integer) returns boolean language sql stable as $$
    select coalesce((
            select case d.decision
                       when 'approved' then p_approved_days is not null and d.decided_at < now() - make_interval(days => p_approved_days)
                       else p_blocked_days is not null and d.decided_at < now() - make_interval(days => p_blocked_days) end
            from decisions d join review_items r on r.id = d.item_id and r.status = 'decided'
            where d.item_id = p_item order by d.id desc limit 1), false)
       and not exists (select 1 from held_decisions h where h.item_id = p_item)
       and not exists (select 1 from appeals a join decisions d on d.id = a.decision_id where d.item_id = p_item and a.status = 'pending')
       and not item_is_held(p_item)
$$;

alter table images alter column bytes drop not null;
alter table images add column purged_at timestamptz;
alter table images add constraint images_bytes_or_purged check ((bytes is null) = (purged_at is not null));
-- Prompt, negative prompt and the producer's metadata removed under retention; the prompt reads '' from then on.
alter table review_items add column content_purged_at timestamptz;

-- Removal requests (TAKE IT DOWN Act, DSA Art. 16) with the deadline policy gives their ground.
create table removal_requests (
    id               bigint generated always as identity primary key,
    producer_id      bigint not null references producers (id),
    external_id      text,                                   -- the producer's own id: sending it again is idempotent
    received_via     text not null check (received_via in ('api', 'console')),
    received_by      bigint references users (id),
    requester_kind   text not null check (requester_kind in ('victim', 'representative')),
    requester_name   text,
    contact          text not null,
    ground           text not null check (ground in ('ncii', 'likeness', 'copyright', 'other')),
    details          text,
    item_ids         bigint[] not null default '{}',
    user_id          text,                                   -- every item of this platform user
    received_at      timestamptz not null default now(),
    due_at           timestamptz not null,
    reminded_half_at timestamptz,
    reminded_late_at timestamptz,
    status           text not null default 'open' check (status in ('open', 'actioned', 'declined')),
    answered_at      timestamptz,
    answered_by      bigint references users (id),
    answer           text,
    items_blocked    integer,
    unique (producer_id, external_id),
    check (cardinality(item_ids) > 0 or user_id is not null)
);
create index removal_requests_open on removal_requests (due_at) where status = 'open';
create index removal_requests_by_time on removal_requests (received_at);

-- Dedicated banks: child-safety hashes from confirmed cases, and the victim bank of images taken down on request.
alter table block_bank add column bank text not null default 'general' check (bank in ('general', 'child_safety', 'victim'));
alter table block_bank drop constraint block_bank_source_check;
alter table block_bank add constraint block_bank_source_check check (source in ('decision', 'import', 'case', 'removal_request'));
