-- A second factor for local accounts: a TOTP secret (RFC 6238) and single-use recovery codes, kept as SHA-256 hashes.
-- totp_pending_secret is the one shown on the enrolment page until the person proves they hold it with a code;
-- totp_last_step refuses a code that was already used (a code seen over someone's shoulder cannot be replayed).
alter table users
    add column totp_secret         bytea,
    add column totp_pending_secret bytea,
    add column totp_enabled_at     timestamptz,
    add column totp_last_step      bigint not null default 0;

create table recovery_codes (
    id        bigint generated always as identity primary key,
    user_id   bigint not null references users (id) on delete cascade,
    code_hash text not null,
    used_at   timestamptz,
    unique (user_id, code_hash)
);
