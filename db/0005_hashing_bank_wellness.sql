-- Seen-before images and moderator wellness: PDQ perceptual hashes of every image, a bank of hashes to block on
-- sight, lookups of pending near-duplicates, and what each moderator has been exposed to.

-- The PDQ hash as bit(256), written like its hex form, so bit_count(a # b) is the Hamming distance. pdq_bands holds
-- the hash's 16 sixteen-bit bands as (band << 16 | bits): two hashes within distance d share a band within
-- ⌊d/16⌋ bits, so a GIN lookup of the probe bands finds every candidate without scanning (multi-index hashing).
-- Images stored before this migration have no hash; they are simply never matched.
alter table images
    add column pdq          bit(256),
    add column pdq_quality  smallint check (pdq_quality between 0 and 100),
    add column pdq_bands    integer[];
create index images_pdq_bands on images using gin (pdq_bands);
create index review_items_pending_by_image on review_items (image_sha256) where status = 'pending';

-- A hash of the prompt's shape (its words, ignoring case, numbers, punctuation and order), to find a wave of
-- generations made from one template.
alter table review_items add column prompt_shape bigint;
create index review_items_pending_by_prompt_shape on review_items (prompt_shape) where status = 'pending';

-- The block bank. Every console keeps the active entries in memory and catches up by change_seq; writers take one
-- advisory lock, so sequence order is commit order and a reader that has seen change n has seen every change < n.
create sequence block_bank_changes;
create table block_bank (
    id              bigint generated always as identity primary key,
    pdq             bit(256) not null,
    quality         smallint check (quality between 0 and 100),
    categories      text[] not null check (cardinality(categories) > 0),
    source          text not null check (source in ('decision', 'import')),
    item_id         bigint references review_items (id),
    note            text,
    added_by        bigint references users (id),
    added_at        timestamptz not null default now(),
    removed_at      timestamptz,
    removed_by      bigint references users (id),
    removal_reason  text,
    change_seq      bigint not null
);
create unique index block_bank_one_active_hash on block_bank (pdq) where removed_at is null;
create index block_bank_by_change on block_bank (change_seq);

-- What a moderator was shown: one row per moderator and item, with the item's severity and whether they revealed
-- the image. Counts over these drive the break prompt and the team's exposure view.
create table moderator_exposures (
    user_id      bigint not null references users (id),
    item_id      bigint not null references review_items (id),
    severity     integer not null,
    shown_at     timestamptz not null default now(),
    revealed_at  timestamptz,
    primary key (user_id, item_id)
);
create index moderator_exposures_by_time on moderator_exposures (user_id, shown_at);

-- Each moderator's viewing preference; null means the configured default.
alter table users add column greyscale_images boolean;
