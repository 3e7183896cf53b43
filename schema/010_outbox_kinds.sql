-- What an outbox row is, in columns of its own: its kind and the parts of its key that are
-- looked for (the series and period it is about, the version of a final delivery, whether a
-- reminder round was asked for by hand), so that no query reads them back out of dedup_key.
-- The key itself stays as it was (mail/outbox_queue.c formats it); rows queued by other means
-- (by hand) may have no kind.

ALTER TABLE outbox
    ADD COLUMN kind     text CHECK (kind IN ('receipt', 'reminder', 'reminder_digest',
                            'draft_notice', 'final_delivery', 'escalation', 'review_return')),
    ADD COLUMN series   text,
    ADD COLUMN period   text,
    ADD COLUMN version  integer CHECK (version >= 1),
    ADD COLUMN manual   boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN outbox.kind IS 'what the message is; NULL for a row not queued by baocao';
COMMENT ON COLUMN outbox.series IS 'the series (name) the message is about, when it is about a period';
COMMENT ON COLUMN outbox.period IS 'the period (key) the message is about, with series';
COMMENT ON COLUMN outbox.version IS 'a final delivery: the version of the consolidated report';
COMMENT ON COLUMN outbox.manual IS 'a reminder or digest of a round a coordinator asked for by hand';

-- The rows queued before: their parts, once, from the keys they were queued with.
UPDATE outbox SET kind = CASE split_part(dedup_key, ':', 1)
        WHEN 'receipt' THEN 'receipt'
        WHEN 'reminder' THEN 'reminder'
        WHEN 'reminder-digest' THEN 'reminder_digest'
        WHEN 'cutoff' THEN 'draft_notice'
        WHEN 'final' THEN 'final_delivery'
        WHEN 'escalation' THEN 'escalation'
        WHEN 'returned' THEN 'review_return' END;
UPDATE outbox SET series = split_part(dedup_key, ':', 2), period = split_part(dedup_key, ':', 3)
    WHERE kind IN ('reminder', 'reminder_digest', 'draft_notice', 'final_delivery',
                   'review_return');
UPDATE outbox SET version = substr(split_part(dedup_key, ':', 4), 2)::integer
    WHERE kind = 'final_delivery' AND split_part(dedup_key, ':', 4) ~ '^v[0-9]{1,9}$';
UPDATE outbox SET manual = split_part(dedup_key, ':', 4) = 'manual'
    WHERE kind IN ('reminder', 'reminder_digest');

ALTER TABLE outbox ADD CHECK (kind IS DISTINCT FROM 'final_delivery' OR
    (series IS NOT NULL AND period IS NOT NULL AND version IS NOT NULL));
CREATE INDEX outbox_about ON outbox (series, period, kind) WHERE series IS NOT NULL;
