-- The recipients' acknowledgement of a delivered consolidated version ("Đã tiếp nhận"), the
-- mail to the coordinators when none came by the series' ack_by, and the consolidating unit's
-- own timeliness: whether its first final version was delivered by the consolidation deadline.

-- The first acknowledgement of a final version is kept; a second one changes nothing.
ALTER TABLE consolidation
    ADD COLUMN acknowledged_at  timestamptz,
    ADD COLUMN acknowledged_by  bigint REFERENCES account (id),
    ADD COLUMN on_time          boolean,
    ADD CHECK (kind = 'final' OR acknowledged_at IS NULL),
    ADD CHECK ((acknowledged_by IS NULL) OR (acknowledged_at IS NOT NULL));
COMMENT ON COLUMN consolidation.acknowledged_at IS
    'a final version: when a recipient first marked it received (Đã tiếp nhận)';
COMMENT ON COLUMN consolidation.acknowledged_by IS 'the recipient account that marked it';
COMMENT ON COLUMN consolidation.on_time IS
    'a final version: built and queued to the recipients by the period''s consolidation deadline';

-- on_time is recorded when the row is stored, as a unit's submission.on_time is, so that a
-- deadline moved later does not change what was judged then. The trigger keeps the code that
-- stores a version unaware of it.
CREATE FUNCTION consolidation_on_time() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind = 'final' THEN
        SELECT NEW.built_at <= p.consolidation_deadline INTO NEW.on_time
        FROM period p WHERE p.id = NEW.period_id;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER consolidation_on_time BEFORE INSERT ON consolidation
    FOR EACH ROW EXECUTE FUNCTION consolidation_on_time();

UPDATE consolidation c SET on_time = c.built_at <= p.consolidation_deadline
    FROM period p WHERE p.id = c.period_id AND c.kind = 'final';

-- The mail to the coordinators about a delivered version nobody acknowledged by ack_by.
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('receipt', 'reminder',
    'reminder_digest', 'draft_notice', 'final_delivery', 'escalation', 'review_return',
    'ack_overdue'));
