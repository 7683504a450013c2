-- ASP.NET Core's data-protection key ring (the keys that sign session cookies and antiforgery tokens), kept in the
-- database so that every console instance reads the same keys and cookies survive a restart or a new container.
-- Entries are XML documents the framework writes and never changes; expired keys stay, as it expects.
create table data_protection_keys (
    id            bigint generated always as identity primary key,
    friendly_name text not null unique,
    xml           text not null,
    created_at    timestamptz not null default now()
);
