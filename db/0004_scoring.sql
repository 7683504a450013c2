-- Classifiers: every model version the console can score with, where its ONNX graph lives, and how well it did.
-- A model dropped into the models folder is registered here (onnx null: the file is the artefact, shipped with each
-- instance). A prompt model the console trained itself is stored here whole (onnx set), so every console instance
-- sharing the database (e.g. separate GPU workers) serves exactly the same bytes under the same version.
create table classifier_versions (
    name        text not null check (name ~ '^[a-z0-9][a-z0-9._-]*$'),
    version     text not null check (version ~ '^[A-Za-z0-9][A-Za-z0-9._-]*$'),
    modality    text not null check (modality in ('image', 'text')),
    manifest    jsonb not null,
    onnx        bytea,
    onnx_sha256 bytea not null,
    -- Held-out precision and recall per category, for models the console trained (null for dropped-in models).
    metrics     jsonb,
    active      boolean not null default false,
    created_at  timestamptz not null default now(),
    created_by  bigint references users (id),
    primary key (name, version)
);
alter table classifier_versions alter column onnx set storage external; -- float weights barely compress
-- One active version per classifier name; re-scoring jobs score with the active ones.
create unique index classifier_versions_one_active on classifier_versions (name) where active;

-- Scores written by a classifier (item_scores.source = 'name@version') are looked up per source when a re-score
-- resumes: "which of these items does this model version still have to score?"
create index item_scores_by_source on item_scores (source, item_id);
