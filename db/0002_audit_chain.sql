-- The audit hash chain. Entries are written by many concurrent transactions without waiting on each other; a sealer
-- then chains them, one position after another, in a second append-only table. It chains an entry only once every
-- transaction that could still add an earlier one has ended: entries are ordered by (written_by, id), and an entry is
-- final once written_by is below the oldest transaction still running (pg_snapshot_xmin). Every later entry has a
-- higher written_by than every sealed one, so the order never has to change and positions never have gaps.

alter table audit_log add column written_by xid8 not null default pg_current_xact_id();
create index audit_log_seal_order on audit_log (written_by, id);

create table audit_chain (
    position   bigint primary key check (position > 0),
    entry_id   bigint not null unique references audit_log (id),
    previous   bytea not null check (length(previous) = 32),   -- the hash at position - 1; 32 zero bytes at 1
    hash       bytea not null check (length(hash) = 32),       -- SHA-256 of previous and the entry's canonical text
    sealed_at  timestamptz not null default now()
);

create trigger audit_chain_append_only before update or delete or truncate on audit_chain
    for each statement execute function audit_log_is_append_only();

create or replace function audit_log_is_append_only() returns trigger language plpgsql as $$
begin
    raise exception '% is append-only: % is not allowed', tg_table_name, tg_op;
end $$;
