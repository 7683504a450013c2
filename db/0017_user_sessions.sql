-- Each sign-in is a session the console can end: signing out, an admin, a role change or disabling the account end it
-- on the server, so a copied cookie stops working at once rather than at the end of its lifetime.
create table user_sessions (
    id             uuid primary key default gen_random_uuid(),
    user_id        bigint not null references users (id),
    started_at     timestamptz not null default now(),
    remote_address text,
    ended_at       timestamptz,
    ended_reason   text
);
create index user_sessions_open on user_sessions (user_id) where ended_at is null;
