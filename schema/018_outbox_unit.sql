-- The unit an outbox row is about, in a column of its own like its series and period
-- (010_outbox_kinds.sql): a reminder to a unit and the mail telling a unit its report was
-- returned name it, so that a unit's timeline finds its reminders without reading the key.

ALTER TABLE outbox ADD COLUMN unit text;
COMMENT ON COLUMN outbox.unit IS
    'reminders and review returns: the code of the unit the message is about';

-- The rows queued before, once, from their keys: reminder:SERIES:PERIOD:ROUND:UNIT:ADDRESS
-- (a round may hold colons: the unit is the part before the address, which has none) and
-- returned:SERIES:PERIOD:UNIT:SUBMISSION:ADDRESS.
UPDATE outbox SET unit = split_part(dedup_key, ':', -2) WHERE kind = 'reminder';
UPDATE outbox SET unit = split_part(dedup_key, ':', 4) WHERE kind = 'review_return';

CREATE INDEX outbox_unit ON outbox (series, period, unit) WHERE unit IS NOT NULL;
