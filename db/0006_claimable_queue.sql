-- The claim query walks a queue from its head (most severe, then oldest). When that index held every pending row,
-- the items moderators were holding sat at the head too, and every claim stepped over each of them (and their older
-- row versions), checking their leases in the table: with 32 moderators most of a claim's cost. Now the walk uses an
-- index of the items nobody holds, which a claimed row leaves at once.
drop index review_items_claim_order;
create index review_items_claimable on review_items (queue, priority desc, received_at, id)
    where status = 'pending' and claimed_by is null;

-- Leases that ran out, to take over, by expiry: the versions of decided items that vacuum has not removed yet carry
-- leases still in the future, so the walk over "expired by now" never meets them.
create index review_items_lease_expiry on review_items (queue, claim_expires_at)
    where status = 'pending' and claimed_by is not null;

-- Room on each page for a row's new version, so that an update touching no indexed column (renewing a lease) is a
-- heap-only update that writes no index entries.
alter table review_items set (fillfactor = 85);

-- Stops a batch of statements when its precondition does not hold: the error skips the rest of the batch and rolls
-- back what ran before it, in the same round trip (a moderator's decision is one batch: close the held item, or stop).
create function require_that(condition boolean, problem text) returns void language plpgsql as $$
begin
    if condition is not true then
        raise exception using errcode = 'MC001', message = problem;
    end if;
end $$;
