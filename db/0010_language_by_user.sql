-- A notice is written in the language of the user's latest generation that gave one. Most generations give none, so
-- this partial index stays small and finds that generation without reading every item of a prolific user.
create index review_items_language_by_user on review_items (producer_id, user_id, id desc) where language is not null;
