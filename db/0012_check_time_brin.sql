-- Checks arrive in time order, so a block-range index finds a day's or an hour's checks (counts, pruning) at a fraction
-- of a B-tree's cost on every insert.
drop index generation_checks_by_time;
create index generation_checks_by_time on generation_checks using brin (checked_at);
