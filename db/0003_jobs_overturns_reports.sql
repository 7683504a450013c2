-- Background jobs as people see them: what was asked, by whom, how far it got and what came out. Hangfire (its own
-- schema, installed by the migrator) runs them; this table is the console's record, shown with progress in the UI.
create table jobs (
    id                bigint generated always as identity primary key,
    kind              text not null,
    parameters        jsonb not null default '{}',
    state             text not null default 'queued' check (state in ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    requested_by      bigint references users (id),
    requested_at      timestamptz not null default now(),
    hangfire_id       text,
    total             bigint,                -- null until the job knows how much work there is
    done              bigint not null default 0,
    started_at        timestamptz,
    progress_at       timestamptz,           -- the last progress report, for the rate and the ETA
    finished_at       timestamptz,
    cancel_requested  boolean not null default false,
    error             text,
    result            jsonb
);
create index jobs_recent on jobs (requested_at desc);
create index jobs_unfinished on jobs (id) where state in ('queued', 'running');

-- A senior's overturn is a new decision that names the one it replaces; the producer reads it from the cursor like
-- any other. Overturn rates per moderator come from here.
alter table decisions add column overturns bigint references decisions (id);
create unique index decisions_overturned_once on decisions (overturns) where overturns is not null;

-- Auditors search by time, moderator and action over millions of rows; key paging walks these in id order.
create index decisions_by_time on decisions (decided_at, id);
create index decisions_by_moderator on decisions (decided_by, id) where decided_by is not null;
create index audit_log_by_action on audit_log (action, id);
create index audit_log_by_actor on audit_log (actor_kind, actor_id, id);

-- Scores are compared with thresholds such as 0.7; as real, 0.7 is stored as 0.699999988 and falls below it, while
-- routing at ingest compared the producer's exact value. Double precision keeps what the producer sent.
alter table item_scores alter column score type double precision using score::numeric::double precision;

-- "Which item do I hold?" is asked on every claim; without this it walks the whole pending queue.
create index review_items_held on review_items (claimed_by, queue) where status = 'pending' and claimed_by is not null;
