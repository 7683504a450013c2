-- A moderator's decision during its undo window (Queue:UndoWindow): durable and audited at once, but not yet a decision
-- the producer can read and without its strike. When release_at passes, any console instance moves it into decisions
-- (a new id, so the producers' cursor stays in commit order) with its strike and enforcement; an undo before then
-- deletes it and reopens the item. The near-duplicates decided together with an item share its group_item_id.
create table held_decisions (
    id            bigint generated always as identity primary key,
    group_item_id bigint not null,
    item_id       bigint not null unique references review_items (id) on delete cascade,
    queue         text not null,
    producer_id   bigint not null references producers (id),
    user_id       text not null,
    decision      text not null check (decision in ('approved', 'blocked')),
    categories    text[] not null default '{}',
    reason        text not null,
    note          text,
    decided_by    bigint not null references users (id),
    decided_at    timestamptz not null default now(),
    release_at    timestamptz not null
);
create index held_decisions_due on held_decisions (release_at);
create index held_decisions_by_group on held_decisions (group_item_id);
