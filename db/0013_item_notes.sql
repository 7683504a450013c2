-- Internal notes on an item: a thread by the people who review it, never shown to the platform or its user.
create table item_notes (
    id         bigint generated always as identity primary key,
    item_id    bigint not null references review_items (id) on delete cascade,
    author_id  bigint not null references users (id),
    written_at timestamptz not null default now(),
    body       text not null check (length(body) between 1 and 2000)
);
create index item_notes_by_item on item_notes (item_id, id);
