-- The unit an outbox row is about, in a column of its own like its series and period
-- (010_outbox_kinds.sql): a reminder to a unit and the mail telling a unit its report was
-- returned name it (and, since 015, its extension notices), so that a unit's timeline finds
-- them without reading the key.

-- The column is added by 016_webhook.sql (a webhook item names its unit there too).

-- The rows queued before, once, from their keys: reminder:SERIES:PERIOD:ROUND:UNIT:ADDRESS
-- (a round may hold colons: the unit is the part before the address, which has none) and
-- returned:SERIES:PERIOD:UNIT:SUBMISSION:ADDRESS.
UPDATE outbox SET unit = split_part(dedup_key, ':', -2) WHERE kind = 'reminder' AND unit IS NULL;
UPDATE outbox SET unit = split_part(dedup_key, ':', 4) WHERE kind = 'review_return' AND unit IS NULL;
UPDATE outbox SET unit = split_part(dedup_key, ':', 4) WHERE kind = 'extension' AND unit IS NULL;

CREATE INDEX outbox_unit ON outbox (series, period, unit) WHERE unit IS NOT NULL;
