-- The console's own database role. The console logs in as a member of moderation_app (the embedded cluster creates
-- one, moderation_console; in production the operator creates a login role "in role moderation_app"), while
-- migrations run as the schema owner. moderation_app may read and write the console's tables but may only add to the
-- audit log and its hash chain: no UPDATE, DELETE or TRUNCATE. Not being the owner, it cannot switch the append-only
-- triggers off either, so an entry can change only behind the console's back, which `audit verify` then catches.
do $$
begin
    if not exists (select from pg_roles where rolname = 'moderation_app') then
        create role moderation_app nologin;
    end if;
end $$;

grant usage on schema public to moderation_app;
grant select, insert, update, delete on all tables in schema public to moderation_app;
grant usage, select, update on all sequences in schema public to moderation_app;

-- Objects the owner creates later (new migrations, Hangfire's schema and its upgrades) are usable at once.
alter default privileges grant usage on schemas to moderation_app;
alter default privileges grant select, insert, update, delete on tables to moderation_app;
alter default privileges grant usage, select, update on sequences to moderation_app;

-- Hangfire's schema already exists on databases migrated before this script.
do $$
begin
    if exists (select from pg_namespace where nspname = 'hangfire') then
        grant usage on schema hangfire to moderation_app;
        grant select, insert, update, delete on all tables in schema hangfire to moderation_app;
        grant usage, select, update on all sequences in schema hangfire to moderation_app;
    end if;
end $$;

-- Append-only: entries and chain links are added, never changed or removed.
revoke update, delete, truncate on audit_log, audit_chain from moderation_app;

-- The migration journal is the owner's business.
revoke all on schemaversions from moderation_app;
