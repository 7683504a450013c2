-- A moderator asks a senior to look at one of their own decisions again; the request closes when a senior confirms or
-- overturns that decision.
create table rereview_requests (
    id           bigint generated always as identity primary key,
    decision_id  bigint not null references decisions (id),
    item_id      bigint not null references review_items (id) on delete cascade,
    requested_by bigint not null references users (id),
    requested_at timestamptz not null default now(),
    note         text not null check (length(note) between 1 and 2000),
    resolved_at  timestamptz,
    resolved_by  bigint references users (id),
    outcome      text check (outcome in ('confirmed', 'overturned'))
);
-- One open request per decision; seniors list the open ones oldest first.
create unique index rereview_requests_open on rereview_requests (decision_id) where resolved_at is null;
create index rereview_requests_waiting on rereview_requests (requested_at) where resolved_at is null;
