-- Accounts made by `serve --demo`, whose passwords are public: they sign in only while the console runs in demo mode.
-- Accounts of the reserved demo domain made before this column existed are demo accounts too.
alter table users add column demo boolean not null default false;
update users set demo = true where lower(email) like '%@demo.local';
