-- People who sign in through the organisation's OpenID Connect provider: their account is made at their first
-- sign-in and found again by the provider's subject (issuer and sub), and they have no password here.
alter table users
    alter column password_hash drop not null,
    add column external_subject text unique;
