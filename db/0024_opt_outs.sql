-- The opt-out registry (Policy/OptOuts): people and creators who do not want generations made of them or of their work.
-- An opt-out names a platform user (generations naming them as a subject, metadata "subjectUserIds") or a picture by its
-- PDQ hash (edits of that photo or artwork). Matching generations go to a person with the opt-out shown.
create table opt_outs (
    id           bigint generated always as identity primary key,
    producer_id  bigint not null references producers (id),
    external_id  text not null,                 -- the producer's own id: sending it again changes nothing
    kind         text not null check (kind in ('user', 'image')),
    user_id      text,
    pdq          bit(256),
    note         text,
    added_via    text not null check (added_via in ('api', 'console')),
    added_by     bigint references users (id),
    added_at     timestamptz not null default now(),
    removed_at   timestamptz,
    unique (producer_id, external_id),
    check ((kind = 'user') = (user_id is not null)),
    check ((kind = 'image') = (pdq is not null))
);
create index opt_outs_active_users on opt_outs (producer_id, user_id) where removed_at is null and kind = 'user';
create index opt_outs_active_images on opt_outs (producer_id) where removed_at is null and kind = 'image';

alter table review_items add column opt_out_id bigint references opt_outs (id);
