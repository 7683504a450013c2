-- Checks arrive in time order, so a block-range index finds a day's or an hour's checks (counts, pruning) at a fraction
-- of a B-tree's cost on every insert.
drop index generation_checks_by_time;
create index generation_checks_by_time on generation_checks using brin (checked_at);

-- The prompt models' scores on checks, counted per day, model version, category and tenth of the range, for drift.
create table check_score_days (
    day      date not null,
    source   text not null,
    category text not null,
    bin      int not null check (bin between 0 and 9),
    checks   bigint not null,
    primary key (day, source, category, bin)
);
