-- Outcomes between approve and block (Policy/Outcomes.cs): the outcome a person or routing chose, beside the approval or
-- block it is underneath. Null: a plain approve or block (decisions written before outcomes existed read so too).
alter table decisions add column outcome text;
alter table held_decisions add column outcome text;
-- Whether the producer has declared it understands outcomes: until it does, a restricted outcome reads as blocked.
alter table producers add column understands_outcomes boolean not null default false;
