-- A claim takes a queue's head item, and the row version it replaces leaves its entry in the claim index
-- (review_items_claimable) until the table is vacuumed: each later claim steps over all of them, from the head. Measured
-- on a million-item queue: about 11 more pages read per 1,000 claims since the last vacuum; after 200,000 claims a claim
-- read 2,179 pages and took 52 ms alone, and the bare claim statement's rate fell from 1,456 to 521 a second.
--
-- PostgreSQL's default waits for dead rows worth 20% of the table before it vacuums, and review_items keeps every
-- decided item, so that wait grows with the console's history (a table of ten million rows: two million dead rows,
-- claims of a quarter of a second each). Here the table is vacuumed after a fixed number of dead rows, whatever its size:
-- each claim-and-decide leaves two, so a walk of at most ~5,000 claims (~55 pages, ~1.5 ms). A vacuum of a
-- million-item queue with 10,000 dead rows took half a second.
--
-- Index cleanup is always on: by default a vacuum skips the indexes when under 2% of the table's pages hold dead rows,
-- which is exactly a queue's case (the decided items sit together at its head), and then the claim index would keep
-- every entry the vacuum was meant to remove.
alter table review_items set (
    autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 10000,
    vacuum_index_cleanup = on);
