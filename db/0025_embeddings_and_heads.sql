-- Image embeddings and heads learnt from moderators' decisions.
--
-- An image model whose manifest names an embedding output stores one vector per image it scores: float16, little-endian,
-- L2-normalised (2.5 KB for 1280 dimensions), with a 256-bit sign sketch of it. The sketch finds nearest-neighbour
-- candidates with bit_count over the table; the vectors rank them exactly. Keyed by image: items sharing bytes share it.
create table image_embeddings (
    backbone     text not null,
    image_sha256 bytea not null references images (sha256) on delete cascade,
    embedding    bytea not null,
    sketch       bit(256) not null,
    created_at   timestamptz not null default now(),
    primary key (backbone, image_sha256)
);

-- A head is a classifier over stored embeddings, trained by the console.
alter table classifier_versions drop constraint classifier_versions_modality_check;
alter table classifier_versions add constraint classifier_versions_modality_check check (modality in ('image', 'text', 'head'));

-- Shadow mode: the version scores every new item (its scores are stored and shown) but routes nothing.
alter table classifier_versions add column shadow_since timestamptz;
alter table classifier_versions add constraint classifier_versions_shadow_not_active check (not (active and shadow_since is not null));
-- The version that was active when this one was activated: what "roll back" returns to (null: none was).
alter table classifier_versions add column replaced_version text;
