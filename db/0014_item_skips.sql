-- A moderator passed an item back without deciding it: it returns to the queue and is not offered to them again until
-- hidden_until (Queue:SkipHidesFor after the skip).
create table item_skips (
    id           bigint generated always as identity primary key,
    item_id      bigint not null references review_items (id) on delete cascade,
    user_id      bigint not null references users (id),
    skipped_at   timestamptz not null default now(),
    hidden_until timestamptz not null,
    reason       text check (length(reason) between 1 and 500)
);
-- Claiming asks "did this moderator skip this item lately?"; the dashboard counts skips per moderator.
create index item_skips_by_item on item_skips (item_id, user_id, hidden_until);
create index item_skips_by_user on item_skips (user_id, skipped_at);
